import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { createNodeMetrics } from "../../../src/rpc/index.ts";
import { parseExposition } from "./exposition.ts";

async function populated(): Promise<string> {
  const m = createNodeMetrics();
  m.headHeight.set(42);
  m.peers.set(3);
  m.mempoolSize.set(17);
  m.blocksImported.inc(42);
  m.reorgs.inc();
  m.reorgDepth.observe(2);
  m.reorgDepth.observe(9);
  m.rejectedTxs.inc({ reason: "TX_NONCE_TOO_LOW" });
  m.engineGauge("chainlab_hashrate_hashes_per_second", "Local proof-of-work hashrate.").set(1.5e6);
  m.rpcRequests.inc({ method: "chain_getHead", status: "ok" });
  m.rpcRequests.inc({ method: "none", status: "AUTH_BAD_SIGNATURE" });
  m.rpcDuration.observe({ method: "chain_getHead" }, 0.002);
  m.authFailures.inc({ reason: 'AUTH_"odd"\\reason\n' });
  m.webhookDeliveries.inc({ event: "new_head", outcome: "delivered" });
  return m.registry.metrics();
}

describe("metrics exposition", () => {
  it("parses strictly and holds every metric the node exports, with HELP texts", async () => {
    const families = parseExposition(await populated());
    for (const name of [
      "chainlab_head_height",
      "chainlab_peers",
      "chainlab_mempool_transactions",
      "chainlab_blocks_imported_total",
      "chainlab_reorgs_total",
      "chainlab_reorg_depth_blocks",
      "chainlab_txs_rejected_total",
      "chainlab_hashrate_hashes_per_second",
      "chainlab_rpc_requests_total",
      "chainlab_rpc_request_duration_seconds",
      "chainlab_rpc_auth_failures_total",
      "chainlab_webhook_deliveries_total",
      "chainlab_process_cpu_user_seconds_total",
    ]) {
      expect(families.get(name)?.help, name).toBeTruthy();
    }
    expect(families.get("chainlab_head_height")?.samples[0]?.value).toBe(42);
    expect(families.get("chainlab_reorg_depth_blocks")?.type).toBe("histogram");
    const odd = families.get("chainlab_rpc_auth_failures_total")?.samples[0]?.labels["reason"];
    expect(odd).toBe('AUTH_"odd"\\reason\n');
    for (const name of families.keys()) expect(name.startsWith("chainlab_")).toBe(true);
  });

  it("keeps registries separate, so two nodes in one process do not clash", async () => {
    const a = createNodeMetrics({ defaultMetrics: false });
    const b = createNodeMetrics({ defaultMetrics: false });
    a.headHeight.set(1);
    b.headHeight.set(2);
    expect(await a.registry.metrics()).toContain("chainlab_head_height 1");
    expect(await b.registry.metrics()).toContain("chainlab_head_height 2");
  });

  it("rejects defects in the strict parser itself", () => {
    expect(() => parseExposition("x 1\n")).toThrow(/before HELP/);
    expect(() => parseExposition("# HELP a_total h\n# TYPE a_total gauge\na_total 1\n")).toThrow(/_total/);
    expect(() => parseExposition('# HELP a h\n# TYPE a gauge\na{b="x} 1\n')).toThrow(/bad/);
  });

  const promtool = spawnSync("sh", ["-c", "command -v promtool"]).status === 0;
  it.skipIf(!promtool)("passes promtool check metrics", async () => {
    const r = spawnSync("promtool", ["check", "metrics"], { input: await populated(), encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});
