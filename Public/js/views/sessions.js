// The live sessions view: rates, totals, substring search, sorting by rate, terminate.

import { SignedOut, api, errorText, segment } from '../api.js';
import { LIVE_INTERVAL_MS, MAX_PAGE } from '../config.js';
import { $, el, setText, syncRows } from '../dom.js';
import { isFleet, loadNodes } from '../fleet.js';
import { agoCell, bytesCell, count, shortID, timeCell } from '../format.js';
import { renderServerSummary, server } from '../header.js';
import { rateCell, sessionTotals, sparkline } from '../rates.js';
import { refreshNow } from '../refresh.js';
import { confirmAction, flash, sessionHref, tokenHref } from '../ui.js';

// Sessions
export const RATE_SORTS = { rate_in: (s) => s.rate ? s.rate.in : -1, rate_out: (s) => s.rate ? s.rate.out : -1, rate: (s) => s.rate ? s.rate.in + s.rate.out : -1 };

export function sessionQuery() {
  const sort = $('sessions-sort').value;
  return {
    role: $('sessions-role').value,
    node: $('sessions-node').value,
    sort: RATE_SORTS[sort] ? 'connected_at' : sort,
    order: $('sessions-order').value,
    limit: MAX_PAGE,
  };
}

export async function terminateSession(session) {
  const ok = await confirmAction(
    'Terminate session?',
    'Session ' + session.id + ' of client "' + session.client_id + '" (' + session.role + ') will receive ' +
      'CLOSE(TERMINATED) and be disconnected. Its token stays valid; revoke the token to keep the client out.',
    'Terminate');
  if (!ok) return false;
  try {
    await api('DELETE', '/v1/sessions/' + segment(session.id));
    flash('Session ' + shortID(session.id) + ' of ' + session.client_id + ' terminated.');
    return true;
  } catch (error) {
    if (error instanceof SignedOut) return false;
    flash('Could not terminate the session: ' + errorText(error));
    return false;
  }
}

export function updateSortHeaders() {
  const sort = $('sessions-sort').value;
  const order = $('sessions-order').value;
  for (const th of document.querySelectorAll('#view-sessions th[data-sort]')) {
    if (th.getAttribute('data-sort') === sort) th.setAttribute('aria-sort', order === 'asc' ? 'ascending' : 'descending');
    else th.removeAttribute('aria-sort');
  }
}

export const sessionColumns = [
  { header: true, stable: true, render: (session) => el('a', {
    href: sessionHref(session.id), class: 'mono', title: session.id,
    'aria-label': 'Session ' + session.id }, shortID(session.id, 8)) },
  { stable: true, class: 'nowrap', render: (session) => session.client_id },
  { stable: true, render: (session) => el('span', { class: 'badge' }, session.role) },
  { stable: true, render: (session) => el('a', { href: tokenHref(session.token_jti), class: 'mono', title: 'Token ' + session.token_jti,
    'aria-label': 'Token ' + session.token_jti }, shortID(session.token_jti, 8)) },
  { stable: true, class: 'mono', render: (session) => session.remote_address },
  { stable: true, class: 'node-col nowrap', render: (session) => session.node },
  { stable: true, render: (session) => timeCell(session.connected_at, true) },
  { render: (session) => agoCell(session.last_activity_at) },
  { class: 'num', render: (session) => bytesCell(session.bytes_in) },
  { class: 'num', render: (session) => bytesCell(session.bytes_out) },
  { class: 'num rate-in', render: (session) => rateCell(session.rate && session.rate.in) },
  { class: 'num rate-out', render: (session) => rateCell(session.rate && session.rate.out) },
  { class: 'spark-cell', render: (session) => sparkline(session.history, 'Bytes per second of session ' + session.id) },
  { class: 'num', render: (session) => count(session.streams_open) },
  { stable: true, class: 'actions', render: (session, row) => [
    el('a', { href: sessionHref(session.id), class: 'button secondary small',
              'aria-label': 'Details of session ' + session.id }, 'Details'),
    el('button', {
      type: 'button', class: 'button danger small', 'data-action': 'terminate',
      'aria-label': 'Terminate session ' + session.id + ' of ' + session.client_id,
      onclick: async () => { if (await terminateSession(row.item)) refreshNow(); },
    }, 'Terminate'),
  ] },
];

export const sessionsView = {
  section: 'view-sessions',
  get interval() { return $('sessions-live').checked ? LIVE_INTERVAL_MS : 0; },
  async load() {
    const [page, nodes] = await Promise.all([api('GET', '/v1/sessions', { query: sessionQuery() }), loadNodes()]);
    return { page, nodes, at: Date.now() };
  },
  render({ page, nodes, at }) {
    updateSortHeaders();
    showNodes(nodes);
    const all = Array.isArray(page.sessions) ? page.sessions : [];
    const totals = sessionTotals(all, at);
    const needle = $('sessions-client').value.trim().toLowerCase();
    let sessions = needle ? all.filter((s) => String(s.client_id).toLowerCase().includes(needle)) : all;
    const rateKey = RATE_SORTS[$('sessions-sort').value];
    if (rateKey) {
      const sign = $('sessions-order').value === 'asc' ? 1 : -1;
      sessions = sessions.slice().sort((a, b) => sign * (rateKey(a) - rateKey(b)) || String(a.id).localeCompare(String(b.id)));
    }
    const filtered = needle || $('sessions-role').value || $('sessions-node').value;
    syncRows($('sessions-rows'), sessions, (session) => session.id, sessionColumns,
      filtered ? 'No live session matches the filter.' : 'No client is connected.');
    const shownTotals = needle ? sessionSums(sessions) : totals;
    renderSessionTotals(shownTotals, sessions.length);
    const total = Number(page.total) || 0;
    setText($('sessions-count'), (needle ? count(sessions.length) + ' of ' : '') + count(total) +
      (total === 1 ? ' live session' : ' live sessions') +
      (total > all.length ? ' (the first ' + count(all.length) + ' are shown)' : ''));
    // The header counts this server's sessions; in a fleet the list holds every node's.
    if (server.info && !$('sessions-role').value && !isFleet(nodes)) {
      server.info.sessions = total;
      renderServerSummary();
    }
  },
};

/** The node column and filter, shown in a fleet; the filter offers every node listed. */
function showNodes(nodes) {
  $('view-sessions').classList.toggle('single-node', !isFleet(nodes));
  selectNode(nodes.map((node) => node.id), $('sessions-node').value);
}

/** Makes `ids` (and `chosen`, even if it has left the fleet) the node filter's options. */
export function selectNode(ids, chosen) {
  const select = $('sessions-node');
  const wanted = ['', ...ids];
  if (chosen && !ids.includes(chosen)) wanted.push(chosen);
  const have = Array.from(select.options).map((option) => option.value);
  if (have.join('\n') !== wanted.join('\n')) {
    select.replaceChildren(...wanted.map((id) => el('option', { value: id }, id || 'Every node')));
  }
  select.value = chosen;
}

export function sessionSums(sessions) {
  const sums = { bytesIn: 0, bytesOut: 0, rateIn: 0, rateOut: 0, rated: false, streams: 0 };
  for (const s of sessions) {
    sums.bytesIn += Number(s.bytes_in) || 0;
    sums.bytesOut += Number(s.bytes_out) || 0;
    sums.streams += Number(s.streams_open) || 0;
    if (s.rate) { sums.rated = true; sums.rateIn += s.rate.in; sums.rateOut += s.rate.out; }
  }
  return sums;
}

export function renderSessionTotals(totals, shown) {
  const cells = $('sessions-totals').cells;
  setText(cells[0], 'Total (' + count(shown) + ')');
  cells[8].replaceChildren(bytesCell(totals.bytesIn));
  cells[9].replaceChildren(bytesCell(totals.bytesOut));
  cells[10].replaceChildren(rateCell(totals.rated ? totals.rateIn : null));
  cells[11].replaceChildren(rateCell(totals.rated ? totals.rateOut : null));
  setText(cells[13], count(totals.streams));
}
