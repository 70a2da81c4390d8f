// Bytes per second from successive polls of the byte counters the API returns, and sparklines.

import { SPARK_POINTS } from './config.js';
import { el } from './dom.js';
import { formatBytes, numberFormat } from './format.js';

// Rates: bytes per second from successive polls of the byte counters the API returns.

/**
 * Remembers a counter pair per key (a session, or one opening of a stream) with the time
 * each poll answered, and derives B/s from the last two samples. Keys not seen for a while
 * are forgotten, so a long-open tab does not grow.
 */
export class RateBook {
  constructor() { this.series = new Map(); }

  /** Records `bytesIn`/`bytesOut` for `key` at `now` (ms) and returns { in, out, history }. */
  sample(key, bytesIn, bytesOut, now) {
    let series = this.series.get(key);
    if (!series) { series = { samples: [], history: [] }; this.series.set(key, series); }
    series.seen = now;
    const previous = series.samples[series.samples.length - 1];
    series.samples.push({ t: now, in: Number(bytesIn) || 0, out: Number(bytesOut) || 0 });
    if (series.samples.length > 2) series.samples.shift();
    let rate = null;
    if (previous && now > previous.t) {
      const seconds = (now - previous.t) / 1000;
      rate = {
        in: Math.max(0, (Number(bytesIn) - previous.in) / seconds),
        out: Math.max(0, (Number(bytesOut) - previous.out) / seconds),
      };
      series.history.push(rate.in + rate.out);
      if (series.history.length > SPARK_POINTS) series.history.shift();
    }
    series.rate = rate;
    return series;
  }

  get(key) { return this.series.get(key); }

  forgetOlderThan(limitMs, now) {
    for (const [key, series] of this.series) if (now - series.seen > limitMs) this.series.delete(key);
  }
}

export const sessionRates = new RateBook();
export const streamRates = new RateBook();

export function formatRate(value) {
  if (value === null || value === undefined) return '…';
  return formatBytes(Math.round(value)) + '/s';
}

export function rateCell(value) {
  if (value === null || value === undefined) {
    return el('span', { class: 'muted', title: 'Needs a second sample' }, '…');
  }
  return el('span', { title: numberFormat.format(Math.round(value)) + ' bytes per second' }, formatRate(value));
}

/** An inline SVG polyline of `values` (drawn with DOM APIs: no markup parsing). */
export function sparkline(values, label) {
  const ns = 'http://www.w3.org/2000/svg';
  const width = 64;
  const height = 20;
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const points = values || [];
  const max = Math.max(1, ...points);
  const step = width / Math.max(1, SPARK_POINTS - 1);
  const offset = (SPARK_POINTS - points.length) * step;
  const coords = points.map((value, index) =>
    (offset + index * step).toFixed(1) + ',' + (height - 1 - (value / max) * (height - 2)).toFixed(1));
  const frame = document.createElementNS(ns, 'rect');
  frame.setAttribute('class', 'spark-frame');
  frame.setAttribute('x', '0');
  frame.setAttribute('y', '0');
  frame.setAttribute('width', String(width));
  frame.setAttribute('height', String(height));
  svg.append(frame);
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', coords.length === 1 ? coords[0] + ' ' + coords[0] : coords.join(' '));
  svg.append(line);
  return svg;
}

/** Sums over sessions, with rates from the shared rate book (sampled once per poll). */
export function sessionTotals(sessions, at) {
  const totals = { bytesIn: 0, bytesOut: 0, rateIn: 0, rateOut: 0, rated: false, streams: 0, framesIn: 0, framesOut: 0 };
  for (const session of sessions) {
    const series = sessionRates.sample(session.id, session.bytes_in, session.bytes_out, at);
    session.rate = series.rate;
    session.history = series.history.slice();
    totals.bytesIn += Number(session.bytes_in) || 0;
    totals.bytesOut += Number(session.bytes_out) || 0;
    totals.framesIn += Number(session.frames_in) || 0;
    totals.framesOut += Number(session.frames_out) || 0;
    totals.streams += Number(session.streams_open) || 0;
    if (series.rate) {
      totals.rated = true;
      totals.rateIn += series.rate.in;
      totals.rateOut += series.rate.out;
    }
  }
  sessionRates.forgetOlderThan(60000, at);
  return totals;
}
