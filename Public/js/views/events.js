// The Events view: a live tail of /v1/events, newest first, bounded, filterable and pausable.

import { EventStream } from '../events-stream.js';
import { $, el, setText } from '../dom.js';
import { count, timeCell } from '../format.js';
import { startHeaderLoop } from '../header.js';
import { loadFailed, loadSucceeded } from '../live.js';
import { sessionHref, tokenHref } from '../ui.js';
import { drainState } from './overview.js';

export const EVENTS_HELD = 500;

export const EVENT_TYPES = [
  'session.opened', 'session.closed', 'stream.opened', 'stream.closed', 'chat.sent', 'token.issued', 'token.revoked',
  'token.expired', 'auth.failed', 'server.started', 'server.draining',
];

/** The meaning of an event, which picks its colour (the audit log's classes). */
export function eventMeaning(type) {
  const verb = String(type).split('.').pop();
  if (verb === 'issued' || verb === 'opened' || verb === 'started') return 'issued';
  if (verb === 'revoked' || verb === 'expired' || verb === 'draining') return 'revoked';
  if (verb === 'failed') return 'failed';
  if (verb === 'closed') return 'terminated';
  return 'other';
}

export const eventsState = { events: [], paused: false, missed: 0, lost: false };

let headerTimer = null;
/** A session opened or closed: the header's count is fetched again (once for a burst). */
function refreshHeaderSoon() {
  clearTimeout(headerTimer);
  headerTimer = setTimeout(startHeaderLoop, 300);
}

const stream = new EventStream({
  onEvent(event) {
    eventsState.events.push(event);
    if (eventsState.events.length > EVENTS_HELD) eventsState.events.splice(0, eventsState.events.length - EVENTS_HELD);
    if (event.type === 'session.opened' || event.type === 'session.closed') refreshHeaderSoon();
    if (event.type === 'server.draining') drainState.draining = true;
    if (event.type === 'server.started') drainState.draining = false;
    if (eventsState.paused) {
      eventsState.missed += 1;
      renderCount();
    } else if (matches(event)) {
      prependRow(event);
    }
  },
  onLost() {
    // Events were missed (a restart, or away too long): what follows is the server's held
    // history, so the tail starts over from it.
    eventsState.events = [];
    eventsState.lost = true;
    renderEvents();
  },
  onState({ connected, error }) {
    const section = $('view-events');
    if (connected) loadSucceeded(section);
    else loadFailed(section, error);
    setText($('events-connection'), connected ? 'Live' : 'Reconnecting…');
    $('events-connection').className = 'state ' + (connected ? 'state-active' : 'state-expired');
  },
});

function matches(event) {
  const type = $('events-type').value;
  const client = $('events-client').value.trim().toLowerCase();
  if (type && event.type !== type) return false;
  if (client && !String(event.client_id || '').toLowerCase().includes(client)) return false;
  return true;
}

/** The event's particulars, ids as links: session -> its view, jti -> the token's. */
function details(event) {
  const parts = [];
  const add = (label, value) => { if (value !== undefined && value !== null && value !== '') parts.push(el('span', { class: 'kv' }, label + ' ', value)); };
  if (event.session_id) add('session', el('a', { href: sessionHref(event.session_id), class: 'mono', title: 'Session ' + event.session_id }, event.session_id));
  if (event.jti) add('jti', el('a', { href: tokenHref(event.jti), class: 'mono', title: 'Token ' + event.jti }, event.jti));
  if (event.stream_id !== undefined) add('stream', String(event.stream_id) + (event.stream_kind ? ' (' + event.stream_kind + ')' : ''));
  if (event.code) add('code', el('code', { class: 'close-code' }, event.code));
  add('reason', event.reason);
  add('role', event.role);
  add('from', event.remote_address);
  // A chat.sent's detail says its count already ("3 messages, 120 bytes").
  if (event.count !== undefined && event.type !== 'chat.sent') add('count', count(event.count));
  add('', event.detail);
  return parts;
}

function row(event) {
  const tr = el('tr', { 'data-id': String(event.id), 'data-type': event.type },
    el('td', { class: 'nowrap' }, timeCell(event.time, true)),
    el('td', {}, el('span', { class: 'event event-' + eventMeaning(event.type) }, event.type)),
    el('td', { class: 'client' }, event.client_id || el('span', { class: 'muted' }, '—')),
    el('td', { class: 'detail' }, details(event)));
  return tr;
}

function prependRow(event) {
  const tbody = $('events-rows');
  const empty = tbody.querySelector('tr.empty');
  if (empty) empty.remove();
  tbody.insertBefore(row(event), tbody.firstChild);
  while (tbody.rows.length > EVENTS_HELD) tbody.lastChild.remove();
  renderCount();
}

export function renderEvents() {
  const shown = eventsState.events.filter(matches).slice(-EVENTS_HELD).reverse();
  const tbody = $('events-rows');
  tbody.replaceChildren(...shown.map(row));
  if (!shown.length) {
    tbody.append(el('tr', { class: 'empty' }, el('td', { colspan: 4 },
      eventsState.events.length ? 'No event matches the filters.' : 'No events yet: they appear here as they happen.')));
  }
  renderCount();
}

function renderCount() {
  const shown = $('events-rows').querySelectorAll('tr[data-id]').length;
  let text = count(shown) + ' shown of the last ' + count(eventsState.events.length) + ' held (at most ' + EVENTS_HELD + ')';
  if (eventsState.paused) text += '; paused, ' + count(eventsState.missed) + ' new since';
  if (eventsState.lost) text += '; some events were missed while disconnected';
  setText($('events-count'), text);
}

export function togglePause() {
  eventsState.paused = !eventsState.paused;
  const button = $('events-pause');
  button.textContent = eventsState.paused ? 'Resume' : 'Pause';
  button.setAttribute('aria-pressed', eventsState.paused ? 'true' : 'false');
  if (!eventsState.paused) {
    eventsState.missed = 0;
    renderEvents();
  } else {
    renderCount();
  }
}

export function wireEvents() {
  const select = $('events-type');
  select.replaceChildren(el('option', { value: '' }, 'Any type'), ...EVENT_TYPES.map((t) => el('option', { value: t }, t)));
  select.addEventListener('change', renderEvents);
  $('events-client').addEventListener('input', renderEvents);
  $('events-filter').addEventListener('submit', (event) => event.preventDefault());
  $('events-pause').addEventListener('click', togglePause);
}

export const eventsView = {
  section: 'view-events',
  interval: 0,
  enter() {
    renderEvents();
    stream.start();
  },
  leave() {
    stream.stop();
  },
  // The stream reports its own state; this only lets the refresh loop retry while it fails.
  async load() {
    if (stream.error && !stream.connected) throw stream.error;
    return null;
  },
  render() {},
};
