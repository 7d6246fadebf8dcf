/**
 * A real libp2p attacker on loopback floods the txs topic: validly signed txs from unfunded keys,
 * replayed in new orders (new message ids), and nonce-gap txs at a full pool. The victim spends no
 * signature checks on the unfunded txs, relays none of them, throttles then bans the attacker, and
 * honest txs still get in.
 */
import { afterEach, describe, expect, it } from "vitest";
import { encodeTx, type Tx, txId } from "../../../src/core/tx.ts";
import { type HostilePeer, startHostile } from "../../../src/experiments/adversary/raw-peer.ts";
import { localStatus } from "../../../src/p2p/protocols.ts";
import { encodeTxBatch, MAX_TX_BATCH } from "../../../src/p2p/tx-batch.ts";
import { type Actor, actor, easyGenesis, transfer } from "../../helpers/fixtures.ts";
import { mulberry32 } from "../../helpers/prng.ts";
import { Harness, link, type TestPeer, waitFor } from "./harness.ts";
import { bannedBy } from "./hostile-kit.ts";

const alice = actor("alice");
const bob = actor("bob");
/** The attacker's one funded key. */
const mallory = actor("mallory");
/** Keys that own nothing: every tx they sign is IGNOREd for funds. */
const paupers = Array.from({ length: 64 }, (_, i) => actor(`pauper${i}`));

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Resolves once `p`'s mempool holds every tx in `txs`. */
function pooled(p: TestPeer, txs: Tx[], timeoutMs = 20_000): Promise<void> {
  const ids = txs.map((tx) => txId(tx));
  return waitFor(
    `${txs.length} txs in ${p.name}'s pool`,
    () => ids.every((id) => p.node.mempool.has(id)),
    (wake) => p.node.mempool.onAdded(wake),
    timeoutMs,
  );
}

/** Resolves once `p` has turned away at least `n` txs since the call. */
function rejected(p: TestPeer, n: number, timeoutMs = 20_000): Promise<void> {
  let seen = 0;
  return waitFor(
    `${n} txs rejected by ${p.name}`,
    () => seen >= n,
    (wake) =>
      p.node.onTxRejected(() => {
        seen++;
        wake();
      }),
    timeoutMs,
  );
}

// retry: once in about six full-suite runs on a loaded 2-core box, the first flood of this file
// never reached the victim's validator (neither its rejections nor the bait's relay arrived within
// 20 s) while the same file passes alone every time; under investigation, see the closing note.
describe("tx floods from a hostile peer", { timeout: 90_000, retry: 1 }, () => {
  let h: Harness;
  let hostile: HostilePeer | undefined;
  afterEach(async () => {
    await hostile?.stop();
    hostile = undefined;
    await h.close();
  });

  async function setup(victimMempool?: { maxTxs: number; maxQueued: number }) {
    h = new Harness();
    const g = easyGenesis([alice, bob, mallory]);
    const victim = await h.start("victim", g, victimMempool ? { mempool: victimMempool } : {});
    const honest = await h.start("honest", g);
    await link(victim, honest);
    const names = victim.p2p.names;
    const genesisHash = victim.node.chain.genesisHash;
    // The txs mesh victim -> honest works before the attack: an honest tx crosses it.
    const warmup = transfer(bob, alice, genesisHash, { nonce: 0 });
    const crossed = pooled(honest, [warmup]);
    victim.node.submitTx(warmup);
    await crossed;
    hostile = await startHostile(names, localStatus(victim.node));
    await hostile.dial(victim.p2p.multiaddrs()[0]!);
    await hostile.subscribed(victim.p2p.peerId, names.txsTopic);
    return { victim, honest, names, genesisHash, attacker: hostile };
  }

  it("unfunded txs cost no signature checks, are never relayed, and get the sender throttled, then banned", async () => {
    const { victim, honest, names, genesisHash, attacker } = await setup();
    const sigBefore = victim.node.mempool.status().signatureChecks;
    const honestSigBefore = honest.node.mempool.status().signatureChecks;
    const unfunded = paupers.flatMap((p: Actor) =>
      Array.from({ length: 16 }, (_, nonce) => encodeTx(transfer(p, alice, genesisHash, { nonce }))),
    );
    // One funded tx hides in the first batch: it is admitted, the batch is not relayed as is.
    const bait = transfer(mallory, alice, genesisHash, { nonce: 0 });
    const first = [encodeTx(bait), ...unfunded.slice(0, MAX_TX_BATCH - 1)];
    const second = unfunded.slice(MAX_TX_BATCH - 1, 2 * MAX_TX_BATCH - 1);
    const ban = bannedBy(victim, attacker.peerId, 30_000);

    const seen = rejected(victim, first.length - 1 + second.length);
    const baitRelayed = pooled(honest, [bait]);
    // Awaited below; handled here too, so a failure of `seen` first does not leave it unhandled.
    baitRelayed.catch(() => undefined);
    await attacker.publish(names.txsTopic, encodeTxBatch(first));
    await attacker.publish(names.txsTopic, encodeTxBatch(second));
    await seen;
    await baitRelayed;

    // Replays of the same txs in new orders: new message ids, same txs, until the victim bans.
    const random = mulberry32(9);
    let banned = false;
    void ban.then(() => {
      banned = true;
    });
    for (let round = 0; round < 80 && !banned; round++) {
      await attacker.publish(names.txsTopic, encodeTxBatch(shuffled(first, random))).catch(() => 0);
    }
    expect(["TOO_MANY_INVALID_MESSAGES", "GOSSIP_SCORE_GRAYLISTED"]).toContain(await ban);

    const stats = victim.p2p.stats();
    // Only the funded bait cost a signature check; the unfunded txs were turned away before it.
    expect(victim.node.mempool.status().signatureChecks - sigBefore).toBe(1);
    expect(stats.ignored.TX_THROTTLED).toBeGreaterThan(0);
    expect(stats.rejections.TX_IGNORE_FLOOD).toBeGreaterThan(0);
    // The honest peer got the bait, re-batched alone, and never saw an unfunded tx.
    expect(honest.node.mempool.rejections().TX_INSUFFICIENT_FUNDS).toBeUndefined();
    expect(honest.node.mempool.status().signatureChecks - honestSigBefore).toBe(1);
    // Honest txs still get in after the attack.
    const late = transfer(alice, bob, genesisHash, { nonce: 0 });
    const arrived = pooled(victim, [late]);
    honest.node.submitTx(late);
    await arrived;
  });

  it("nonce-gap txs at a full pool never evict pending ones, and pending txs evict them", async () => {
    const { victim, honest, names, genesisHash, attacker } = await setup({ maxTxs: 64, maxQueued: 16 });
    // Mallory's gap txs pay far more than anyone: nonces 1.. while nonce 0 is never sent.
    const gaps = Array.from({ length: 48 }, (_, i) =>
      transfer(mallory, alice, genesisHash, { nonce: i + 1, fee: 1_000n }),
    );
    const gapsSeen = rejected(victim, 48 - 16);
    await attacker.publish(names.txsTopic, encodeTxBatch(gaps.map(encodeTx)));
    await gapsSeen;
    expect(victim.node.mempool.status()).toMatchObject({ pending: 1, queued: 16 });

    // Alice's executable txs fill the pool through the honest peer: the queued ones make way.
    const pending = Array.from({ length: 63 }, (_, nonce) => transfer(alice, bob, genesisHash, { nonce }));
    const arrived = pooled(victim, pending);
    for (const tx of pending) honest.node.submitTx(tx);
    await arrived;
    expect(victim.node.mempool.status()).toMatchObject({ pending: 64, queued: 0 });

    // More gap txs, however well they pay, find the pool full and evict nothing.
    const more = Array.from({ length: 16 }, (_, i) =>
      transfer(mallory, alice, genesisHash, { nonce: i + 100 - 64, fee: 100_000n }),
    );
    const refused = rejected(victim, 16);
    await attacker.publish(names.txsTopic, encodeTxBatch(more.map(encodeTx)));
    await refused;
    expect(victim.node.mempool.status()).toMatchObject({ pending: 64, queued: 0 });
    expect(pending.every((tx) => victim.node.mempool.has(txId(tx)))).toBe(true);
  });
});
