/**
 * dashboard/: the browser dashboard of a running testnet. A supervisor-side poller reads every
 * node's signed RPC with the testnet's keys and aggregates heads, forks, propagation, producers and
 * topology, plus a PoS panel from whatever PoS fields consensus_status reports and the experiment
 * runs (progress.json, report.json and its charts) under the experiment dirs; an HTTP server on
 * 127.0.0.1 serves the static page (static/, no build step, no network) and pushes that state
 * over server-sent events; controls go through the testnet library's admin operations behind a
 * per-session token and Host/Origin checks. It may import testnet/, node/, rpc/ and below; cli/
 * uses it.
 */
export { type BlockInfo, BlockStore, type Reorg } from "./block-store.ts";
export { type ControlRequest, Controls, DashboardError, parseControl } from "./controls.ts";
export { ExperimentRuns, type RunView } from "./experiments.ts";
export { allowedHosts, checkControl, checkOrigin } from "./guard.ts";
export { type NodeRow, Poller, type PollerOptions } from "./poller.ts";
export { ParticipationHistory, type PosView, posView } from "./pos.ts";
export { type ServeOptions, serveDashboard } from "./serve.ts";
export { type Dashboard, type DashboardOptions, startDashboard } from "./server.ts";
export { buildView, type DashboardView } from "./view.ts";
