// The audit log: filters by action, client and time, colours by meaning, linked ids, CSV export.

import { api } from '../api.js';
import { AUDIT_SHOWN, LIST_INTERVAL_MS, MAX_PAGE } from '../config.js';
import { $, el, setText, syncRows } from '../dom.js';
import { count, formatLocal, timeCell } from '../format.js';
import { flash, sessionHref, tokenHref } from '../ui.js';

// Audit
/** The meaning of an action, which picks its colour: issued, revoked, failed, terminated. */
export function auditMeaning(action) {
  const verb = String(action).split('.').pop();
  if (verb === 'issued') return 'issued';
  if (verb === 'revoked') return 'revoked';
  if (verb === 'failed') return 'failed';
  if (verb === 'terminated' || verb === 'closed') return 'terminated';
  return 'other';
}

/** `key=value` fields of an audit detail, e.g. jti=… client=… session=…. */
export function detailFields(detail) {
  const fields = {};
  for (const match of String(detail).matchAll(/(^|\s)([a-z_]+)=(\S+)/g)) fields[match[2]] = match[3];
  return fields;
}

/** The detail text with token and session ids turned into links (text nodes only). */
export function linkedDetail(detail) {
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

export const auditState = { events: [], shown: [] };

/** The audit events that pass the action, client and time filters. */
export function filteredAudit(events) {
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

export const auditColumns = [
  { stable: true, class: 'nowrap', render: (event) => timeCell(event.time) },
  { stable: true, render: (event) => event.actor },
  // A tally row (failed authentications, one per address and minute) grows while its minute
  // lasts: its count and latest detail are redrawn.
  { render: (event) => [el('span', { class: 'event event-' + auditMeaning(event.action) }, event.action),
    Number(event.count) > 1 ? el('span', { class: 'tally', title: count(event.count) + ' events in this row' }, ' ×' + count(event.count)) : null] },
  { class: 'detail', render: (event) => linkedDetail(event.detail) },
];

export function renderAudit() {
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

export const auditView = {
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
export function csvField(value) {
  let text = String(value === null || value === undefined ? '' : value);
  if (/^[=+\-@\t\r]/.test(text)) text = "'" + text;
  return '"' + text.replace(/"/g, '""') + '"';
}

export function exportAuditCSV() {
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
