// One token: its facts and live sessions, revoke.

import { api, segment } from '../api.js';
import { LIVE_INTERVAL_MS, MAX_PAGE } from '../config.js';
import { $, el, syncRows } from '../dom.js';
import { agoCell, bytesCell, count, shortID, timeCell } from '../format.js';
import { facts, idWithCopy, sessionHref } from '../ui.js';
import { stateBadge } from './tokens.js';

// One token: its facts, its live sessions, revoke
export const tokenState = { jti: null, token: null };

export const tokenSessionColumns = [
  { header: true, stable: true, render: (session) => el('a', { href: sessionHref(session.id), class: 'mono', title: session.id,
    'aria-label': 'Session ' + session.id }, shortID(session.id)) },
  { stable: true, class: 'mono', render: (session) => session.remote_address },
  { stable: true, render: (session) => timeCell(session.connected_at, true) },
  { render: (session) => agoCell(session.last_activity_at) },
  { class: 'num', render: (session) => [bytesCell(session.bytes_in), ' / ', bytesCell(session.bytes_out)] },
  { class: 'num', render: (session) => count(session.streams_open) },
];

export const tokenView = {
  section: 'view-token',
  interval: LIVE_INTERVAL_MS,
  enter(jti) {
    if (tokenState.jti !== jti) {
      tokenState.jti = jti;
      tokenState.token = null;
      $('token-facts').replaceChildren();
      $('token-sessions-rows').replaceChildren();
    }
    $('token-title').textContent = 'Token ' + shortID(jti);
    $('token-title').title = jti;
  },
  async load(jti) {
    const token = await api('GET', '/v1/tokens/' + segment(jti));
    // The API filters sessions by client; the token's own are those carrying its jti.
    const page = await api('GET', '/v1/sessions', { query: { client_id: token.client_id, limit: MAX_PAGE } });
    const sessions = (Array.isArray(page.sessions) ? page.sessions : []).filter((s) => s.token_jti === jti);
    return { token, sessions };
  },
  render({ token, sessions }) {
    tokenState.token = token;
    facts($('token-facts'), [
      ['Token id (jti)', idWithCopy(token.jti, 'token id')],
      ['Client', token.client_id],
      ['Role', el('span', { class: 'badge' }, token.role)],
      ['State', stateBadge(token)],
      ['Issued', timeCell(token.issued_at)],
      ['Expires', timeCell(token.expires_at)],
      ['Revoked', timeCell(token.revoked_at)],
      ['Live sessions', count(sessions.length)],
    ]);
    const revoke = $('token-revoke');
    revoke.hidden = token.state !== 'active';
    syncRows($('token-sessions-rows'), sessions, (s) => s.id, tokenSessionColumns,
      'No live session uses this token.');
  },
};
