// The Server view: health at a glance, the last 15 minutes as charts, identity and limits.

import { api, readProblem } from '../api.js';
import { addSamples, createCharts, drawCharts, latest, statsState } from '../charts.js';
import { OVERVIEW_INTERVAL_MS } from '../config.js';
import { $, el, replaceContent, setText, syncRows } from '../dom.js';
import { isFleet, loadNodes } from '../fleet.js';
import { bytesCell, count, formatBytes, formatDuration, timeCell } from '../format.js';
import { selectNode } from './sessions.js';
import { headerState, renderServerSummary, server } from '../header.js';
import { facts } from '../ui.js';

/** Set by the events view when the server announces it is draining for shutdown. */
export const drainState = { draining: false, at: null };

export const overviewView = {
  section: 'view-overview',
  interval: OVERVIEW_INTERVAL_MS,
  enter() {
    if (!statsState.charts && window.Chart) {
      createCharts({
        sessions: $('chart-sessions'), bytes: $('chart-bytes'), handshakes: $('chart-handshakes'),
        chat: $('chart-chat'), http: $('chart-http'),
      });
    }
  },
  async load() {
    // The first load takes the whole 15 minutes; later ones only the seconds after the newest held.
    const since = statsState.lastTime;
    const [info, stats, ready, nodes] = await Promise.all([
      api('GET', '/v1/server'),
      api('GET', '/v1/stats', { query: since ? { since } : {} }),
      readiness(),
      loadNodes(),
    ]);
    return { info, stats, ready, nodes, at: Date.now() };
  },
  render({ info, stats, ready, nodes, at }) {
    server.info = info;
    headerState.lastOk = at;
    headerState.failing = false;
    renderServerSummary();
    addSamples(Array.isArray(stats.samples) ? stats.samples : []);
    if (!statsState.charts) $('charts-note').textContent = 'The chart library did not load (/vendor/chart.min.js).';
    drawCharts();
    renderNow();
    renderHealthFacts(info, ready);
    $('fleet-card').hidden = !isFleet(nodes);
    syncRows($('fleet-rows'), nodes, (node) => node.id, nodeColumns, 'No node is registered.');
    facts($('server-facts'), [
      ['Version', info.version],
      ['Protocol', info.protocol],
      ['Started', timeCell(info.started_at)],
      ['Uptime', formatDuration(info.uptime_seconds)],
      ['ZTP listener', el('code', {}, info.ztp_listen)],
      ['Management API', el('code', {}, info.http_listen)],
      ['Live sessions', count(info.sessions)],
      ['Key fingerprint', el('code', {}, info.fingerprint)],
    ]);
    const limits = info.limits || {};
    facts($('server-limits'), [
      ['Max sessions', count(limits.max_sessions)],
      ['Max streams per session', count(limits.max_streams)],
      ['Stream window', bytesCell(limits.stream_window)],
      ['Max frame', bytesCell(limits.max_frame)],
      ['Handshake timeout', limits.handshake_timeout + ' s'],
      ['Stream idle timeout', limits.stream_idle_timeout + ' s'],
      ['Heartbeat interval', limits.heartbeat_interval + ' s'],
    ]);
    setText($('server-key'), String(info.server_public_key || ''));
  },
};

const nodeColumns = [
  { header: true, render: (node) => [el('code', {}, node.id), node.self ? el('span', { class: 'muted' }, ' (this server)') : null] },
  { render: (node) => el('span', { class: 'state ' + (node.state === 'up' ? 'state-active' : 'state-revoked') },
    node.state === 'up' ? 'Up' : 'Gone') },
  // The count links to the sessions view, filtered to the node.
  { class: 'num', render: (node) => el('a', {
    href: '#/sessions', 'aria-label': count(node.sessions) + ' sessions on ' + node.id,
    onclick: () => selectNode([], node.id) }, count(node.sessions)) },
  { class: 'mono', render: (node) => node.ztp_address },
  { class: 'mono', render: (node) => node.api_address },
  { render: (node) => node.version },
  { render: (node) => timeCell(node.started_at, true) },
  { render: (node) => formatDuration(node.seconds_since_heartbeat) + ' ago' },
];

/** The figures next to each chart's title: the newest gauge, rates averaged over 5 s. */
function renderNow() {
  const newest = statsState.samples[statsState.samples.length - 1];
  if (!newest) return;
  setText($('chart-sessions-now'), count(newest.sessions) + ' / ' + count(newest.streams));
  setText($('chart-bytes-now'), formatBytes(latest((s) => s.bytes_in, 5)) + '/s in, ' + formatBytes(latest((s) => s.bytes_out, 5)) + '/s out');
  const failed = (s) => Object.values(s.handshakes_failed || {}).reduce((a, b) => a + (Number(b) || 0), 0);
  const window = statsState.samples.slice(-60);
  const sum = (value) => window.reduce((a, s) => a + (Number(value(s)) || 0), 0);
  setText($('chart-handshakes-now'), count(sum((s) => s.handshakes_ok)) + ' ok, ' + count(sum(failed)) + ' failed in the last minute');
  setText($('chart-chat-now'), latest((s) => s.chat_messages, 5).toFixed(1) + '/s');
  setText($('chart-http-now'), latest((s) => s.http_requests, 5).toFixed(1) + '/s');
}

/** Listener, store and drain state from /readyz and the event stream; uptime and version. */
function renderHealthFacts(info, ready) {
  const detail = ready.ok ? '' : ready.detail;
  const listenerDown = !ready.ok && /listener/.test(detail);
  const storeDown = !ready.ok && /store/.test(detail);
  const draining = drainState.draining || listenerDown;
  const badge = (ok, good, bad, id) => el('span', { class: 'state ' + (ok ? 'state-active' : 'state-revoked'), id }, ok ? good : bad);
  replaceContent($('overview-health-facts'), [
    el('div', { class: 'fact' }, el('dt', {}, 'Readiness'), el('dd', {},
      badge(ready.ok, 'Ready', 'Not ready', 'overview-health'), ready.ok ? null : el('span', { class: 'muted health-note' }, ' ' + detail))),
    el('div', { class: 'fact' }, el('dt', {}, 'ZTP listener'), el('dd', {},
      badge(!listenerDown, 'Accepting', 'Not accepting', 'overview-listener'))),
    el('div', { class: 'fact' }, el('dt', {}, 'Store'), el('dd', {},
      badge(!storeDown, 'Available', 'Unavailable', 'overview-store'))),
    el('div', { class: 'fact' }, el('dt', {}, 'Shutdown'), el('dd', {},
      badge(!draining, 'Not draining', 'Draining', 'overview-drain'))),
    el('div', { class: 'fact' }, el('dt', {}, 'Uptime'), el('dd', { id: 'overview-uptime' }, formatDuration(info.uptime_seconds))),
    el('div', { class: 'fact' }, el('dt', {}, 'Version'), el('dd', {}, String(info.version) + ' · ' + String(info.protocol))),
  ]);
}

/**
 * /readyz: 200 while the ZTP listener accepts and the store answers; 503 with the reason
 * (draining for shutdown, store unavailable) otherwise. It needs no key.
 */
export async function readiness() {
  const response = await fetch('/readyz', { cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' });
  if (response.ok) return { ok: true, detail: '' };
  const problem = await readProblem(response);
  return { ok: false, detail: problem.detail || problem.title || String(response.status) };
}
