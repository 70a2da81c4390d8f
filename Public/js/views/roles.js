// The roles view, and the roles cache behind the role selects.

import { api } from '../api.js';
import { ROLES_INTERVAL_MS } from '../config.js';
import { $, el, replaceContent } from '../dom.js';
import { emptyRow } from '../ui.js';

// Roles (shared by the roles view and the role selects)

let rolesCache = null;

export function resetRoles() { rolesCache = null; }
export const hasRoles = () => rolesCache !== null;

export async function loadRoles(force) {
  if (!rolesCache || force) {
    const body = await api('GET', '/v1/roles');
    rolesCache = Array.isArray(body.roles) ? body.roles : [];
    fillRoleSelects();
  }
  return rolesCache;
}

export function fillRoleSelects() {
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

// Roles
export const rolesView = {
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
