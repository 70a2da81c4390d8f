// The tokens view: issue (with a ready ztp-client command line), list, revoke.

import { SignedOut, api, errorText, segment } from '../api.js';
import { LIST_INTERVAL_MS, PAGE_SIZE } from '../config.js';
import { $, el, syncRows } from '../dom.js';
import { shortID, timeCell } from '../format.js';
import { server } from '../header.js';
import { refreshNow } from '../refresh.js';
import { confirmAction, flash, renderPager, tokenHref } from '../ui.js';
import { hasRoles, loadRoles } from './roles.js';

// Tokens
export const tokensState = { offset: 0 };

export async function revokeToken(token) {
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

export const stateBadge = (token) =>
  el('span', { class: 'state state-' + String(token.state).replace(/[^a-z]/g, '') }, token.state);

export const tokenColumns = [
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

export const tokensView = {
  section: 'view-tokens',
  interval: LIST_INTERVAL_MS,
  load: async () => {
    if (!hasRoles()) await loadRoles(false);
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

export function lifetimeSeconds() {
  const amount = Number($('issue-ttl').value);
  const unit = Number($('issue-ttl-unit').value);
  if (!Number.isInteger(amount) || amount < 1) return null;
  return amount * unit;
}

export async function issueToken(event) {
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
export const shellQuote = (text) => "'" + String(text).replace(/'/g, "'\\''") + "'";

/**
 * A ready command line for the new client: the token in the environment (not in argv, where
 * `ps` shows it), the ZTP address, and the server key pinned.
 */
export function clientCommand(issued) {
  const info = server.info || {};
  let address = String(info.ztp_listen || '127.0.0.1:9999');
  // A wildcard listener is reached at the host this page came from.
  address = address.replace(/^(0\.0\.0\.0|\[::\]|::)(?=:\d+$)/, location.hostname.includes(':') ? '[' + location.hostname + ']' : location.hostname);
  const parts = ['ZTP_TOKEN=' + shellQuote(issued.token), 'ztp-client', '--server', address];
  if (info.server_public_key) parts.push('--server-key', String(info.server_public_key));
  return parts.join(' ');
}

export function showIssued(issued) {
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

export function hideIssued() {
  $('issued-token').value = '';
  $('issued-command').value = '';
  $('issued-meta').replaceChildren();
  $('issued').hidden = true;
}
