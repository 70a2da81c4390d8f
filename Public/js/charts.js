// The overview's charts: the server's last 15 minutes from /v1/stats, drawn with the vendored
// Chart.js (the global `Chart`, loaded by index.html before the modules).

import { formatBytes, numberFormat, pad } from './format.js';

export const WINDOW_MS = 15 * 60 * 1000;
const MIN_SPAN_MS = 2 * 60 * 1000;

/** The samples held, oldest first, and the charts drawn from them. */
export const statsState = { samples: [], lastTime: null, charts: null, failureReasons: [] };

/**
 * Adds samples (oldest first, as /v1/stats answers) and drops those older than 15 minutes
 * before the newest. A sample for a second already held replaces it (the server sums a late
 * tick into its second). Samples that go back in time mean the server restarted: its history
 * starts over, and so does ours.
 */
export function addSamples(samples) {
  const list = statsState.samples;
  for (const sample of samples) {
    const t = Date.parse(sample.time);
    if (Number.isNaN(t)) continue;
    const last = list[list.length - 1];
    if (last && t < last.t) list.length = 0;
    else if (last && t === last.t) list.pop();
    list.push({ ...sample, t });
  }
  if (list.length) {
    const oldest = list[list.length - 1].t - WINDOW_MS;
    let drop = 0;
    while (drop < list.length && list[drop].t < oldest) drop += 1;
    if (drop) list.splice(0, drop);
    statsState.lastTime = list[list.length - 1].time;
  }
}

export function resetStats() {
  statsState.samples = [];
  statsState.lastTime = null;
}

// Colours: read from the page's CSS variables, so the charts follow light and dark schemes.

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

// Distinct series colours that read on both the light and the dark surface.
const SERIES = ['#1f77d0', '#d9480f', '#2f9e44', '#ae3ec9', '#e8590c', '#0c8599', '#c2255c', '#5c940d'];

function palette() {
  return { text: cssVar('--muted'), grid: cssVar('--border'), ok: '#2f9e44', surface: cssVar('--surface') };
}

function clock(ms) {
  const date = new Date(ms);
  return pad(date.getHours()) + ':' + pad(date.getMinutes());
}

const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });

/** One chart's options: no animation (it is redrawn every second), x a time in ms. */
function options(colours, { stacked = false, bytes = false, integer = false } = {}) {
  const format = bytes ? (v) => formatBytes(v) + '/s' : (v) => compact.format(v);
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    normalized: true,
    spanGaps: 3500, // seconds missing (an outage) are drawn as a gap, not bridged
    interaction: { mode: 'index', intersect: false },
    plugins: {
      legend: { labels: { color: colours.text, boxWidth: 12, boxHeight: 12 } },
      tooltip: {
        callbacks: {
          title: (items) => items.length ? new Date(items[0].parsed.x).toLocaleTimeString(undefined, { hour12: false }) : '',
          label: (item) => item.dataset.label + ': ' + (bytes ? formatBytes(item.parsed.y) + '/s' : numberFormat.format(item.parsed.y)),
        },
      },
    },
    scales: {
      x: {
        type: 'linear',
        stacked,
        ticks: { color: colours.text, maxRotation: 0, autoSkipPadding: 12, stepSize: 60000, callback: (v) => clock(v) },
        grid: { color: colours.grid },
      },
      y: {
        beginAtZero: true,
        stacked,
        suggestedMax: integer ? 2 : 1,
        ticks: { color: colours.text, precision: integer ? 0 : undefined, callback: format },
        grid: { color: colours.grid },
      },
    },
  };
}

function line(label, colour, fill) {
  return {
    label, data: [], borderColor: colour, backgroundColor: colour + '33', fill,
    borderWidth: 1.5, pointRadius: 0, pointHitRadius: 6, stepped: false, tension: 0,
  };
}

function bar(label, colour) {
  return { label, data: [], backgroundColor: colour, borderWidth: 0, barPercentage: 1, categoryPercentage: 1 };
}

/** Builds the five charts on their canvases (once per page). */
export function createCharts(canvases) {
  const colours = palette();
  const make = (canvas, type, datasets, extra) => new window.Chart(canvas, { type, data: { datasets }, options: options(colours, extra) });
  statsState.textColour = colours.text;
  statsState.charts = {
    sessions: make(canvases.sessions, 'line', [line('Sessions', SERIES[0], false), line('Streams', SERIES[1], false)], { integer: true }),
    bytes: make(canvases.bytes, 'line', [line('In', SERIES[0], true), line('Out', SERIES[2], true)], { bytes: true }),
    handshakes: make(canvases.handshakes, 'bar', [bar('OK', colours.ok)], { stacked: true, integer: true }),
    chat: make(canvases.chat, 'line', [line('Chat messages/s', SERIES[3], true)], {}),
    http: make(canvases.http, 'line', [line('HTTP requests/s', SERIES[5], true)], {}),
  };
  // The axis and legend colours follow a change of colour scheme.
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', recolour);
  return statsState.charts;
}

function recolour() {
  const charts = statsState.charts;
  if (!charts) return;
  const colours = palette();
  statsState.textColour = colours.text;
  for (const chart of Object.values(charts)) {
    chart.options.plugins.legend.labels.color = colours.text;
    for (const axis of ['x', 'y']) {
      chart.options.scales[axis].ticks.color = colours.text;
      chart.options.scales[axis].grid.color = colours.grid;
    }
    chart.update('none');
  }
}

/** The failure reasons seen in the samples held, in a stable order (first seen first). */
function failureReasons(samples) {
  const reasons = statsState.failureReasons;
  for (const sample of samples) {
    for (const reason of Object.keys(sample.handshakes_failed || {})) {
      if (!reasons.includes(reason)) reasons.push(reason);
    }
  }
  return reasons;
}

/** Redraws every chart from the samples held, without animation. */
export function drawCharts() {
  const charts = statsState.charts;
  if (!charts) return;
  // The scheme may have changed without a media-query event reaching us (an emulated one).
  if (palette().text !== statsState.textColour) recolour();
  const samples = statsState.samples;
  const points = (value) => samples.map((s) => ({ x: s.t, y: Number(value(s)) || 0 }));
  charts.sessions.data.datasets[0].data = points((s) => s.sessions);
  charts.sessions.data.datasets[1].data = points((s) => s.streams);
  charts.bytes.data.datasets[0].data = points((s) => s.bytes_in);
  charts.bytes.data.datasets[1].data = points((s) => s.bytes_out);
  charts.chat.data.datasets[0].data = points((s) => s.chat_messages);
  charts.http.data.datasets[0].data = points((s) => s.http_requests);

  const handshakes = charts.handshakes.data.datasets;
  handshakes[0].data = points((s) => s.handshakes_ok);
  const reasons = failureReasons(samples);
  reasons.forEach((reason, index) => {
    let dataset = handshakes[index + 1];
    if (!dataset) {
      dataset = bar('Failed: ' + reason.replace(/_/g, ' '), SERIES[(index + 1) % SERIES.length]);
      handshakes.push(dataset);
    }
    dataset.data = points((s) => (s.handshakes_failed || {})[reason]);
  });

  // Every chart spans the same time, ending at the newest sample: 15 minutes, or since the
  // oldest sample held when the history is shorter (a server just started), 2 minutes at least.
  const newest = samples.length ? samples[samples.length - 1].t : Date.now();
  const oldest = samples.length ? samples[0].t : newest;
  const start = Math.max(newest - WINDOW_MS, Math.min(oldest, newest - MIN_SPAN_MS));
  for (const chart of Object.values(charts)) {
    chart.options.scales.x.min = start;
    chart.options.scales.x.max = newest;
    chart.update('none');
  }
}

/** The newest value of a series, and its average over the last `seconds`, for the headings. */
export function latest(value, seconds = 1) {
  const samples = statsState.samples;
  if (!samples.length) return null;
  const recent = samples.slice(-seconds);
  return recent.reduce((sum, s) => sum + (Number(value(s)) || 0), 0) / recent.length;
}
