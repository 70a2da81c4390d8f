// The header's summary and its own loop keeping the live session count current.

import { SignedOut, api } from './api.js';
import { HEADER_INTERVAL_MS, RETRY_MS } from './config.js';
import { $, el, setText } from './dom.js';
import { count, formatDuration } from './format.js';
import { secondsSince } from './live.js';

// The header: version, fingerprint and the live session count, kept current on its own
// loop whatever the view (and marked stale when the server cannot be reached).

export const server = { info: null }; // the last /v1/server answer
export const headerState = { lastOk: null, failing: false, timer: null, generation: 0 };

export function renderServerSummary() {
  const info = server.info;
  const summary = $('server-summary');
  if (!info || $('app-view').hidden) return;
  const countText = count(info.sessions) + (info.sessions === 1 ? ' session' : ' sessions');
  if (!summary.parts) {
    summary.parts = { version: el('span'), fingerprint: el('span', { title: 'Server key fingerprint' }), sessions: el('span', { id: 'header-sessions' }), state: el('span', { class: 'header-state' }) };
    summary.replaceChildren(summary.parts.version, ' · ', summary.parts.fingerprint, ' · ', summary.parts.sessions, summary.parts.state);
  }
  setText(summary.parts.version, 'v' + info.version + ' · ' + info.protocol);
  setText(summary.parts.fingerprint, String(info.fingerprint));
  setText(summary.parts.sessions, countText);
  const stale = headerState.failing;
  summary.classList.toggle('stale-text', stale);
  setText(summary.parts.state, stale
    ? ' · server unreachable, last update ' + formatDuration(secondsSince(headerState.lastOk || Date.now())) + ' ago, retrying'
    : '');
  summary.hidden = false;
}

export function startHeaderLoop() {
  headerState.generation += 1;
  clearTimeout(headerState.timer);
  const mine = headerState.generation;
  const tick = async () => {
    if (mine !== headerState.generation) return;
    try {
      const info = await api('GET', '/v1/server');
      if (mine !== headerState.generation) return;
      server.info = info;
      headerState.lastOk = Date.now();
      headerState.failing = false;
    } catch (error) {
      if (error instanceof SignedOut || mine !== headerState.generation) return;
      headerState.failing = true;
    }
    renderServerSummary();
    headerState.timer = setTimeout(tick, headerState.failing ? RETRY_MS : HEADER_INTERVAL_MS);
  };
  tick();
}

export function stopHeaderLoop() {
  headerState.generation += 1;
  clearTimeout(headerState.timer);
}
