// Honest live state: how fresh each view is; stale views are dimmed, their actions disabled.

import { errorText } from './api.js';
import { setText } from './dom.js';
import { clockTime, formatDuration } from './format.js';

// Honest live state: every view says when its data was last fresh; after a failure it is
// dimmed, its actions are disabled and it keeps retrying.

export const viewHealth = new Map(); // section id -> { lastOk: ms or null, failing: bool, error }

export function health(section) {
  let state = viewHealth.get(section.id);
  if (!state) { state = { lastOk: null, failing: false, error: null }; viewHealth.set(section.id, state); }
  return state;
}

export function secondsSince(ms) {
  return Math.max(0, Math.round((Date.now() - ms) / 1000));
}

/** Redraws a view's status line: "Updated 12:00:01", or "Last update 8 s ago, retrying". */
export function renderHealth(section) {
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
export function setActionsEnabled(section, enabled) {
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

export function loadSucceeded(section) {
  const state = health(section);
  state.lastOk = Date.now();
  state.failing = false;
  state.error = null;
  renderHealth(section);
}

export function loadFailed(section, error) {
  const state = health(section);
  state.failing = true;
  state.error = error;
  renderHealth(section);
}
