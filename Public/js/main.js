// ZTP management dashboard: the entry module (sign-in, routing, wiring). Plain ES modules, one
// per view under views/, no build step, no dependencies.
//
// Rules kept throughout:
// - The admin key lives in sessionStorage only and travels only in the Authorization header.
// - Every value from the server reaches the DOM through textContent or an attribute set with
//   setAttribute (never innerHTML), so no data is ever parsed as markup.
// - A 401 from any call forgets the key and returns to the sign-in form.

import { $ } from './dom.js';
import { ApiError, SignedOut, api, errorText, onUnauthorized } from './api.js';
import { KEY_STORAGE } from './config.js';
import { headerState, renderServerSummary, server, startHeaderLoop, stopHeaderLoop } from './header.js';
import { health, renderHealth, viewHealth } from './live.js';
import { current, refreshNow, registerViews, route, stopRefreshing } from './refresh.js';
import { copyText } from './ui.js';
import { auditView, exportAuditCSV, renderAudit } from './views/audit.js';
import { eventsView, wireEvents } from './views/events.js';
import { overviewView } from './views/overview.js';
import { loadRoles, resetRoles, rolesView } from './views/roles.js';
import { sessionState, sessionView } from './views/session.js';
import { sessionsView, terminateSession } from './views/sessions.js';
import { tokenState, tokenView } from './views/token.js';
import { hideIssued, issueToken, revokeToken, tokensState, tokensView } from './views/tokens.js';

// The status lines count seconds while a view is stale.
setInterval(() => {
  for (const id of viewHealth.keys()) {
    const section = document.getElementById(id);
    if (section && !section.hidden && health(section).failing) renderHealth(section);
  }
  renderServerSummary();
}, 1000);

// Sign-in and sign-out

export function showLogin(message, keepKey) {
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

export function signOut(message) {
  sessionStorage.removeItem(KEY_STORAGE);
  resetRoles();
  server.info = null;
  hideIssued();
  showLogin(message, false);
}

export async function showApp() {
  $('login-view').hidden = true;
  $('app-view').hidden = false;
  $('sign-out').hidden = false;
  try {
    server.info = await api('GET', '/v1/server');
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

export async function signIn(event) {
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

// Wiring

export function debounce(fn, ms) {
  let handle = null;
  return (...args) => { clearTimeout(handle); handle = setTimeout(() => fn(...args), ms); };
}

export function wire() {
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
  for (const id of ['sessions-role', 'sessions-node', 'sessions-sort', 'sessions-order', 'sessions-live']) {
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

  wireEvents();
}

function start() {
  registerViews({
    overview: overviewView, sessions: sessionsView, session: sessionView, tokens: tokensView,
    token: tokenView, roles: rolesView, events: eventsView, audit: auditView,
  });
  onUnauthorized(signOut);
  wire();
  if (sessionStorage.getItem(KEY_STORAGE)) showApp();
  else showLogin('', false);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
