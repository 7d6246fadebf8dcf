/**
 * The PoS engine on a real chain (LevelDB) with a fake clock: header verification codes and who
 * is blamed for them, body commitment and bounds, a future-slot block that waits for its slot,
 * and the gossip checks of attestations (lengths, epochs, validators, committee slot, signature,
 * duplicates), each refused with its typed code and verdict.
 */
import { describe, expect, it } from "vitest";
import type { PosEngine } from "../../../../src/consensus/pos/engine.ts";
import { posGenesisParams } from "../../../../src/consensus/pos/params.ts";
import { proposalFields, signBlock } from "../../../../src/consensus/pos/producer.ts";
import {
  ATTESTATION_SIZE,
  type Attestation,
  attestationSigningRoot,
  EMPTY_POS_BODY,
  encodeAttestation,
  encodePosBody,
  encodePosFields,
  posFieldsOf,
} from "../../../../src/consensus/pos/types.ts";
import {
  encodeValidator,
  findValidator,
  type Validator,
  validatorKey,
} from "../../../../src/consensus/pos/validators.ts";
import { createEngine } from "../../../../src/consensus/registry.ts";
import type { Block } from "../../../../src/core/block.ts";
import { ChainlabError } from "../../../../src/core/errors.ts";
import type { Genesis } from "../../../../src/core/genesis.ts";
import { toHex } from "../../../../src/core/hash.ts";
import { sign } from "../../../../src/crypto/ed25519.ts";
import { silentLogger } from "../../../../src/node/logger.ts";
import { cleanupAfterEach, openChain } from "../../../helpers/chain.ts";
import { type Actor, actor } from "../../../helpers/fixtures.ts";

const SLOT_MS = 1000;
const SPE = 4;
const T0 = 1_800_000_000_000;
const vals = Array.from({ length: 4 }, (_, i) => actor(`engine-test-${i}`));
const outsider = actor("engine-test-outsider");

function genesis(): Genesis {
  return {
    chainId: 99,
    timestamp: T0,
    minFee: 1n,
    consensus: {
      type: "pos",
      params: posGenesisParams({
        slotMs: SLOT_MS,
        slotsPerEpoch: SPE,
        validators: vals.map((v) => ({
          publicKey: v.publicKey,
          stake: 32n * 1_0000_0000n,
          withdrawal: v.addressBytes,
        })),
      }),
    },
    alloc: {},
  };
}

async function setup(defer: (fn: () => Promise<void>) => void) {
  const clock = { now: T0 };
  const g = genesis();
  const engine = createEngine(g, { pos: { now: () => clock.now } }) as PosEngine;
  const { chain } = await openChain(g, defer, { engine, now: () => clock.now });
  engine.attach({
    headState: () => chain.state,
    deliver: (m) => chain.onEngineMessage(m),
    publish: () => {},
    log: silentLogger(),
  });
  /** A valid block at `slot` on the head (with `body`), signed by the slot's proposer. */
  const propose = (slot: number, body: Uint8Array = EMPTY_POS_BODY): Block => {
    const proposer = engine.proposerAt(slot)!;
    const key = vals[proposer]!;
    const template = chain.buildTemplate({
      beneficiary: key.addressBytes,
      timestamp: engine.clock.slotStart(slot),
      engineFields: proposalFields(engine, slot, proposer, key.secretKey, body),
      engineBody: body,
      txs: [],
    });
    return signBlock(engine, template, key.secretKey);
  };
  /**
   * A valid block at `slot`, then altered: other engine fields (a RANDAO reveal by `by`), another
   * body (committed in the fields) or timestamp, and signed by `by` (default: the slot's proposer).
   */
  const forge = (
    slot: number,
    o: { by?: Actor; proposer?: number; body?: Uint8Array; fieldsSlot?: number; timestamp?: number },
  ): Block => {
    const b = propose(slot);
    const f = posFieldsOf(b.header);
    const key = o.by ?? vals[o.proposer ?? f.proposerIndex]!;
    const fieldsSlot = o.fieldsSlot ?? slot;
    const body = o.body ?? b.engineBody;
    const engineFields = proposalFields(
      engine,
      fieldsSlot,
      o.proposer ?? f.proposerIndex,
      key.secretKey,
      body,
    );
    const header = {
      ...b.header,
      engine: engineFields,
      timestamp: o.timestamp ?? engine.clock.slotStart(fieldsSlot),
    };
    return signBlock(engine, { ...b, header, engineBody: body }, key.secretKey);
  };
  return { clock, engine, chain, propose, forge };
}

async function refusal(p: Promise<unknown>): Promise<{ code: string; blamed: boolean }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ChainlabError) return { code: err.code, blamed: err.senderAtFault };
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("PoS engine: headers and bodies", () => {
  const defer = cleanupAfterEach();

  it("imports the proposer's signed block for its slot", async () => {
    const { clock, chain, propose } = await setup(defer);
    clock.now = T0 + 2 * SLOT_MS;
    const r = await chain.importBlock(propose(2));
    expect(r.status).toBe("head");
  });

  const cases: {
    name: string;
    make: (s: Awaited<ReturnType<typeof setup>>) => Block;
    code: string;
    blamed: boolean;
  }[] = [
    {
      name: "a timestamp that is not the slot's start",
      make: ({ forge, engine }) => forge(2, { timestamp: engine.clock.slotStart(2) + 1 }),
      code: "BLOCK_BAD_ENGINE_FIELDS",
      blamed: true,
    },
    {
      name: "a signature by another key",
      make: ({ forge, engine }) => forge(2, { by: vals[(engine.proposerAt(2)! + 1) % 4]! }),
      code: "BLOCK_BAD_SEAL",
      blamed: true,
    },
    {
      name: "an unknown proposer index",
      make: ({ forge }) => forge(2, { by: outsider, proposer: 99 }),
      code: "BLOCK_BAD_PROPOSER",
      blamed: true,
    },
    {
      name: "a validator that is not the slot's proposer (its own valid signature)",
      make: ({ forge, engine }) => forge(2, { proposer: (engine.proposerAt(2)! + 1) % 4 }),
      code: "BLOCK_BAD_PROPOSER",
      blamed: true,
    },
    {
      name: "engine fields of the wrong length",
      make: ({ propose }) => {
        const b = propose(2);
        return { ...b, header: { ...b.header, engine: b.header.engine.subarray(1) } };
      },
      code: "BLOCK_BAD_ENGINE_FIELDS",
      blamed: true,
    },
    {
      name: "a body that is not the header's",
      make: ({ propose }) => ({ ...propose(2), engineBody: new Uint8Array(5) }),
      code: "BLOCK_BODY_MISMATCH",
      blamed: true,
    },
    {
      name: "a body over the block's attestation bound (committed by the header)",
      make: ({ forge, engine }) => {
        const n = engine.params.maxAttestationsPerBlock + 1;
        const body = new Uint8Array(6 + n * ATTESTATION_SIZE);
        new DataView(body.buffer).setUint16(0, n);
        return forge(2, { body });
      },
      code: "BLOCK_BAD_ENGINE_BODY",
      blamed: true,
    },
    {
      name: "a slot beyond the clock's drift",
      make: ({ propose }) => propose(5),
      code: "BLOCK_TIMESTAMP_IN_FUTURE",
      blamed: false,
    },
  ];
  for (const c of cases) {
    it(`refuses ${c.name}: ${c.code}`, async () => {
      const s = await setup(defer);
      s.clock.now = T0 + 2 * SLOT_MS;
      const block = c.make(s);
      expect(await refusal(s.chain.importBlock(block))).toEqual({ code: c.code, blamed: c.blamed });
      expect(s.chain.head().header.height).toBe(0);
    });
  }

  it("refuses a slot that does not come after the parent's", async () => {
    const { clock, chain, propose, forge, engine } = await setup(defer);
    clock.now = T0 + 4 * SLOT_MS;
    await chain.importBlock(propose(3));
    const again = forge(4, { fieldsSlot: 3, proposer: engine.proposerAt(3)! });
    expect(await refusal(chain.importBlock(again))).toEqual({
      code: "BLOCK_BAD_ENGINE_FIELDS",
      blamed: true,
    });
  });

  it("checks an orphan's proposer signature before pooling it", async () => {
    const { clock, chain, propose, engine } = await setup(defer);
    clock.now = T0 + 2 * SLOT_MS;
    const b = propose(2);
    const orphanOf = (key: Actor): Block => {
      const header = { ...b.header, parentHash: new Uint8Array(32).fill(5), height: 7 };
      return signBlock(engine, { ...b, header }, key.secretKey);
    };
    const proposer = posFieldsOf(b.header).proposerIndex;
    expect((await chain.importBlock(orphanOf(vals[proposer]!))).status).toBe("orphan");
    expect(await refusal(chain.importBlock(orphanOf(vals[(proposer + 1) % 4]!)))).toEqual({
      code: "BLOCK_BAD_SEAL",
      blamed: true,
    });
  });

  it("a block from a future slot is not remembered as invalid: it imports once its slot has come", async () => {
    const { clock, chain, propose } = await setup(defer);
    clock.now = T0 + 2 * SLOT_MS;
    const early = propose(4);
    expect((await refusal(chain.importBlock(early))).code).toBe("BLOCK_TIMESTAMP_IN_FUTURE");
    clock.now = T0 + 4 * SLOT_MS;
    expect((await chain.importBlock(early)).status).toBe("head");
  });
});

describe("PoS engine: attestation gossip checks", () => {
  const defer = cleanupAfterEach();

  /** A signed vote of validator `i` in its assigned slot of epoch 1, after a block at slot 2. */
  async function voting() {
    const s = await setup(defer);
    s.clock.now = T0 + 2 * SLOT_MS;
    await s.chain.importBlock(s.propose(2));
    const head = s.chain.head();
    const vote = (i: number, o: { slot?: number; key?: Actor; index?: number } = {}): Attestation => {
      const slot = o.slot ?? s.engine.attestationSlotOf(i, 0)!;
      const data = s.engine.attestationDataFor(slot, head);
      const index = o.index ?? i;
      return {
        validatorIndex: index,
        data,
        signature: sign(attestationSigningRoot(s.engine.domain, data), (o.key ?? vals[i]!).secretKey),
      };
    };
    return { ...s, vote };
  }

  function verdict(run: () => unknown): string {
    try {
      return String(run());
    } catch (err) {
      if (err instanceof ChainlabError) return `${err.senderAtFault ? "reject" : "ignore"} ${err.code}`;
      throw err;
    }
  }

  it("accepts a valid vote once, then ignores it as a duplicate", async () => {
    const { engine, vote, clock, chain } = await voting();
    const a = vote(0);
    clock.now = Math.max(clock.now, engine.clock.slotStart(a.data.slot));
    expect(verdict(() => engine.messages.onAttestationBytes(encodeAttestation(a)))).toBe("accept");
    expect(verdict(() => engine.messages.onAttestationBytes(encodeAttestation(a)))).toBe(
      "ignore ATTESTATION_DUPLICATE",
    );
    await chain.drain();
    expect(engine.forkChoice!.latestVote(0)?.targetEpoch).toBe(0);
  });

  it("refuses bad input with typed codes", async () => {
    const { engine, vote, clock } = await voting();
    clock.now = engine.clock.slotStart(SPE - 1);
    const good = vote(1);
    const bytes = encodeAttestation(good);
    const wrongSlot = vote(1, { slot: good.data.slot === 0 ? 1 : 0 });
    const tampered = { ...good, signature: new Uint8Array(64).fill(7) };
    const cases: [string, () => unknown, string][] = [
      ["short", () => engine.messages.onAttestationBytes(bytes.subarray(1)), "reject DECODE_TRUNCATED"],
      [
        "long",
        () => engine.messages.onAttestationBytes(new Uint8Array([...bytes, 0])),
        "reject DECODE_TRAILING_BYTES",
      ],
      ["bad signature", () => engine.messages.onAttestation(tampered), "reject ATTESTATION_BAD_SIGNATURE"],
      [
        "unknown validator",
        () => engine.messages.onAttestation(vote(1, { index: 77, key: outsider })),
        "reject ATTESTATION_UNKNOWN_VALIDATOR",
      ],
      [
        "wrong committee slot",
        () => engine.messages.onAttestation(wrongSlot),
        "reject ATTESTATION_WRONG_SLOT",
      ],
      [
        "far-future epoch",
        () =>
          engine.messages.onAttestation({
            ...good,
            data: { ...good.data, slot: 5 * SPE, target: { ...good.data.target, epoch: 5 } },
          }),
        "reject ATTESTATION_FAR_FUTURE",
      ],
      [
        "target epoch not the slot's",
        () =>
          engine.messages.onAttestation({
            ...good,
            data: { ...good.data, target: { ...good.data.target, epoch: 1 } },
          }),
        "reject ATTESTATION_BAD_TARGET_EPOCH",
      ],
    ];
    for (const [name, run, expected] of cases)
      expect(`${name}: ${verdict(run)}`).toBe(`${name}: ${expected}`);
    // An epoch-0 vote is late in epoch 2 and expired in epoch 3.
    clock.now = engine.clock.slotStart(2 * SPE);
    expect(verdict(() => engine.messages.onAttestation(good))).toBe("ignore ATTESTATION_LATE");
    clock.now = engine.clock.slotStart(3 * SPE);
    expect(verdict(() => engine.messages.onAttestation(good))).toBe("reject ATTESTATION_EXPIRED");
  });

  it("refuses a vote of an exited or a slashed validator", async () => {
    const { engine, vote, clock, chain } = await voting();
    clock.now = engine.clock.slotStart(SPE - 1);
    const edit = (i: number, change: Partial<Validator>): void => {
      chain.state.set(validatorKey(i), encodeValidator({ ...findValidator(chain.state, i)!, ...change }));
    };
    const exited = vote(1);
    const slashed = vote(2);
    edit(1, { exitEpoch: 0 });
    edit(2, { slashed: true });
    expect(verdict(() => engine.messages.onAttestation(exited))).toBe(
      "reject ATTESTATION_INACTIVE_VALIDATOR",
    );
    expect(verdict(() => engine.messages.onAttestation(slashed))).toBe(
      "reject ATTESTATION_SLASHED_VALIDATOR",
    );
  });

  it("turns a second, conflicting vote into evidence and stops counting the validator", async () => {
    const { engine, vote, clock, chain } = await voting();
    const a = vote(2);
    clock.now = engine.clock.slotStart(SPE - 1);
    expect(verdict(() => engine.messages.onAttestation(a))).toBe("accept");
    const other = { ...a.data, head: chain.view.genesis().hash };
    const b = {
      ...a,
      data: other,
      signature: sign(attestationSigningRoot(engine.domain, other), vals[2]!.secretKey),
    };
    expect(verdict(() => engine.messages.onAttestation(b))).toBe("accept");
    expect(engine.messages.evidence.hasAttester(2)).toBe(true);
    await chain.drain();
    expect(engine.forkChoice!.equivocating()).toEqual([2]);
  });

  it("stops counting a validator whose evidence arrives only in a block (no gossiped evidence)", async () => {
    const { engine, vote, clock, chain, propose } = await voting();
    const a = vote(2);
    clock.now = engine.clock.slotStart(SPE - 1);
    expect(verdict(() => engine.messages.onAttestation(a))).toBe("accept");
    await chain.drain();
    expect(engine.forkChoice!.latestVote(2)).toBeDefined();
    const other = { ...a.data, head: chain.view.genesis().hash };
    const b = {
      ...a,
      data: other,
      signature: sign(attestationSigningRoot(engine.domain, other), vals[2]!.secretKey),
    };
    const body = encodePosBody(
      { attestations: [], proposerSlashings: [], attesterSlashings: [{ a, b }] },
      { maxAttestationsPerBlock: 16, maxEvidencePerBlock: 16 },
    );
    const slot = SPE - 1;
    await chain.importBlock(propose(slot, body));
    await chain.drain();
    expect(engine.messages.evidence.hasAttester(2)).toBe(false);
    expect(engine.forkChoice!.equivocating()).toEqual([2]);
    expect(engine.forkChoice!.latestVote(2)).toBeUndefined();
  });

  it("header fields round-trip through the engine's description", async () => {
    const { engine, propose, clock } = await setup(defer);
    clock.now = T0 + 2 * SLOT_MS;
    const b = propose(2);
    expect(engine.describeFields(b.header)).toMatchObject({ slot: 2, epoch: 0 });
    expect(encodePosFields(posFieldsOf(b.header))).toEqual(b.header.engine);
  });
});

describe("PoS engine: pos_validator", () => {
  const defer = cleanupAfterEach();

  it("answers by index or public key, and refuses an unknown validator with a code", async () => {
    const { engine } = await setup(defer);
    const [method] = engine.rpcMethods();
    expect(method!.name).toBe("pos_validator");
    const byIndex = method!.handler({ index: 2 }) as Record<string, unknown>;
    expect(byIndex).toMatchObject({
      index: 2,
      publicKey: toHex(vals[2]!.publicKey),
      slashed: false,
      status: "active",
    });
    expect(method!.handler({ publicKey: toHex(vals[2]!.publicKey) })).toEqual(byIndex);
    expect(JSON.parse(JSON.stringify(byIndex))).toEqual(byIndex);
    for (const p of [{ index: 9 }, { publicKey: toHex(outsider.publicKey) }, {}]) {
      expect(() => method!.handler(p)).toThrow(expect.objectContaining({ code: "POS_UNKNOWN_VALIDATOR" }));
    }
  });
});
