// The management API client: the admin key from sessionStorage in the Authorization header only.

import { KEY_STORAGE } from './config.js';

// API

/** Called after a 401: the app forgets the key and shows the sign-in form. */
let unauthorized = () => {};
export function onUnauthorized(handler) { unauthorized = handler; }

export class ApiError extends Error {
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
export class SignedOut extends Error {}

export async function readProblem(response) {
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

export async function api(method, path, options = {}) {
  const key = options.key || sessionStorage.getItem(KEY_STORAGE);
  if (!key) { unauthorized(''); throw new SignedOut(); }
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
    unauthorized('The server no longer accepts this admin key (it may have been changed). Sign in again.');
    throw new SignedOut();
  }
  if (!response.ok) {
    const problem = await readProblem(response);
    throw new ApiError(response.status, problem.title, problem.detail);
  }
  if (response.status === 204) return null;
  return response.json();
}

/** For requests made outside api() (the event stream): the key's header, or null when signed out. */
export function authorization() {
  const key = sessionStorage.getItem(KEY_STORAGE);
  return key ? 'Bearer ' + key : null;
}

/** Sends the user back to the sign-in form, as api() does after a 401. */
export function notifyUnauthorized(message) { unauthorized(message); }

export const segment = (value) => encodeURIComponent(String(value));

export function errorText(error) {
  return error instanceof ApiError ? error.describe() : String(error && error.message || error);
}
