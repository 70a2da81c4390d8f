// The fleet this server belongs to (GET /v1/nodes): with a PostgreSQL database every node
// registered on it, with SQLite this server alone. Views show fleet columns and filters only
// when there is more than one node, so a single server's dashboard stays as it was.

import { api } from './api.js';
import { FLEET_INTERVAL_MS } from './config.js';

export const fleetState = { nodes: [], at: 0 };

/** The nodes, fetched at most every FLEET_INTERVAL_MS (several views ask for them). */
export async function loadNodes() {
  if (Date.now() - fleetState.at >= FLEET_INTERVAL_MS) {
    const list = await api('GET', '/v1/nodes');
    fleetState.nodes = Array.isArray(list.nodes) ? list.nodes : [];
    fleetState.at = Date.now();
  }
  return fleetState.nodes;
}

/** True when the dashboard should say which node holds what. */
export function isFleet(nodes = fleetState.nodes) {
  return nodes.length > 1;
}
