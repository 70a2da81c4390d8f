// Timings and sizes shared by the views.

export const KEY_STORAGE = 'ztp.adminKey';
export const LIVE_INTERVAL_MS = 2000;
export const OVERVIEW_INTERVAL_MS = 1000;   // /v1/stats has one sample a second
export const LIST_INTERVAL_MS = 5000;      // tokens, audit
export const ROLES_INTERVAL_MS = 30000;
export const RETRY_MS = 3000;              // after a failed load, whatever the view's interval
export const HEADER_INTERVAL_MS = 2000;    // the header's live session count
export const FLEET_INTERVAL_MS = 2000;     // GET /v1/nodes: the nodes heartbeat every 2 s
export const SPARK_POINTS = 30;
// The API's largest page: live views fetch it whole, so that rates, totals, substring search
// and sorting by rate cover every session rather than one page of them.
export const MAX_PAGE = 1000;
export const PAGE_SIZE = { tokens: 50 };
export const AUDIT_SHOWN = 200;
