/** The adversary toolkit's pure parts: forged payloads, captured-request edits and gossip verdict diffs. */
import { describe, expect, it } from "vitest";
import { decodeBlock, encodeBlock, headerHash } from "../../../src/core/block.ts";
import { fromHex, sha256 } from "../../../src/core/hash.ts";
import { decodeTx, isTxSignatureValid, txId } from "../../../src/core/tx.ts";
import {
  alterCaptured,
  badSignatureTx,
  brokenSealBlock,
  garbage,
  signCaptured,
  signTransfer,
  verdictsSince,
  withChainId,
} from "../../../src/experiments/adversary/index.ts";
import { createRng } from "../../../src/experiments/rng.ts";
import { signRequest } from "../../../src/rpc/signing.ts";
import { actor } from "../../helpers/fixtures.ts";

const alice = actor("alice");
const bob = actor("bob");
const wallet = { address: alice.address, secretKey: alice.secretKey, publicKey: alice.publicKey };
const identity = { chainId: 7, genesisHash: sha256(new Uint8Array([1])) };

describe("forged payloads", () => {
  it("garbage is seeded: the same seed gives the same bytes, within the bounds", () => {
    const a = garbage(createRng(3), 10, 20);
    expect(a.length).toBeGreaterThanOrEqual(10);
    expect(a.length).toBeLessThanOrEqual(20);
    expect(garbage(createRng(3), 10, 20)).toEqual(a);
    expect(garbage(createRng(4), 10, 20)).not.toEqual(a);
  });

  it("a random-signature tx decodes with the given fields and fails its signature", () => {
    const tx = decodeTx(badSignatureTx(wallet, identity, bob.address, 4, 99n, createRng(1)));
    expect(tx).toMatchObject({ chainId: 7, nonce: 4, amount: 99n });
    expect(tx.from).toEqual(alice.publicKey);
    expect(isTxSignatureValid(tx, identity.genesisHash)).toBe(false);
  });

  it("a chain-id rewrite keeps the signature bytes, changes the id and breaks the signature", () => {
    const signed = signTransfer(wallet, identity, bob.address, 5n, 0);
    const honest = decodeTx(fromHex(signed.hex));
    expect(isTxSignatureValid(honest, identity.genesisHash)).toBe(true);
    const replay = withChainId(signed, 8);
    const tx = decodeTx(fromHex(replay.hex));
    expect(tx.chainId).toBe(8);
    expect(tx.signature).toEqual(honest.signature);
    expect(replay.id).not.toBe(signed.id);
    expect(replay.id).toBe(Buffer.from(txId(tx)).toString("hex"));
    expect(isTxSignatureValid(tx, identity.genesisHash)).toBe(false);
  });

  it("a broken-seal block is the same block but for a later timestamp and a header hash >= 2^248", () => {
    const header = {
      version: 1,
      height: 3,
      parentHash: sha256(new Uint8Array([2])),
      txRoot: sha256(new Uint8Array([3])),
      stateRoot: sha256(new Uint8Array([4])),
      beneficiary: alice.addressBytes,
      timestamp: 1_700_000_000_000,
      engine: new Uint8Array(16),
    };
    const original = encodeBlock({ header, txs: [], engineBody: new Uint8Array(0) });
    for (const shift of [1, 2, 50]) {
      const forged = decodeBlock(brokenSealBlock(original, shift));
      expect(forged.header.timestamp).toBeGreaterThanOrEqual(header.timestamp + shift);
      expect(headerHash(forged.header)[0]).not.toBe(0);
      expect({ ...forged.header, timestamp: header.timestamp }).toEqual(header);
    }
  });
});

describe("captured signed requests", () => {
  const credential = `k1:${"ab".repeat(32)}`;

  it("a capture carries a signature over exactly what it holds; an alteration keeps the old one", () => {
    const c = signCaptured(credential, { body: '{"a":1}', timestamp: 1000 });
    const sig = c.headers["X-Chainlab-Signature"];
    const nonce = c.headers["X-Chainlab-Nonce"]!;
    expect(sig).toBe(
      signRequest("ab".repeat(32), {
        method: "POST",
        path: "/rpc",
        body: '{"a":1}',
        timestamp: "1000",
        nonce,
      }),
    );
    const moved = alterCaptured(c, { timestamp: 2000, path: "/rpc?x=1" });
    expect(moved.headers["X-Chainlab-Timestamp"]).toBe("2000");
    expect(moved.headers["X-Chainlab-Signature"]).toBe(sig);
    expect(moved.path).toBe("/rpc?x=1");
    expect(moved.body).toBe(c.body);
    expect(c.headers["X-Chainlab-Timestamp"]).toBe("1000");
  });
});

describe("gossip verdicts since a snapshot", () => {
  it("lists one entry per new verdict: ACCEPT, or the ignore/reject reason", () => {
    const before = { accepted: { t: 2 }, ignored: { A: 1 }, rejections: {}, bans: 0 };
    const after = { accepted: { t: 3, u: 1 }, ignored: { A: 1, B: 2 }, rejections: { R: 1 }, bans: 1 };
    expect(verdictsSince(before, after).sort()).toEqual(["ACCEPT", "ACCEPT", "B", "B", "R"]);
    expect(verdictsSince(after, after)).toEqual([]);
    // Accepts on other topics are left out when a topic is named; reasons are not by topic.
    expect(verdictsSince(before, after, "t").sort()).toEqual(["ACCEPT", "B", "B", "R"]);
  });
});
