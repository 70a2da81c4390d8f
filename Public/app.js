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
  const OVERVIEW_INTERVAL_MS = 5000;
  const PAGE_SIZE = { sessions: 100, tokens: 50, audit: 50 };

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

  function shortID(id) {
    const text = String(id || '');
    return text.length > 12 ? text.slice(0, 12) + '…' : text;
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
    const key = sessionStorage.getItem(KEY_STORAGE);
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
    if (response.status === 401) {
      const problem = await readProblem(response);
      signOut('The server refused the admin key (401' + (problem.detail ? ': ' + problem.detail : '') + ').');
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

  /** Shows (or clears, with null) a view's error box; unchanged text is not re-announced. */
  function showError(section, error) {
    const box = section.querySelector('[data-error]');
    if (!box) return;
    if (error === null) { box.hidden = true; setText(box, ''); return; }
    setText(box, errorText(error));
    box.hidden = false;
  }

  function markUpdated(section) {
    const node = section.querySelector('[data-updated]');
    if (node) setText(node, 'Updated ' + clockTime());
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
  // Views. Each has load(arg) -> data and render(data, arg); `interval` (ms) makes it live.

  const views = {};

  // Server ---------------------------------------------------------------------------------
  let lastServerInfo = null;

  function renderServerSummary(info) {
    const summary = $('server-summary');
    summary.replaceChildren(
      el('span', {}, 'v' + info.version + ' · ' + info.protocol),
      ' · ',
      el('span', { title: 'Server key fingerprint' }, info.fingerprint),
      ' · ',
      el('span', {}, count(info.sessions) + (info.sessions === 1 ? ' session' : ' sessions')),
    );
    summary.hidden = false;
  }

  function facts(list, rows) {
    const items = [];
    for (const [term, value] of rows) {
      items.push(el('div', { class: 'fact' }, el('dt', {}, term), el('dd', {}, value)));
    }
    replaceContent(list, items);
  }

  views.overview = {
    section: 'view-overview',
    interval: OVERVIEW_INTERVAL_MS,
    load: () => api('GET', '/v1/server'),
    render(info) {
      lastServerInfo = info;
      renderServerSummary(info);
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

  // Sessions -------------------------------------------------------------------------------
  const sessionsState = { offset: 0 };

  function sessionQuery() {
    return {
      client_id: $('sessions-client').value.trim(),
      role: $('sessions-role').value,
      sort: $('sessions-sort').value,
      order: $('sessions-order').value,
      limit: PAGE_SIZE.sessions,
      offset: sessionsState.offset,
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

  const sessionColumns = [
    { header: true, stable: true, render: (session) => el('a', {
      href: '#/sessions/' + segment(session.id), class: 'mono', title: session.id,
      'aria-label': 'Session ' + session.id }, shortID(session.id)) },
    { stable: true, render: (session) => session.client_id },
    { stable: true, render: (session) => el('span', { class: 'badge' }, session.role) },
    { stable: true, class: 'mono', render: (session) => session.remote_address },
    { stable: true, render: (session) => timeCell(session.connected_at, true) },
    { render: (session) => agoCell(session.last_activity_at) },
    { class: 'num', render: (session) => bytesCell(session.bytes_in) },
    { class: 'num', render: (session) => bytesCell(session.bytes_out) },
    { class: 'num', render: (session) => count(session.frames_in) + ' / ' + count(session.frames_out) },
    { class: 'num', render: (session) => count(session.streams_open) },
    { class: 'num', render: (session) => count(session.key_epoch) },
    { stable: true, class: 'actions', render: (session, row) => [
      el('a', { href: '#/sessions/' + segment(session.id), class: 'button secondary small',
                'aria-label': 'Details of session ' + session.id }, 'Details'),
      el('button', {
        type: 'button', class: 'button danger small',
        'aria-label': 'Terminate session ' + session.id + ' of ' + session.client_id,
        onclick: async () => { if (await terminateSession(row.item)) refreshNow(); },
      }, 'Terminate'),
    ] },
  ];

  views.sessions = {
    section: 'view-sessions',
    get interval() { return $('sessions-live').checked ? LIVE_INTERVAL_MS : 0; },
    load: () => api('GET', '/v1/sessions', { query: sessionQuery() }),
    render(page) {
      updateSortHeaders();
      const sessions = Array.isArray(page.sessions) ? page.sessions : [];
      const filtered = $('sessions-client').value.trim() || $('sessions-role').value;
      syncRows($('sessions-rows'), sessions, (session) => session.id, sessionColumns,
        filtered ? 'No live session matches the filter.' : 'No client is connected.');
      renderPager($('sessions-pager'), page, (offset) => { sessionsState.offset = offset; refreshNow(); });
      if (lastServerInfo && !filtered) {
        lastServerInfo.sessions = page.total;
        renderServerSummary(lastServerInfo);
      }
    },
  };

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
    },
    async load(id) {
      try {
        return await api('GET', '/v1/sessions/' + segment(id));
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return { ended: true, detail: error.detail };
        throw error;
      }
    },
    render(session, id) {
      if (session.ended) {
        sessionState.ended = true;
        const ended = $('session-ended');
        ended.textContent = sessionState.snapshot
          ? 'This session has ended. The last state seen is shown below; the audit log may say why.'
          : 'There is no live session ' + id + (session.detail ? ' (404: ' + session.detail + ')' : '') +
            '. It may have ended; see the live sessions or the audit log.';
        ended.hidden = false;
        $('session-details-card').hidden = $('session-streams-card').hidden = !sessionState.snapshot;
        $('session-terminate').disabled = true;
        for (const button of $('streams-rows').querySelectorAll('button')) button.disabled = true;
        return;
      }
      sessionState.snapshot = session;
      facts($('session-facts'), [
        ['Session id', el('code', {}, session.id)],
        ['Client', session.client_id],
        ['Role', el('span', { class: 'badge' }, session.role)],
        ['Token (jti)', el('code', {}, session.token_jti)],
        ['Remote address', el('code', {}, session.remote_address)],
        ['Connected', timeCell(session.connected_at)],
        ['Last activity', agoCell(session.last_activity_at)],
        ['Bytes in / out', [bytesCell(session.bytes_in), ' / ', bytesCell(session.bytes_out)]],
        ['Frames in / out', count(session.frames_in) + ' / ' + count(session.frames_out)],
        ['Open streams', count(session.streams_open)],
        ['Key epoch', count(session.key_epoch)],
      ]);
      const streams = Array.isArray(session.streams) ? session.streams : [];
      syncRows($('streams-rows'), streams, (stream) => stream.id, streamColumns, 'No stream is open.');
    },
  };

  const streamColumns = [
    { header: true, stable: true, class: 'num', render: (stream) => String(stream.id) },
    { stable: true, render: (stream) => el('span', { class: 'badge' }, stream.kind) },
    { stable: true, render: (stream) => timeCell(stream.opened_at, true) },
    { render: (stream) => agoCell(stream.last_activity_at) },
    { class: 'num', render: (stream) => [bytesCell(stream.bytes_in), ' / ', bytesCell(stream.bytes_out)] },
    { class: 'num', render: (stream) => count(stream.frames_in) + ' / ' + count(stream.frames_out) },
    { class: 'num', render: (stream) => bytesCell(stream.send_window) },
    { class: 'num', render: (stream) => bytesCell(stream.receive_window) },
    { stable: true, class: 'actions', render: (stream, row) => el('button', {
      type: 'button', class: 'button danger small',
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
      'Token ' + token.jti + ' of client "' + token.client_id + '" (' + token.role + ') will be revoked for good. ' +
        'Every live session opened with it is closed with TOKEN_REVOKED at once.',
      'Revoke');
    if (!ok) return;
    try {
      await api('DELETE', '/v1/tokens/' + segment(token.jti));
      flash('Token ' + shortID(token.jti) + ' of ' + token.client_id + ' revoked.');
    } catch (error) {
      if (error instanceof SignedOut) return;
      flash('Could not revoke the token: ' + errorText(error));
    }
    refreshNow();
  }

  const tokenColumns = [
    { header: true, stable: true, render: (token) => el('code', {}, token.jti) },
    { stable: true, render: (token) => token.client_id },
    { stable: true, render: (token) => el('span', { class: 'badge' }, token.role) },
    { render: (token) => el('span', { class: 'state state-' + String(token.state).replace(/[^a-z]/g, '') }, token.state) },
    { stable: true, render: (token) => timeCell(token.issued_at) },
    { stable: true, render: (token) => timeCell(token.expires_at) },
    { render: (token) => timeCell(token.revoked_at) },
    { class: 'actions', render: (token, row) => token.state === 'revoked' ? null : el('button', {
      type: 'button', class: 'button danger small',
      'aria-label': 'Revoke token ' + token.jti + ' of ' + token.client_id,
      onclick: () => revokeToken(row.item),
    }, 'Revoke') },
  ];

  views.tokens = {
    section: 'view-tokens',
    interval: 0,
    enter() {
      loadRoles(false).catch((error) => {
        if (!(error instanceof SignedOut)) showError($('view-tokens'), error);
      });
    },
    load: () => api('GET', '/v1/tokens', {
      query: {
        state: $('tokens-state').value,
        client_id: $('tokens-client').value.trim(),
        limit: PAGE_SIZE.tokens,
        offset: tokensState.offset,
      },
    }),
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

  function showIssued(issued) {
    const meta = $('issued-meta');
    meta.replaceChildren(
      'For client ', el('strong', {}, issued.client_id), ' with role ', el('strong', {}, issued.role),
      ', token id ', el('code', {}, issued.jti), ', expires ', timeCell(issued.expires_at), '.');
    $('issued-token').value = issued.token;
    const panel = $('issued');
    panel.hidden = false;
    panel.focus();
  }

  function hideIssued() {
    $('issued-token').value = '';
    $('issued-meta').replaceChildren();
    $('issued').hidden = true;
  }

  // Roles ----------------------------------------------------------------------------------
  views.roles = {
    section: 'view-roles',
    interval: 0,
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
  const auditState = { offset: 0 };

  views.audit = {
    section: 'view-audit',
    interval: 0,
    load: () => api('GET', '/v1/audit', { query: { limit: PAGE_SIZE.audit, offset: auditState.offset } }),
    render(page) {
      const events = Array.isArray(page.events) ? page.events : [];
      const rows = events.map((event) => el('tr', {},
        el('td', { class: 'nowrap' }, timeCell(event.time)),
        el('td', {}, event.actor),
        el('td', {}, el('span', { class: 'event event-' + String(event.action).split('.')[0].replace(/[^a-z]/g, '') }, event.action)),
        el('td', { class: 'detail' }, event.detail)));
      replaceContent($('audit-rows'), rows.length ? rows : [emptyRow(4, 'The audit log is empty.')]);
      renderPager($('audit-pager'), page, (offset) => { auditState.offset = offset; refreshNow(); });
    },
  };

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
    if (views[name]) return { name, arg: '', tab: name };
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
    if (moveFocus) {
      const heading = $(view.section).querySelector('h1');
      if (heading) heading.focus();
    }
    document.title = ($(view.section).querySelector('h1').textContent || 'ZTP') + ' · ZTP management';
    refreshNow();
  }

  /** Loads the current view now, then again every `interval` ms while it is live. */
  function refreshNow() {
    generation += 1;
    clearTimeout(timer);
    const mine = generation;
    const { view, arg } = current;
    const section = $(view.section);
    const tick = async () => {
      if (mine !== generation) return;
      if (!document.hidden) {
        try {
          const data = await view.load(arg);
          if (mine !== generation) return;
          view.render(data, arg);
          showError(section, null);
          markUpdated(section);
        } catch (error) {
          if (mine !== generation || error instanceof SignedOut) return;
          showError(section, error);
        }
      }
      if (mine === generation && view.interval > 0) timer = setTimeout(tick, view.interval);
    };
    tick();
  }

  function stopRefreshing() {
    generation += 1;
    clearTimeout(timer);
  }

  // ---------------------------------------------------------------------------------------
  // Sign-in and sign-out

  function showLogin(message) {
    stopRefreshing();
    $('app-view').hidden = true;
    $('sign-out').hidden = true;
    $('server-summary').hidden = true;
    $('login-view').hidden = false;
    $('login-error').textContent = message || '';
    $('admin-key').value = '';
    $('admin-key').setAttribute('aria-invalid', message ? 'true' : 'false');
    document.title = 'Sign in · ZTP management';
    $('admin-key').focus();
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY_STORAGE);
    rolesCache = null;
    lastServerInfo = null;
    hideIssued();
    showLogin(message);
  }

  async function showApp() {
    $('login-view').hidden = true;
    $('app-view').hidden = false;
    $('sign-out').hidden = false;
    try {
      const info = await api('GET', '/v1/server');
      lastServerInfo = info;
      renderServerSummary(info);
      await loadRoles(true);
    } catch (error) {
      if (error instanceof SignedOut) return false;
      // The view's own load reports the problem.
    }
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
    sessionStorage.setItem(KEY_STORAGE, key);
    try {
      await api('GET', '/v1/server');
    } catch (error) {
      $('login-submit').disabled = false;
      if (!(error instanceof SignedOut)) {
        sessionStorage.removeItem(KEY_STORAGE);
        $('login-error').textContent = 'Cannot sign in: ' + errorText(error);
      }
      return;
    }
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

    // Sessions: filters, sort select and sortable column headers all drive the API's params.
    const resetSessions = () => { sessionsState.offset = 0; refreshNow(); };
    $('sessions-filter').addEventListener('submit', (event) => { event.preventDefault(); resetSessions(); });
    $('sessions-client').addEventListener('input', debounce(resetSessions, 300));
    for (const id of ['sessions-role', 'sessions-sort', 'sessions-order', 'sessions-live']) {
      $(id).addEventListener('change', resetSessions);
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
        resetSessions();
      });
    }

    $('session-terminate').addEventListener('click', async () => {
      const snapshot = sessionState.snapshot;
      if (!snapshot) return;
      if (await terminateSession(snapshot)) refreshNow();
    });

    // Tokens.
    const resetTokens = () => { tokensState.offset = 0; refreshNow(); };
    $('tokens-filter').addEventListener('submit', (event) => { event.preventDefault(); resetTokens(); });
    $('tokens-state').addEventListener('change', resetTokens);
    $('tokens-client').addEventListener('input', debounce(resetTokens, 300));
    $('tokens-refresh').addEventListener('click', () => refreshNow());
    $('issue-form').addEventListener('submit', issueToken);
    $('issued-copy').addEventListener('click', (event) => copyText($('issued-token').value, event.currentTarget));
    $('issued-done').addEventListener('click', () => { hideIssued(); $('issue-client').focus(); });

    $('audit-refresh').addEventListener('click', () => refreshNow());
  }

  function start() {
    wire();
    if (sessionStorage.getItem(KEY_STORAGE)) showApp();
    else showLogin('');
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
