// Formatting of times, durations, byte counts and ids.

import { el } from './dom.js';

// Formatting

export const numberFormat = new Intl.NumberFormat();
export const pad = (value) => String(value).padStart(2, '0');

/** Local time as YYYY-MM-DD HH:MM:SS: unambiguous whatever the browser's locale. */
export function formatLocal(date) {
  return date.getFullYear() + '-' + pad(date.getMonth() + 1) + '-' + pad(date.getDate()) + ' ' +
    pad(date.getHours()) + ':' + pad(date.getMinutes()) + ':' + pad(date.getSeconds());
}

/**
 * A <time> in local time; the exact UTC value is in its title. `compact` drops today's date
 * (for narrow table columns).
 */
export function timeCell(iso, compact) {
  if (!iso) return el('span', { class: 'muted', text: '—' });
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  let text = formatLocal(date);
  if (compact && text.slice(0, 10) === formatLocal(new Date()).slice(0, 10)) text = text.slice(11);
  return el('time', { datetime: iso, title: text + ' local, ' + iso }, text);
}

/** "12 s ago" with the exact time in the title. */
export function agoCell(iso) {
  if (!iso) return el('span', { class: 'muted', text: '—' });
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const seconds = Math.max(0, Math.round((Date.now() - date.getTime()) / 1000));
  const text = seconds < 2 ? 'just now' : formatDuration(seconds) + ' ago';
  return el('time', { datetime: iso, title: formatLocal(date) + ' local, ' + iso }, text);
}

export function formatDuration(total) {
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

export function formatBytes(value) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let size = Number(value) || 0;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) { size /= 1024; unit += 1; }
  return (unit === 0 ? String(size) : size.toFixed(size < 10 ? 1 : 0)) + ' ' + units[unit];
}

export function bytesCell(value) {
  return el('span', { title: numberFormat.format(Number(value) || 0) + ' bytes' }, formatBytes(value));
}

export function count(value) {
  return numberFormat.format(Number(value) || 0);
}

export function shortID(id, length = 12) {
  const text = String(id || '');
  return text.length > length ? text.slice(0, length) + '…' : text;
}

export function clockTime() {
  return new Date().toLocaleTimeString(undefined, { hour12: false });
}
