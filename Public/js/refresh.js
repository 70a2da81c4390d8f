// The router's state and the refresh loop: each view reloads on its interval and retries after a failure.

import { $ } from './dom.js';
import { SignedOut } from './api.js';
import { RETRY_MS } from './config.js';
import { loadFailed, loadSucceeded, renderHealth } from './live.js';
import { hideIssued } from './views/tokens.js';

// Router and the refresh loop

export let current = null;       // { view, arg }
let generation = 0;       // bumped on every navigation; stale responses are dropped
let timer = null;

let views = {};
/** The views by route name; set once by main.js (views import refreshNow from here). */
export function registerViews(all) { views = all; }

export function parseHash() {
  let path = location.hash.replace(/^#\/?/, '');
  try { path = decodeURIComponent(path); } catch (_) { path = ''; }
  const [name, ...rest] = path.split('/');
  const arg = rest.join('/');
  if (name === 'sessions' && arg) return { name: 'session', arg, tab: 'sessions' };
  if (name === 'tokens' && arg) return { name: 'token', arg, tab: 'tokens' };
  if (views[name] && name !== 'session' && name !== 'token') return { name, arg: '', tab: name };
  return { name: 'overview', arg: '', tab: 'overview' };
}

export function route(moveFocus) {
  const { name, arg, tab } = parseHash();
  const view = views[name];
  // A view holding a connection (the event stream) closes it when left.
  if (current && current.view !== view && current.view.leave) current.view.leave();
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
export function refreshNow() {
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

export function stopRefreshing() {
  generation += 1;
  clearTimeout(timer);
  if (current && current.view.leave) current.view.leave();
  current = null;
}
