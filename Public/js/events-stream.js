// GET /v1/events read with fetch(): EventSource cannot send the Authorization header, and the
// admin key must never travel in a URL. Parses server-sent events, resumes with Last-Event-ID
// after an error (with backoff), and is aborted when its view closes.

import { ApiError, authorization, notifyUnauthorized, readProblem } from './api.js';

const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000];
// The server sends a heartbeat comment every 15 s: silence for longer means a dead connection.
const SILENCE_MS = 40000;
const MAX_EVENT_CHARS = 1 << 20;

export class EventStream {
  /**
   * `onEvent(event)` for each event (parsed JSON); `onState({ connected, error })` when the
   * connection opens or fails; `onLost()` when the server says events were missed.
   */
  constructor({ onEvent, onState, onLost }) {
    this.onEvent = onEvent;
    this.onState = onState || (() => {});
    this.onLost = onLost || (() => {});
    this.lastId = null;
    this.running = false;
    this.error = null;
    this.connected = false;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.generation = (this.generation || 0) + 1;
    this.run(this.generation);
  }

  stop() {
    this.running = false;
    this.generation = (this.generation || 0) + 1;
    this.connected = false;
    if (this.controller) this.controller.abort();
    clearTimeout(this.retryTimer);
    if (this.wake) this.wake();
  }

  async run(mine) {
    let failures = 0;
    while (this.running && mine === this.generation) {
      const controller = new AbortController();
      this.controller = controller;
      let silence = null;
      try {
        const auth = authorization();
        if (!auth) { this.stop(); notifyUnauthorized(''); return; }
        const headers = { Authorization: auth, Accept: 'text/event-stream' };
        if (this.lastId !== null) headers['Last-Event-ID'] = this.lastId;
        const response = await fetch('/v1/events', {
          headers, signal: controller.signal, cache: 'no-store', credentials: 'omit',
          redirect: 'error', referrerPolicy: 'no-referrer',
        });
        if (response.status === 401) {
          this.stop();
          notifyUnauthorized('The server no longer accepts this admin key (it may have been changed). Sign in again.');
          return;
        }
        if (!response.ok) {
          const problem = await readProblem(response);
          throw new ApiError(response.status, problem.title, problem.detail);
        }
        failures = 0;
        this.error = null;
        this.connected = true;
        this.onState({ connected: true, error: null });
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        const arm = () => { clearTimeout(silence); silence = setTimeout(() => controller.abort(), SILENCE_MS); };
        arm();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          arm();
          buffer += value;
          buffer = this.dispatchComplete(buffer, mine);
          if (buffer.length > MAX_EVENT_CHARS) throw new Error('an event over 1 MiB');
        }
        throw new ApiError(0, 'Disconnected', 'The server closed the event stream.');
      } catch (error) {
        if (!this.running || mine !== this.generation) return;
        this.connected = false;
        this.error = error instanceof ApiError ? error
          : new ApiError(0, 'Network error', 'The event stream was interrupted (' + (error && error.message || error) + ').');
        this.onState({ connected: false, error: this.error });
        const delay = BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)];
        failures += 1;
        await new Promise((resolve) => { this.wake = resolve; this.retryTimer = setTimeout(resolve, delay); });
      } finally {
        clearTimeout(silence);
        controller.abort();
      }
    }
  }

  /** Dispatches every complete event (ended by a blank line) in `buffer`; returns the rest. */
  dispatchComplete(buffer, mine) {
    const text = buffer.replace(/\r\n/g, '\n');
    let start = 0;
    let end;
    while ((end = text.indexOf('\n\n', start)) >= 0) {
      if (mine !== this.generation) return '';
      this.dispatch(text.slice(start, end));
      start = end + 2;
    }
    return text.slice(start);
  }

  /** One event block: `id`, `event` and `data` fields; lines starting with ':' are comments. */
  dispatch(block) {
    const data = [];
    let id = null;
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') data.push(value);
      else if (field === 'id' && /^[0-9]{1,19}$/.test(value)) id = value;
    }
    if (!data.length) return;
    let event;
    try { event = JSON.parse(data.join('\n')); } catch (_) { return; }
    if (!event || typeof event !== 'object') return;
    if (event.type === 'events.lost') { this.onLost(event); return; }
    if (id !== null) this.lastId = id;
    this.onEvent(event);
  }
}
