// Shared widgets: the status toast, the confirmation dialog, copy buttons, pagers, fact lists, links.

import { segment } from './api.js';
import { $, el, replaceContent, setText } from './dom.js';
import { count } from './format.js';

// Messages

export let flashTimer = null;
export function flash(text) {
  const node = $('flash');
  node.textContent = text;
  node.classList.add('visible');
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => { node.classList.remove('visible'); node.textContent = ''; }, 5000);
}

// Confirmation dialog

export function confirmAction(title, message, confirmLabel) {
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

// Clipboard

export async function copyText(text, button) {
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

// Paging

/** "1–50 of 120" with Previous / Next; the buttons are made once and updated in place. */
export function renderPager(container, page, onOffset) {
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

export function emptyRow(columns, text) {
  return el('tr', { class: 'empty' }, el('td', { colspan: columns }, text));
}

// Views. Each has load(arg) -> data and render(data, arg); `interval` (ms) makes it live.

export function facts(list, rows) {
  const items = [];
  for (const [term, value] of rows) {
    items.push(el('div', { class: 'fact' }, el('dt', {}, term), el('dd', {}, value)));
  }
  replaceContent(list, items);
}

/** A small "Copy" button for an id; its label says what it copies. */
export function copyButton(text, what) {
  return el('button', {
    type: 'button', class: 'button secondary small copy',
    'aria-label': 'Copy ' + what,
    onclick: (event) => copyText(text, event.currentTarget),
  }, 'Copy');
}

/** An id with its copy button, for the facts lists. */
export function idWithCopy(text, what, href) {
  const value = href ? el('a', { href, class: 'mono' }, text) : el('code', {}, text);
  return el('span', { class: 'id-copy' }, value, ' ', copyButton(text, what));
}

export const tokenHref = (jti) => '#/tokens/' + segment(jti);
export const sessionHref = (id) => '#/sessions/' + segment(id);
