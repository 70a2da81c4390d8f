// ZTP management dashboard: plain JavaScript, no build step, no dependencies.
//
// Rules kept throughout:
// - The admin key lives in sessionStorage only and travels only in the Authorization header.
// - Every value from the server reaches the DOM through textContent or an attribute set with
//   setAttribute (never innerHTML), so no data is ever parsed as markup.
// - A 401 from any call forgets the key and returns to the sign-in form.
'use strict';

(() => {
  const KEY_STORAGE = 'ztp.adminKey';
  const LIVE_INTERVAL_MS = 2000;
  const OVERVIEW_INTERVAL_MS = 2000;
  const LIST_INTERVAL_MS = 5000;      // tokens, audit
  const ROLES_INTERVAL_MS = 30000;
  const RETRY_MS = 3000;              // after a failed load, whatever the view's interval
  const HEADER_INTERVAL_MS = 2000;    // the header's live session count
  const SPARK_POINTS = 30;
  // The API's largest page: live views fetch it whole, so that rates, totals, substring search
  // and sorting by rate cover every session rather than one page of them.
  const MAX_PAGE = 1000;
  const PAGE_SIZE = { tokens: 50 };
  const AUDIT_SHOWN = 200;

  const $ = (id) => document.getElementById(id);

  // ---------------------------------------------------------------------------------------
  // DOM helpers

  /** Builds an element. Strings and numbers become text nodes; null/false children are skipped. */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === 'class') node.className = value;
      else if (name === 'text') node.textContent = String(value);
      else if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
      else if (name.startsWith('on')) throw new Error('refusing inline handler attribute ' + name);
      else node.setAttribute(name, value === true ? '' : String(value));
    }
    appendAll(node, children);
    return node;
  }

  function appendAll(node, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }

  /** Replaces a container's children (facts, static tables). */
  function replaceContent(container, children) {
    container.replaceChildren();
    appendAll(container, children);
  }

  /**
   * Keeps a table body in step with `items`, one <tr> per key, updated in place: a row that
   * stays keeps its elements, so a live refresh every 2 s neither steals keyboard focus nor
   * swallows a click that lands while it runs. Columns: { render(item, row), header, class,
   * stable }; a stable column (ids, action buttons) is rendered once when its row appears, and
   * its handlers read the latest item from `row.item`.
   */
  function syncRows(tbody, items, keyOf, columns, emptyText) {
    const active = document.activeElement;
    const existing = new Map();
    for (const row of Array.from(tbody.rows)) {
      if (row.hasAttribute('data-key')) existing.set(row.getAttribute('data-key'), row);
      else row.remove();
    }
    const rows = items.map((item) => {
      const key = String(keyOf(item));
      let row = existing.get(key);
      existing.delete(key);
      const fresh = !row;
      if (fresh) {
        row = el('tr', { 'data-key': key });
        for (const column of columns) {
          row.append(el(column.header ? 'th' : 'td', { scope: column.header ? 'row' : null, class: column.class }));
        }
      }
      row.item = item;
      columns.forEach((column, index) => {
        if (column.stable && !fresh) return;
        const cell = row.cells[index];
        cell.replaceChildren();
        appendAll(cell, [column.render(item, row)]);
      });
      return row;
    });
    for (const gone of existing.values()) gone.remove();
    rows.forEach((row, index) => {
      if (tbody.rows[index] !== row) tbody.insertBefore(row, tbody.rows[index] || null);
    });
    if (rows.length === 0) {
      tbody.append(el('tr', { class: 'empty' }, el('td', { colspan: columns.length }, emptyText)));
    }
    // A row that moved was taken out of the document for a moment, which drops focus.
    if (active && active !== document.activeElement && active.isConnected && tbody.contains(active)) active.focus();
  }

  function setText(node, text) {
    if (node.textContent !== text) node.textContent = text;
  }

  // ---------------------------------------------------------------------------------------
  // Formatting

  const numberFormat = new Intl.NumberFormat();
  const pad = (value) => String(value).padStart(2, '0');

  /** Local time as YYYY-MM-DD HH:MM:SS: unambiguous whatever the browser's locale. */
  function formatLocal(date) {
    return date.getFullYear() + '-' + pad(date.getMonth() + 1) + '-' + pad(date.getDate()) + ' ' +
      pad(date.getHours()) + ':' + pad(date.getMinutes()) + ':' + pad(date.getSeconds());
  }

  /**
   * A <time> in local time; the exact UTC value is in its title. `compact` drops today's date
   * (for narrow table columns).
   */
  function timeCell(iso, compact) {
    if (!iso) return el('span', { class: 'muted', text: '—' });
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return String(iso);
    let text = formatLocal(date);
    if (compact && text.slice(0, 10) === formatLocal(new Date()).slice(0, 10)) text = text.slice(11);
    return el('time', { datetime: iso, title: text + ' local, ' + iso }, text);
  }

  /** "12 s ago" with the exact time in the title. */
  function agoCell(iso) {
    if (!iso) return el('span', { class: 'muted', text: '—' });
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return String(iso);
    const seconds = Math.max(0, Math.round((Date.now() - date.getTime()) / 1000));
    const text = seconds < 2 ? 'just now' : formatDuration(seconds) + ' ago';
    return el('time', { datetime: iso, title: formatLocal(date) + ' local, ' + iso }, text);
  }

  function formatDuration(total) {
    total = Math.max(0, Math.floor(total));
    const days = Math.floor(total / 86400);
    const hours = Math.floor((total % 86400) / 3600);
    const minutes = Math.floor((total % 3600) / 60);
    const seconds = total % 60;
    if (days > 0) return days + ' d ' + hours + ' h';
    if (hours > 0) return hours + ' h ' + minutes + ' min';
    if (minutes > 0) return minutes + ' min ' + seconds + ' s';
    return seconds + ' s';
  }

  function formatBytes(value) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let size = Number(value) || 0;
    let unit = 0;
    while (size >= 1024 && unit < units.length - 1) { size /= 1024; unit += 1; }
    return (unit === 0 ? String(size) : size.toFixed(size < 10 ? 1 : 0)) + ' ' + units[unit];
  }

  function bytesCell(value) {
    return el('span', { title: numberFormat.format(Number(value) || 0) + ' bytes' }, formatBytes(value));
  }

  function count(value) {
    return numberFormat.format(Number(value) || 0);
  }

  function shortID(id, length = 12) {
    const text = String(id || '');
    return text.length > length ? text.slice(0, length) + '…' : text;
  }

  function clockTime() {
    return new Date().toLocaleTimeString(undefined, { hour12: false });
  }

  // ---------------------------------------------------------------------------------------
  // API

  class ApiError extends Error {
    constructor(status, title, detail) {
      super(detail || title || 'request failed');
      this.status = status;
      this.title = title;
      this.detail = detail;
    }
    /** "404 Not Found: no live session …", the problem+json detail first of all. */
    describe() {
      if (this.status === 0) return this.detail;
      const head = this.status + (this.title ? ' ' + this.title : '');
      return this.detail ? head + ': ' + this.detail : head;
    }
  }

  /** Thrown after a 401 has already sent the user back to the sign-in form. */
  class SignedOut extends Error {}

  async function readProblem(response) {
    let title = response.statusText;
    let detail = '';
    try {
      const type = response.headers.get('content-type') || '';
      if (type.includes('json')) {
        const body = await response.json();
        if (body && typeof body === 'object') {
          if (typeof body.title === 'string') title = body.title;
          if (typeof body.detail === 'string') detail = body.detail;
        }
      } else {
        detail = (await response.text()).slice(0, 300);
      }
    } catch (_) { /* an unreadable body leaves the status line */ }
    return { title, detail };
  }

  async function api(method, path, options = {}) {
    const key = options.key || sessionStorage.getItem(KEY_STORAGE);
    if (!key) { signOut(''); throw new SignedOut(); }
    let url = path;
    if (options.query) {
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries(options.query)) {
        if (value !== '' && value !== null && value !== undefined) params.set(name, String(value));
      }
      const text = params.toString();
      if (text) url += '?' + text;
    }
    const headers = { Authorization: 'Bearer ' + key, Accept: 'application/json, application/problem+json' };
    const init = { method, headers, cache: 'no-store', credentials: 'omit', redirect: 'error', referrerPolicy: 'no-referrer' };
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(options.body);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (error) {
      throw new ApiError(0, 'Network error', 'The server cannot be reached (' + error.message + ').');
    }
    if (response.status === 401 && options.signingIn) {
      throw new ApiError(401, 'Unauthorized', '');
    }
    if (response.status === 401) {
      const problem = await readProblem(response);
      void problem; // its detail is written for curl users ("Authorization: Bearer ..."), not here
      signOut('The server no longer accepts this admin key (it may have been changed). Sign in again.');
      throw new SignedOut();
    }
    if (!response.ok) {
      const problem = await readProblem(response);
      throw new ApiError(response.status, problem.title, problem.detail);
    }
    if (response.status === 204) return null;
    return response.json();
  }

  const segment = (value) => encodeURIComponent(String(value));

  // ---------------------------------------------------------------------------------------
  // Messages

  let flashTimer = null;
  function flash(text) {
    const node = $('flash');
    node.textContent = text;
    node.classList.add('visible');
    clearTimeout(flashTimer);
    flashTimer = setTimeout(() => { node.classList.remove('visible'); node.textContent = ''; }, 5000);
  }

  function errorText(error) {
    return error instanceof ApiError ? error.describe() : String(error && error.message || error);
  }

  // ---------------------------------------------------------------------------------------
  // Confirmation dialog

  function confirmAction(title, message, confirmLabel) {
    const dialog = $('confirm');
    if (typeof dialog.showModal !== 'function') return Promise.resolve(window.confirm(message));
    $('confirm-title').textContent = title;
    $('confirm-message').textContent = message;
    $('confirm-ok').textContent = confirmLabel;
    const opener = document.activeElement;
    return new Promise((resolve) => {
      const finish = (result) => {
        $('confirm-ok').removeEventListener('click', onOK);
        $('confirm-cancel').removeEventListener('click', onCancel);
        dialog.removeEventListener('cancel', onCancel);
        if (dialog.open) dialog.close();
        if (opener && opener.isConnected) opener.focus();
        resolve(result);
      };
      const onOK = () => finish(true);
      const onCancel = (event) => { event.preventDefault(); finish(false); };
      $('confirm-ok').addEventListener('click', onOK);
      $('confirm-cancel').addEventListener('click', onCancel);
      dialog.addEventListener('cancel', onCancel);
      dialog.showModal();
      $('confirm-cancel').focus();
    });
  }

  // ---------------------------------------------------------------------------------------
  // Clipboard

  async function copyText(text, button) {
    let copied = false;
    try {
      await navigator.clipboard.writeText(text);
      copied = true;
    } catch (_) {
      // Plain http on a non-local host has no async clipboard: fall back to a selection.
      const area = el('textarea', { class: 'offscreen', readonly: true, 'aria-hidden': 'true' });
      area.value = text;
      document.body.append(area);
      area.select();
      try { copied = document.execCommand('copy'); } catch (_) { copied = false; }
      area.remove();
    }
    const label = button.getAttribute('data-label') || button.textContent;
    button.setAttribute('data-label', label);
    button.textContent = copied ? 'Copied' : 'Copy failed: select and copy by hand';
    flash(copied ? 'Copied to the clipboard.' : 'The browser refused to copy; select the text and copy it by hand.');
    setTimeout(() => { button.textContent = label; }, 2000);
  }

  // ---------------------------------------------------------------------------------------
  // Paging

  /** "1–50 of 120" with Previous / Next; the buttons are made once and updated in place. */
  function renderPager(container, page, onOffset) {
    if (!container.pager) {
      const label = el('span', { class: 'muted', 'aria-live': 'polite' });
      const previous = el('button', { type: 'button', class: 'button secondary small' }, 'Previous');
      const next = el('button', { type: 'button', class: 'button secondary small' }, 'Next');
      previous.addEventListener('click', () => {
        const last = container.pager.page;
        onOffset(Math.max(0, last.offset - last.limit));
      });
      next.addEventListener('click', () => {
        const last = container.pager.page;
        onOffset(last.offset + last.limit);
      });
      container.append(label, previous, next);
      container.pager = { label, previous, next };
    }
    const { label, previous, next } = container.pager;
    container.pager.page = page;
    const total = page.total || 0;
    const from = total === 0 ? 0 : page.offset + 1;
    const to = Math.min(page.offset + page.limit, total);
    setText(label, total === 0 ? 'None' : from + '–' + to + ' of ' + count(total));
    const paged = total > page.limit || page.offset > 0;
    previous.hidden = next.hidden = !paged;
    previous.disabled = page.offset <= 0;
    next.disabled = page.offset + page.limit >= total;
  }

  function emptyRow(columns, text) {
    return el('tr', { class: 'empty' }, el('td', { colspan: columns }, text));
  }

  // ---------------------------------------------------------------------------------------
  // Rates: bytes per second from successive polls of the byte counters the API returns.

  /**
   * Remembers a counter pair per key (a session, or one opening of a stream) with the time
   * each poll answered, and derives B/s from the last two samples. Keys not seen for a while
   * are forgotten, so a long-open tab does not grow.
   */
  class RateBook {
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

  const sessionRates = new RateBook();
  const streamRates = new RateBook();

  function formatRate(value) {
    if (value === null || value === undefined) return '…';
    return formatBytes(Math.round(value)) + '/s';
  }

  function rateCell(value) {
    if (value === null || value === undefined) {
      return el('span', { class: 'muted', title: 'Needs a second sample' }, '…');
    }
    return el('span', { title: numberFormat.format(Math.round(value)) + ' bytes per second' }, formatRate(value));
  }

  /** An inline SVG polyline of `values` (drawn with DOM APIs: no markup parsing). */
  function sparkline(values, label) {
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

  // ---------------------------------------------------------------------------------------
  // Honest live state: every view says when its data was last fresh; after a failure it is
  // dimmed, its actions are disabled and it keeps retrying.

  const viewHealth = new Map(); // section id -> { lastOk: ms or null, failing: bool, error }

  function health(section) {
    let state = viewHealth.get(section.id);
    if (!state) { state = { lastOk: null, failing: false, error: null }; viewHealth.set(section.id, state); }
    return state;
  }

  function secondsSince(ms) {
    return Math.max(0, Math.round((Date.now() - ms) / 1000));
  }

  /** Redraws a view's status line: "Updated 12:00:01", or "Last update 8 s ago, retrying". */
  function renderHealth(section) {
    const state = health(section);
    const node = section.querySelector('[data-updated]');
    const box = section.querySelector('[data-error]');
    section.classList.toggle('stale', state.failing);
    setActionsEnabled(section, !state.failing);
    if (node) {
      let text = '';
      if (!state.failing && state.lastOk) text = 'Updated ' + clockTime();
      else if (state.failing && state.lastOk) text = 'Last update ' + formatDuration(secondsSince(state.lastOk)) + ' ago, retrying';
      else if (state.failing) text = 'No data yet, retrying';
      setText(node, text);
      node.classList.toggle('stale-text', state.failing);
    }
    if (box) {
      if (state.failing) {
        setText(box, errorText(state.error) + (state.lastOk ? ' The data below is from before the failure.' : ''));
        box.hidden = false;
      } else {
        box.hidden = true;
        setText(box, '');
      }
    }
  }

  /**
   * Disables (or restores) every action in a view while its data is stale. Only buttons this
   * function disabled are re-enabled: one disabled for its own reason stays so.
   */
  function setActionsEnabled(section, enabled) {
    for (const button of section.querySelectorAll('button[data-action]')) {
      if (!enabled && !button.disabled) {
        button.disabled = true;
        button.setAttribute('data-stale-disabled', '');
      } else if (enabled && button.hasAttribute('data-stale-disabled')) {
        button.disabled = false;
        button.removeAttribute('data-stale-disabled');
      }
    }
  }

  function loadSucceeded(section) {
    const state = health(section);
    state.lastOk = Date.now();
    state.failing = false;
    state.error = null;
    renderHealth(section);
  }

  function loadFailed(section, error) {
    const state = health(section);
    state.failing = true;
    state.error = error;
    renderHealth(section);
  }

  // The status lines count seconds while a view is stale.
  setInterval(() => {
    for (const id of viewHealth.keys()) {
      const section = document.getElementById(id);
      if (section && !section.hidden && health(section).failing) renderHealth(section);
    }
    renderServerSummary();
  }, 1000);

  // ---------------------------------------------------------------------------------------
  // Roles (shared by the roles view and the role selects)

  let rolesCache = null;

  async function loadRoles(force) {
    if (!rolesCache || force) {
      const body = await api('GET', '/v1/roles');
      rolesCache = Array.isArray(body.roles) ? body.roles : [];
      fillRoleSelects();
    }
    return rolesCache;
  }

  function fillRoleSelects() {
    const names = (rolesCache || []).map((role) => String(role.name));
    for (const [id, first] of [['sessions-role', 'Any role'], ['issue-role', null]]) {
      const select = $(id);
      const previous = select.value;
      const options = [];
      if (first !== null) options.push(el('option', { value: '' }, first));
      for (const name of names) options.push(el('option', { value: name }, name));
      select.replaceChildren(...options);
      if (names.includes(previous) || (first !== null && previous === '')) select.value = previous;
      else if (id === 'issue-role' && names.includes('user')) select.value = 'user';
    }
  }

  // ---------------------------------------------------------------------------------------
  // The header: version, fingerprint and the live session count, kept current on its own
  // loop whatever the view (and marked stale when the server cannot be reached).

  let lastServerInfo = null;
  const headerState = { lastOk: null, failing: false, timer: null, generation: 0 };

  function renderServerSummary() {
    const info = lastServerInfo;
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

  function startHeaderLoop() {
    headerState.generation += 1;
    clearTimeout(headerState.timer);
    const mine = headerState.generation;
    const tick = async () => {
      if (mine !== headerState.generation) return;
      try {
        const info = await api('GET', '/v1/server');
        if (mine !== headerState.generation) return;
        lastServerInfo = info;
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

  function stopHeaderLoop() {
    headerState.generation += 1;
    clearTimeout(headerState.timer);
  }

  // ---------------------------------------------------------------------------------------
  // Views. Each has load(arg) -> data and render(data, arg); `interval` (ms) makes it live.

  const views = {};

  function facts(list, rows) {
    const items = [];
    for (const [term, value] of rows) {
      items.push(el('div', { class: 'fact' }, el('dt', {}, term), el('dd', {}, value)));
    }
    replaceContent(list, items);
  }

  /** A small "Copy" button for an id; its label says what it copies. */
  function copyButton(text, what) {
    return el('button', {
      type: 'button', class: 'button secondary small copy',
      'aria-label': 'Copy ' + what,
      onclick: (event) => copyText(text, event.currentTarget),
    }, 'Copy');
  }

  /** An id with its copy button, for the facts lists. */
  function idWithCopy(text, what, href) {
    const value = href ? el('a', { href, class: 'mono' }, text) : el('code', {}, text);
    return el('span', { class: 'id-copy' }, value, ' ', copyButton(text, what));
  }

  // Server ---------------------------------------------------------------------------------
  // Interim live trends, computed in this tab from polling /v1/sessions (the 15-minute history
  // needs the server's /v1/stats).
  const overviewTrend = { sessions: [], streams: [], rateIn: [], rateOut: [] };

  function pushPoint(list, value) {
    list.push(value);
    if (list.length > SPARK_POINTS) list.shift();
  }

  views.overview = {
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
      lastServerInfo = info;
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
  async function readiness() {
    const response = await fetch('/readyz', { cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' });
    if (response.ok) return { ok: true, detail: '' };
    const problem = await readProblem(response);
    return { ok: false, detail: problem.detail || problem.title || String(response.status) };
  }

  /** Sums over sessions, with rates from the shared rate book (sampled once per poll). */
  function sessionTotals(sessions, at) {
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

  // Sessions -------------------------------------------------------------------------------
  const RATE_SORTS = { rate_in: (s) => s.rate ? s.rate.in : -1, rate_out: (s) => s.rate ? s.rate.out : -1, rate: (s) => s.rate ? s.rate.in + s.rate.out : -1 };

  function sessionQuery() {
    const sort = $('sessions-sort').value;
    return {
      role: $('sessions-role').value,
      sort: RATE_SORTS[sort] ? 'connected_at' : sort,
      order: $('sessions-order').value,
      limit: MAX_PAGE,
    };
  }

  async function terminateSession(session) {
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

  function updateSortHeaders() {
    const sort = $('sessions-sort').value;
    const order = $('sessions-order').value;
    for (const th of document.querySelectorAll('#view-sessions th[data-sort]')) {
      if (th.getAttribute('data-sort') === sort) th.setAttribute('aria-sort', order === 'asc' ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    }
  }

  const tokenHref = (jti) => '#/tokens/' + segment(jti);
  const sessionHref = (id) => '#/sessions/' + segment(id);

  const sessionColumns = [
    { header: true, stable: true, render: (session) => el('a', {
      href: sessionHref(session.id), class: 'mono', title: session.id,
      'aria-label': 'Session ' + session.id }, shortID(session.id, 8)) },
    { stable: true, class: 'nowrap', render: (session) => session.client_id },
    { stable: true, render: (session) => el('span', { class: 'badge' }, session.role) },
    { stable: true, render: (session) => el('a', { href: tokenHref(session.token_jti), class: 'mono', title: 'Token ' + session.token_jti,
      'aria-label': 'Token ' + session.token_jti }, shortID(session.token_jti, 8)) },
    { stable: true, class: 'mono', render: (session) => session.remote_address },
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

  views.sessions = {
    section: 'view-sessions',
    get interval() { return $('sessions-live').checked ? LIVE_INTERVAL_MS : 0; },
    async load() {
      const page = await api('GET', '/v1/sessions', { query: sessionQuery() });
      return { page, at: Date.now() };
    },
    render({ page, at }) {
      updateSortHeaders();
      const all = Array.isArray(page.sessions) ? page.sessions : [];
      const totals = sessionTotals(all, at);
      const needle = $('sessions-client').value.trim().toLowerCase();
      let sessions = needle ? all.filter((s) => String(s.client_id).toLowerCase().includes(needle)) : all;
      const rateKey = RATE_SORTS[$('sessions-sort').value];
      if (rateKey) {
        const sign = $('sessions-order').value === 'asc' ? 1 : -1;
        sessions = sessions.slice().sort((a, b) => sign * (rateKey(a) - rateKey(b)) || String(a.id).localeCompare(String(b.id)));
      }
      const filtered = needle || $('sessions-role').value;
      syncRows($('sessions-rows'), sessions, (session) => session.id, sessionColumns,
        filtered ? 'No live session matches the filter.' : 'No client is connected.');
      const shownTotals = needle ? sessionSums(sessions) : totals;
      renderSessionTotals(shownTotals, sessions.length);
      const total = Number(page.total) || 0;
      setText($('sessions-count'), (needle ? count(sessions.length) + ' of ' : '') + count(total) +
        (total === 1 ? ' live session' : ' live sessions') +
        (total > all.length ? ' (the first ' + count(all.length) + ' are shown)' : ''));
      if (lastServerInfo && !$('sessions-role').value) {
        lastServerInfo.sessions = total;
        renderServerSummary();
      }
    },
  };

  function sessionSums(sessions) {
    const sums = { bytesIn: 0, bytesOut: 0, rateIn: 0, rateOut: 0, rated: false, streams: 0 };
    for (const s of sessions) {
      sums.bytesIn += Number(s.bytes_in) || 0;
      sums.bytesOut += Number(s.bytes_out) || 0;
      sums.streams += Number(s.streams_open) || 0;
      if (s.rate) { sums.rated = true; sums.rateIn += s.rate.in; sums.rateOut += s.rate.out; }
    }
    return sums;
  }

  function renderSessionTotals(totals, shown) {
    const cells = $('sessions-totals').cells;
    setText(cells[0], 'Total (' + count(shown) + ')');
    cells[7].replaceChildren(bytesCell(totals.bytesIn));
    cells[8].replaceChildren(bytesCell(totals.bytesOut));
    cells[9].replaceChildren(rateCell(totals.rated ? totals.rateIn : null));
    cells[10].replaceChildren(rateCell(totals.rated ? totals.rateOut : null));
    setText(cells[12], count(totals.streams));
  }

  // One session ----------------------------------------------------------------------------
  const sessionState = { id: null, ended: false, snapshot: null };

  views.session = {
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

  const streamKey = (session, stream) => session.id + '/' + stream.id + '@' + stream.opened_at;

  const streamColumns = [
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

  async function closeStream(session, stream) {
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

  // Tokens ---------------------------------------------------------------------------------
  const tokensState = { offset: 0 };

  async function revokeToken(token) {
    const ok = await confirmAction(
      'Revoke token?',
      'Token ' + token.jti + ' of client "' + token.client_id + '"' + (token.role ? ' (' + token.role + ')' : '') +
        ' will be revoked for good. Every live session opened with it is closed with TOKEN_REVOKED at once.',
      'Revoke');
    if (!ok) return false;
    try {
      await api('DELETE', '/v1/tokens/' + segment(token.jti));
      flash('Token ' + shortID(token.jti) + ' of ' + token.client_id + ' revoked.');
      return true;
    } catch (error) {
      if (error instanceof SignedOut) return false;
      flash('Could not revoke the token: ' + errorText(error));
      return false;
    }
  }

  const stateBadge = (token) =>
    el('span', { class: 'state state-' + String(token.state).replace(/[^a-z]/g, '') }, token.state);

  const tokenColumns = [
    { header: true, stable: true, render: (token) => el('a', { href: tokenHref(token.jti), class: 'mono', title: token.jti,
      'aria-label': 'Token ' + token.jti }, token.jti) },
    { stable: true, render: (token) => token.client_id },
    { stable: true, render: (token) => el('span', { class: 'badge' }, token.role) },
    { render: stateBadge },
    { stable: true, render: (token) => timeCell(token.issued_at) },
    { stable: true, render: (token) => timeCell(token.expires_at) },
    { render: (token) => timeCell(token.revoked_at) },
    // Only an active token can be revoked; other rows keep an empty slot of the same height.
    { class: 'actions', render: (token, row) => token.state !== 'active'
      ? el('span', { class: 'action-slot', 'aria-hidden': 'true' })
      : el('button', {
        type: 'button', class: 'button danger small', 'data-action': 'revoke',
        'aria-label': 'Revoke token ' + token.jti + ' of ' + token.client_id,
        onclick: async () => { if (await revokeToken(row.item)) refreshNow(); },
      }, 'Revoke') },
  ];

  views.tokens = {
    section: 'view-tokens',
    interval: LIST_INTERVAL_MS,
    load: async () => {
      if (!rolesCache) await loadRoles(false);
      return api('GET', '/v1/tokens', {
        query: {
          state: $('tokens-state').value,
          client_id: $('tokens-client').value.trim(),
          limit: PAGE_SIZE.tokens,
          offset: tokensState.offset,
        },
      });
    },
    render(page) {
      const tokens = Array.isArray(page.tokens) ? page.tokens : [];
      const filtered = $('tokens-state').value || $('tokens-client').value.trim();
      syncRows($('tokens-rows'), tokens, (token) => token.jti, tokenColumns,
        filtered ? 'No token matches the filter.' : 'No token has been issued.');
      renderPager($('tokens-pager'), page, (offset) => { tokensState.offset = offset; refreshNow(); });
    },
  };

  function lifetimeSeconds() {
    const amount = Number($('issue-ttl').value);
    const unit = Number($('issue-ttl-unit').value);
    if (!Number.isInteger(amount) || amount < 1) return null;
    return amount * unit;
  }

  async function issueToken(event) {
    event.preventDefault();
    const errorNode = $('issue-error');
    errorNode.textContent = '';
    const clientID = $('issue-client').value.trim();
    const role = $('issue-role').value;
    const ttl = lifetimeSeconds();
    if (!/^[A-Za-z0-9._@-]{1,64}$/.test(clientID)) {
      errorNode.textContent = 'The client id must be 1 to 64 letters, digits or . _ @ -';
      $('issue-client').setAttribute('aria-invalid', 'true');
      $('issue-client').focus();
      return;
    }
    $('issue-client').removeAttribute('aria-invalid');
    if (!role) { errorNode.textContent = 'Choose a role.'; $('issue-role').focus(); return; }
    if (ttl === null || ttl > 2592000) {
      errorNode.textContent = 'The lifetime must be a whole number from 1 second to 30 days.';
      $('issue-ttl').setAttribute('aria-invalid', 'true');
      $('issue-ttl').focus();
      return;
    }
    $('issue-ttl').removeAttribute('aria-invalid');
    const button = $('issue-submit');
    button.disabled = true;
    try {
      const issued = await api('POST', '/v1/tokens', { body: { client_id: clientID, role, ttl_seconds: ttl } });
      showIssued(issued);
      tokensState.offset = 0;
      refreshNow();
    } catch (error) {
      if (!(error instanceof SignedOut)) errorNode.textContent = errorText(error);
    } finally {
      button.disabled = false;
    }
  }

  /** Single quotes for a POSIX shell: the token is base64url, but never trust that blindly. */
  const shellQuote = (text) => "'" + String(text).replace(/'/g, "'\\''") + "'";

  /**
   * A ready command line for the new client: the token in the environment (not in argv, where
   * `ps` shows it), the ZTP address, and the server key pinned.
   */
  function clientCommand(issued) {
    const info = lastServerInfo || {};
    let address = String(info.ztp_listen || '127.0.0.1:9999');
    // A wildcard listener is reached at the host this page came from.
    address = address.replace(/^(0\.0\.0\.0|\[::\]|::)(?=:\d+$)/, location.hostname.includes(':') ? '[' + location.hostname + ']' : location.hostname);
    const parts = ['ZTP_TOKEN=' + shellQuote(issued.token), 'ztp-client', '--server', address];
    if (info.server_public_key) parts.push('--server-key', String(info.server_public_key));
    return parts.join(' ');
  }

  function showIssued(issued) {
    const meta = $('issued-meta');
    meta.replaceChildren(
      'For client ', el('strong', {}, issued.client_id), ' with role ', el('strong', {}, issued.role),
      ', token id ', el('a', { href: tokenHref(issued.jti), class: 'mono' }, issued.jti), ', expires ', timeCell(issued.expires_at), '.');
    $('issued-token').value = issued.token;
    $('issued-command').value = clientCommand(issued);
    const panel = $('issued');
    panel.hidden = false;
    panel.focus();
  }

  function hideIssued() {
    $('issued-token').value = '';
    $('issued-command').value = '';
    $('issued-meta').replaceChildren();
    $('issued').hidden = true;
  }

  // One token: its facts, its live sessions, revoke ------------------------------------------
  const tokenState = { jti: null, token: null };

  const tokenSessionColumns = [
    { header: true, stable: true, render: (session) => el('a', { href: sessionHref(session.id), class: 'mono', title: session.id,
      'aria-label': 'Session ' + session.id }, shortID(session.id)) },
    { stable: true, class: 'mono', render: (session) => session.remote_address },
    { stable: true, render: (session) => timeCell(session.connected_at, true) },
    { render: (session) => agoCell(session.last_activity_at) },
    { class: 'num', render: (session) => [bytesCell(session.bytes_in), ' / ', bytesCell(session.bytes_out)] },
    { class: 'num', render: (session) => count(session.streams_open) },
  ];

  views.token = {
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

  // Roles ----------------------------------------------------------------------------------
  views.roles = {
    section: 'view-roles',
    interval: ROLES_INTERVAL_MS,
    load: () => loadRoles(true),
    render(roles) {
      const rows = roles.map((role) => el('tr', {},
        el('th', { scope: 'row' }, el('span', { class: 'badge' }, role.name)),
        el('td', {}, (role.streams || []).map((id) =>
          el('span', { class: 'chip' }, String(id) + (id === 1 ? ' chat' : id === 2 ? ' control' : '')))),
        el('td', {}, (role.commands || []).map((name) => el('code', { class: 'chip' }, name)))));
      replaceContent($('roles-rows'), rows.length ? rows : [emptyRow(3, 'The policy defines no roles.')]);
    },
  };

  // Audit ----------------------------------------------------------------------------------
  /** The meaning of an action, which picks its colour: issued, revoked, failed, terminated. */
  function auditMeaning(action) {
    const verb = String(action).split('.').pop();
    if (verb === 'issued') return 'issued';
    if (verb === 'revoked') return 'revoked';
    if (verb === 'failed') return 'failed';
    if (verb === 'terminated' || verb === 'closed') return 'terminated';
    return 'other';
  }

  /** `key=value` fields of an audit detail, e.g. jti=… client=… session=…. */
  function detailFields(detail) {
    const fields = {};
    for (const match of String(detail).matchAll(/(^|\s)([a-z_]+)=(\S+)/g)) fields[match[2]] = match[3];
    return fields;
  }

  /** The detail text with token and session ids turned into links (text nodes only). */
  function linkedDetail(detail) {
    const parts = [];
    const text = String(detail);
    let last = 0;
    for (const match of text.matchAll(/(^|\s)(jti|session)=([A-Za-z0-9._~-]+)/g)) {
      const start = match.index + match[1].length + match[2].length + 1;
      parts.push(text.slice(last, start));
      const id = match[3];
      parts.push(el('a', { href: match[2] === 'jti' ? tokenHref(id) : sessionHref(id),
        title: (match[2] === 'jti' ? 'Token ' : 'Session ') + id }, id));
      last = start + id.length;
    }
    parts.push(text.slice(last));
    return parts;
  }

  const auditState = { events: [], shown: [] };

  /** The audit events that pass the action, client and time filters. */
  function filteredAudit(events) {
    const action = $('audit-action').value;
    const client = $('audit-client').value.trim().toLowerCase();
    const from = $('audit-from').value ? new Date($('audit-from').value).getTime() : null;
    const to = $('audit-to').value ? new Date($('audit-to').value).getTime() : null;
    return events.filter((event) => {
      if (action && event.action !== action) return false;
      if (client) {
        const fields = detailFields(event.detail);
        const haystack = fields.client !== undefined ? fields.client : String(event.detail);
        if (!haystack.toLowerCase().includes(client)) return false;
      }
      const time = new Date(event.time).getTime();
      if (from !== null && time < from) return false;
      if (to !== null && time > to + 59999) return false; // the minute given is included
      return true;
    });
  }

  const auditColumns = [
    { stable: true, class: 'nowrap', render: (event) => timeCell(event.time) },
    { stable: true, render: (event) => event.actor },
    // A tally row (failed authentications, one per address and minute) grows while its minute
    // lasts: its count and latest detail are redrawn.
    { render: (event) => [el('span', { class: 'event event-' + auditMeaning(event.action) }, event.action),
      Number(event.count) > 1 ? el('span', { class: 'tally', title: count(event.count) + ' events in this row' }, ' ×' + count(event.count)) : null] },
    { class: 'detail', render: (event) => linkedDetail(event.detail) },
  ];

  function renderAudit() {
    const matching = filteredAudit(auditState.events);
    auditState.shown = matching;
    const filtered = $('audit-action').value || $('audit-client').value.trim() || $('audit-from').value || $('audit-to').value;
    syncRows($('audit-rows'), matching.slice(0, AUDIT_SHOWN), (event) => event.id, auditColumns,
      filtered ? 'No event matches the filters.' : 'The audit log is empty.');
    const total = auditState.total || 0;
    setText($('audit-count'),
      (filtered ? count(matching.length) + ' matching of ' : '') + count(total) + (total === 1 ? ' event' : ' events') +
      (matching.length > AUDIT_SHOWN ? '; the newest ' + AUDIT_SHOWN + ' shown' : '') +
      (total > auditState.events.length ? '; filters search the newest ' + count(auditState.events.length) : ''));
    $('audit-csv').disabled = matching.length === 0;
    const actions = new Set(['token.issued', 'token.revoked', 'session.terminated', 'stream.closed', 'auth.failed']);
    for (const event of auditState.events) actions.add(event.action);
    const select = $('audit-action');
    if (select.options.length - 1 !== actions.size) {
      const chosen = select.value;
      select.replaceChildren(el('option', { value: '' }, 'Any action'),
        ...Array.from(actions).sort().map((name) => el('option', { value: name }, name)));
      select.value = chosen;
    }
  }

  views.audit = {
    section: 'view-audit',
    interval: LIST_INTERVAL_MS,
    load: () => api('GET', '/v1/audit', { query: { limit: MAX_PAGE, offset: 0 } }),
    render(page) {
      auditState.events = Array.isArray(page.events) ? page.events : [];
      auditState.total = Number(page.total) || 0;
      renderAudit();
    },
  };

  /** RFC 4180 CSV: every field quoted; a leading = + - @ is defused for spreadsheets. */
  function csvField(value) {
    let text = String(value === null || value === undefined ? '' : value);
    if (/^[=+\-@\t\r]/.test(text)) text = "'" + text;
    return '"' + text.replace(/"/g, '""') + '"';
  }

  function exportAuditCSV() {
    const lines = [['id', 'time', 'actor', 'action', 'count', 'detail'].join(',')];
    for (const event of auditState.shown) {
      lines.push([event.id, event.time, event.actor, event.action, event.count === undefined ? 1 : event.count, event.detail]
        .map(csvField).join(','));
    }
    const blob = new Blob([lines.join('\r\n') + '\r\n'], { type: 'text/csv' });
    const url = URL.createObjectURL(blob);
    const link = el('a', { href: url, download: 'ztp-audit-' + formatLocal(new Date()).replace(/[: ]/g, '-') + '.csv', class: 'offscreen' });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    flash('Exported ' + count(auditState.shown.length) + ' audit events as CSV.');
  }

  // ---------------------------------------------------------------------------------------
  // Router and the refresh loop

  let current = null;       // { view, arg }
  let generation = 0;       // bumped on every navigation; stale responses are dropped
  let timer = null;

  function parseHash() {
    let path = location.hash.replace(/^#\/?/, '');
    try { path = decodeURIComponent(path); } catch (_) { path = ''; }
    const [name, ...rest] = path.split('/');
    const arg = rest.join('/');
    if (name === 'sessions' && arg) return { name: 'session', arg, tab: 'sessions' };
    if (name === 'tokens' && arg) return { name: 'token', arg, tab: 'tokens' };
    if (views[name] && name !== 'session' && name !== 'token') return { name, arg: '', tab: name };
    return { name: 'overview', arg: '', tab: 'overview' };
  }

  function route(moveFocus) {
    const { name, arg, tab } = parseHash();
    const view = views[name];
    for (const key of Object.keys(views)) $(views[key].section).hidden = key !== name;
    for (const link of document.querySelectorAll('.tabs a')) {
      if (link.getAttribute('data-view') === tab) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    current = { view, arg };
    // A freshly issued token is shown once: leaving the tokens view forgets it.
    if (name !== 'tokens') hideIssued();
    if (view.enter) view.enter(arg);
    renderHealth($(view.section));
    if (moveFocus) {
      const heading = $(view.section).querySelector('h1');
      if (heading) heading.focus();
    }
    document.title = ($(view.section).querySelector('h1').textContent || 'ZTP') + ' · ZTP management';
    refreshNow();
  }

  /**
   * Loads the current view now, then again every `interval` ms while it is live; after a
   * failure it retries every RETRY_MS whatever the interval, until a load succeeds.
   */
  function refreshNow() {
    generation += 1;
    clearTimeout(timer);
    const mine = generation;
    const { view, arg } = current;
    const section = $(view.section);
    const tick = async () => {
      if (mine !== generation) return;
      let failed = false;
      if (!document.hidden) {
        try {
          const data = await view.load(arg);
          if (mine !== generation) return;
          view.render(data, arg);
          loadSucceeded(section);
        } catch (error) {
          if (mine !== generation || error instanceof SignedOut) return;
          failed = true;
          loadFailed(section, error);
        }
      }
      if (mine !== generation) return;
      if (failed) timer = setTimeout(tick, RETRY_MS);
      else if (view.interval > 0) timer = setTimeout(tick, view.interval);
    };
    tick();
  }

  function stopRefreshing() {
    generation += 1;
    clearTimeout(timer);
  }

  // ---------------------------------------------------------------------------------------
  // Sign-in and sign-out

  function showLogin(message, keepKey) {
    stopRefreshing();
    stopHeaderLoop();
    $('app-view').hidden = true;
    $('sign-out').hidden = true;
    $('server-summary').hidden = true;
    $('login-view').hidden = false;
    $('login-error').textContent = message || '';
    if (!keepKey) $('admin-key').value = '';
    $('admin-key').setAttribute('aria-invalid', message && keepKey ? 'true' : 'false');
    document.title = 'Sign in · ZTP management';
    $('admin-key').focus();
    if (keepKey) $('admin-key').select();
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY_STORAGE);
    rolesCache = null;
    lastServerInfo = null;
    hideIssued();
    showLogin(message, false);
  }

  async function showApp() {
    $('login-view').hidden = true;
    $('app-view').hidden = false;
    $('sign-out').hidden = false;
    try {
      lastServerInfo = await api('GET', '/v1/server');
      headerState.lastOk = Date.now();
      renderServerSummary();
      await loadRoles(true);
    } catch (error) {
      if (error instanceof SignedOut) return false;
      // The view's own load reports the problem, and the loops retry.
    }
    startHeaderLoop();
    route(false);
    return true;
  }

  async function signIn(event) {
    event.preventDefault();
    const key = $('admin-key').value.trim();
    if (!key) {
      $('login-error').textContent = 'Enter the admin key.';
      $('admin-key').setAttribute('aria-invalid', 'true');
      $('admin-key').focus();
      return;
    }
    $('login-submit').disabled = true;
    $('login-error').textContent = '';
    try {
      await api('GET', '/v1/server', { key, signingIn: true });
    } catch (error) {
      $('login-submit').disabled = false;
      // The key stays in the field (selected), so a typo can be fixed rather than retyped.
      const message = error instanceof ApiError && error.status === 401
        ? 'This admin key is not accepted. Check ZTP_ADMIN_KEY or DATA_DIR/admin.key on the server.'
        : 'Cannot reach the server to check the key: ' + errorText(error);
      showLogin(message, true);
      return;
    }
    sessionStorage.setItem(KEY_STORAGE, key);
    $('login-submit').disabled = false;
    $('admin-key').value = '';
    if (await showApp()) {
      const heading = $(current.view.section).querySelector('h1');
      if (heading) heading.focus();
    }
  }

  // ---------------------------------------------------------------------------------------
  // Wiring

  function debounce(fn, ms) {
    let handle = null;
    return (...args) => { clearTimeout(handle); handle = setTimeout(() => fn(...args), ms); };
  }

  function wire() {
    $('login-form').addEventListener('submit', signIn);
    $('sign-out').addEventListener('click', () => signOut('Signed out.'));
    window.addEventListener('hashchange', () => {
      if (!$('app-view').hidden) route(true);
    });
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && current && !$('app-view').hidden) refreshNow();
    });

    $('copy-server-key').addEventListener('click', (event) =>
      copyText($('server-key').textContent, event.currentTarget));

    // Sessions: the role and the sort keys go to the API; the client search (a substring)
    // and the rate sorts are applied here, to every live session fetched.
    const redrawSessions = () => refreshNow();
    $('sessions-filter').addEventListener('submit', (event) => { event.preventDefault(); redrawSessions(); });
    $('sessions-client').addEventListener('input', debounce(redrawSessions, 200));
    for (const id of ['sessions-role', 'sessions-sort', 'sessions-order', 'sessions-live']) {
      $(id).addEventListener('change', redrawSessions);
    }
    for (const th of document.querySelectorAll('#view-sessions th[data-sort]')) {
      th.querySelector('button').addEventListener('click', () => {
        const sort = th.getAttribute('data-sort');
        if ($('sessions-sort').value === sort) {
          $('sessions-order').value = $('sessions-order').value === 'asc' ? 'desc' : 'asc';
        } else {
          $('sessions-sort').value = sort;
          $('sessions-order').value = 'desc';
        }
        redrawSessions();
      });
    }

    $('session-terminate').addEventListener('click', async () => {
      const snapshot = sessionState.snapshot;
      if (!snapshot) return;
      if (await terminateSession(snapshot)) refreshNow();
    });
    $('session-revoke').addEventListener('click', async () => {
      const snapshot = sessionState.snapshot;
      if (!snapshot) return;
      if (await revokeToken({ jti: snapshot.token_jti, client_id: snapshot.client_id, role: snapshot.role })) refreshNow();
    });
    $('token-revoke').addEventListener('click', async () => {
      if (tokenState.token && await revokeToken(tokenState.token)) refreshNow();
    });

    // Tokens.
    const resetTokens = () => { tokensState.offset = 0; refreshNow(); };
    $('tokens-filter').addEventListener('submit', (event) => { event.preventDefault(); resetTokens(); });
    $('tokens-state').addEventListener('change', resetTokens);
    $('tokens-client').addEventListener('input', debounce(resetTokens, 300));
    $('tokens-refresh').addEventListener('click', () => refreshNow());
    $('issue-form').addEventListener('submit', issueToken);
    $('issued-copy').addEventListener('click', (event) => copyText($('issued-token').value, event.currentTarget));
    $('issued-copy-command').addEventListener('click', (event) => copyText($('issued-command').value, event.currentTarget));
    $('issued-done').addEventListener('click', () => { hideIssued(); $('issue-client').focus(); });

    $('roles-refresh').addEventListener('click', () => refreshNow());

    // Audit: the filters work on the events already loaded, at once.
    $('audit-filter').addEventListener('submit', (event) => event.preventDefault());
    for (const id of ['audit-action', 'audit-from', 'audit-to']) $(id).addEventListener('change', renderAudit);
    $('audit-client').addEventListener('input', debounce(renderAudit, 150));
    $('audit-refresh').addEventListener('click', () => refreshNow());
    $('audit-csv').addEventListener('click', exportAuditCSV);
  }

  function start() {
    wire();
    if (sessionStorage.getItem(KEY_STORAGE)) showApp();
    else showLogin('', false);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
