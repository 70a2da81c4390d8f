// One session: its facts, its streams with rates, close a stream, terminate, revoke its token.

import { ApiError, SignedOut, api, errorText, segment } from '../api.js';
import { LIVE_INTERVAL_MS } from '../config.js';
import { $, el, syncRows } from '../dom.js';
import { agoCell, bytesCell, count, shortID, timeCell } from '../format.js';
import { rateCell, sessionRates, sparkline, streamRates } from '../rates.js';
import { refreshNow } from '../refresh.js';
import { confirmAction, facts, flash, idWithCopy, tokenHref } from '../ui.js';

// One session
export const sessionState = { id: null, ended: false, snapshot: null };

export const sessionView = {
  section: 'view-session',
  get interval() { return sessionState.ended ? 0 : LIVE_INTERVAL_MS; },
  enter(id) {
    if (sessionState.id !== id) {
      sessionState.id = id;
      sessionState.ended = false;
      sessionState.snapshot = null;
      $('session-ended').hidden = true;
      $('session-details-card').hidden = $('session-streams-card').hidden = false;
      $('session-facts').replaceChildren();
      $('streams-rows').replaceChildren();
    }
    $('session-title').textContent = 'Session ' + shortID(id);
    $('session-title').title = id;
    $('session-terminate').disabled = sessionState.ended;
    $('session-revoke').disabled = sessionState.ended;
  },
  async load(id) {
    try {
      return { session: await api('GET', '/v1/sessions/' + segment(id)), at: Date.now() };
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return { ended: true, detail: error.detail };
      throw error;
    }
  },
  render(data, id) {
    if (data.ended) {
      sessionState.ended = true;
      const ended = $('session-ended');
      ended.textContent = sessionState.snapshot
        ? 'This session has ended. The last state seen is shown below; the audit log may say why.'
        : 'There is no live session ' + id + (data.detail ? ' (404: ' + data.detail + ')' : '') +
          '. It may have ended; see the live sessions or the audit log.';
      ended.hidden = false;
      $('session-details-card').hidden = $('session-streams-card').hidden = !sessionState.snapshot;
      $('session-terminate').disabled = true;
      $('session-revoke').disabled = true;
      for (const button of $('streams-rows').querySelectorAll('button')) button.disabled = true;
      return;
    }
    const session = data.session;
    sessionState.snapshot = session;
    const series = sessionRates.sample(session.id, session.bytes_in, session.bytes_out, data.at);
    facts($('session-facts'), [
      ['Session id', idWithCopy(session.id, 'session id')],
      ['Client', session.client_id],
      ['Role', el('span', { class: 'badge' }, session.role)],
      ['Token (jti)', idWithCopy(session.token_jti, 'token id', tokenHref(session.token_jti))],
      ['Remote address', el('code', {}, session.remote_address)],
      // The server of the fleet that holds the session (this one, alone on SQLite).
      ['Node', el('code', {}, session.node)],
      ['Connected', timeCell(session.connected_at)],
      ['Last activity', agoCell(session.last_activity_at)],
      ['Bytes in / out', [bytesCell(session.bytes_in), ' / ', bytesCell(session.bytes_out)]],
      ['Rate in / out', [rateCell(series.rate && series.rate.in), ' / ', rateCell(series.rate && series.rate.out), ' ',
        sparkline(series.history, 'Bytes per second of this session')]],
      ['Frames in / out', count(session.frames_in) + ' / ' + count(session.frames_out)],
      ['Open streams', count(session.streams_open)],
      ['Key epoch', count(session.key_epoch)],
    ]);
    const streams = Array.isArray(session.streams) ? session.streams : [];
    for (const stream of streams) {
      const s = streamRates.sample(streamKey(session, stream), stream.bytes_in, stream.bytes_out, data.at);
      stream.rate = s.rate;
      stream.history = s.history.slice();
    }
    streamRates.forgetOlderThan(60000, data.at);
    // Keyed by id and opening time: a stream id reused after a close is a new row, never the
    // old one's kind and opening time.
    syncRows($('streams-rows'), streams, (stream) => streamKey(session, stream), streamColumns, 'No stream is open.');
  },
};

export const streamKey = (session, stream) => session.id + '/' + stream.id + '@' + stream.opened_at;

export const streamColumns = [
  { header: true, stable: true, class: 'num', render: (stream) => String(stream.id) },
  { stable: true, render: (stream) => el('span', { class: 'badge' }, stream.kind) },
  { stable: true, render: (stream) => timeCell(stream.opened_at, true) },
  { render: (stream) => agoCell(stream.last_activity_at) },
  { class: 'num', render: (stream) => [bytesCell(stream.bytes_in), ' / ', bytesCell(stream.bytes_out)] },
  { class: 'num rate-in', render: (stream) => rateCell(stream.rate && stream.rate.in) },
  { class: 'num rate-out', render: (stream) => rateCell(stream.rate && stream.rate.out) },
  { class: 'spark-cell', render: (stream) => sparkline(stream.history, 'Bytes per second of stream ' + stream.id) },
  { class: 'num', render: (stream) => count(stream.frames_in) + ' / ' + count(stream.frames_out) },
  { class: 'num', render: (stream) => bytesCell(stream.send_window) },
  { class: 'num', render: (stream) => bytesCell(stream.receive_window) },
  { stable: true, class: 'actions', render: (stream, row) => el('button', {
    type: 'button', class: 'button danger small', 'data-action': 'close-stream',
    'aria-label': 'Close stream ' + stream.id + ' (' + stream.kind + ')',
    onclick: () => closeStream(sessionState.snapshot, row.item),
  }, 'Close stream') },
];

export async function closeStream(session, stream) {
  if (!session) return;
  const ok = await confirmAction(
    'Close stream ' + stream.id + '?',
    'Stream ' + stream.id + ' (' + stream.kind + ') of client "' + session.client_id +
      '" will be closed with TERMINATED. The session stays connected.',
    'Close stream');
  if (!ok) return;
  try {
    await api('DELETE', '/v1/sessions/' + segment(session.id) + '/streams/' + segment(stream.id));
    flash('Stream ' + stream.id + ' closed.');
  } catch (error) {
    if (error instanceof SignedOut) return;
    flash('Could not close the stream: ' + errorText(error));
  }
  refreshNow();
}
