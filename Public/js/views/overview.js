// The Server view: health, interim live trends, identity and limits.

import { api, readProblem } from '../api.js';
import { MAX_PAGE, OVERVIEW_INTERVAL_MS, SPARK_POINTS } from '../config.js';
import { $, el, replaceContent, setText } from '../dom.js';
import { bytesCell, count, formatDuration, timeCell } from '../format.js';
import { headerState, renderServerSummary, server } from '../header.js';
import { formatRate, sessionTotals, sparkline } from '../rates.js';
import { facts } from '../ui.js';

// Server
// Interim live trends, computed in this tab from polling /v1/sessions (the 15-minute history
// needs the server's /v1/stats).
export const overviewTrend = { sessions: [], streams: [], rateIn: [], rateOut: [] };

export function pushPoint(list, value) {
  list.push(value);
  if (list.length > SPARK_POINTS) list.shift();
}

export const overviewView = {
  section: 'view-overview',
  interval: OVERVIEW_INTERVAL_MS,
  async load() {
    const [info, page, ready] = await Promise.all([
      api('GET', '/v1/server'),
      api('GET', '/v1/sessions', { query: { limit: MAX_PAGE } }),
      readiness(),
    ]);
    return { info, page, ready, at: Date.now() };
  },
  render({ info, page, ready, at }) {
    server.info = info;
    headerState.lastOk = at;
    headerState.failing = false;
    renderServerSummary();
    const sessions = Array.isArray(page.sessions) ? page.sessions : [];
    const totals = sessionTotals(sessions, at);
    pushPoint(overviewTrend.sessions, Number(page.total) || 0);
    pushPoint(overviewTrend.streams, totals.streams);
    if (totals.rated) {
      pushPoint(overviewTrend.rateIn, totals.rateIn);
      pushPoint(overviewTrend.rateOut, totals.rateOut);
    }
    const trend = (label, value, series) => el('div', { class: 'trend' },
      el('span', { class: 'trend-label' }, label),
      el('strong', { class: 'trend-value' }, value),
      sparkline(series, label + ', last ' + series.length + ' samples'));
    replaceContent($('overview-live'), [
      el('div', { class: 'trend' },
        el('span', { class: 'trend-label' }, 'Health'),
        el('strong', { class: 'trend-value' },
          el('span', { class: 'state ' + (ready.ok ? 'state-active' : 'state-revoked'), id: 'overview-health' },
            ready.ok ? 'Ready' : 'Not ready')),
        el('span', { class: 'muted trend-note' }, ready.ok ? 'listener accepting, store available' : ready.detail)),
      trend('Live sessions', count(page.total), overviewTrend.sessions),
      trend('Bytes in', totals.rated ? formatRate(totals.rateIn) : '…', overviewTrend.rateIn),
      trend('Bytes out', totals.rated ? formatRate(totals.rateOut) : '…', overviewTrend.rateOut),
      trend('Open streams', count(totals.streams), overviewTrend.streams),
    ]);
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
