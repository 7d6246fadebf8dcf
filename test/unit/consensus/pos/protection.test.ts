/**
 * The slashing-protection DB beyond the interchange suite: tables of local signing with named
 * messages and the expected refusal code, the EIP-3076 import rules the suite's sample does not
 * reach (multiple interchanges, merging, duplicate pubkeys, source > target, wrong genesis root,
 * bounds), the export/import/export round trip, restarts, the per-key lock and file modes.
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type InterchangeJson,
  MAX_INTERCHANGE_BYTES,
  MAX_INTERCHANGE_RECORDS,
  openSlashingProtection,
  type SlashingProtection,
} from "../../../../src/consensus/pos/protection/index.ts";
import { tempDir } from "../../../helpers/fixtures.ts";

const GVR = `0x${"11".repeat(32)}`;
const OTHER_GVR = `0x${"22".repeat(32)}`;
const ALICE = `0x${"a1".repeat(32)}`;
const BOB = `0x${"b0".repeat(32)}`;
const root = (n: number) => `0x${n.toString(16).padStart(64, "0")}`;

/** The code a call was refused with, or "ok". */
async function outcome(f: () => Promise<unknown>): Promise<string> {
  try {
    await f();
    return "ok";
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

function interchange(
  data: InterchangeJson["data"],
  gvr = GVR,
  version: string = "5",
): { metadata: { interchange_format_version: string; genesis_validators_root: string }; data: unknown } {
  return { metadata: { interchange_format_version: version, genesis_validators_root: gvr }, data };
}

const blocks = (...slots: [number, number?][]) =>
  slots.map(([slot, r]) => ({ slot: String(slot), ...(r === undefined ? {} : { signing_root: root(r) }) }));
const atts = (...votes: [number, number, number?][]) =>
  votes.map(([s, t, r]) => ({
    source_epoch: String(s),
    target_epoch: String(t),
    ...(r === undefined ? {} : { signing_root: root(r) }),
  }));

describe("slashing protection", () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let db: SlashingProtection;
  beforeEach(async () => {
    dir = await tempDir("chainlab-protection-");
    db = await openSlashingProtection(dir.path, { genesisValidatorsRoot: GVR });
  });
  afterEach(async () => {
    await db.close();
    await dir.cleanup();
  });

  type BlockRow = [
    name: string,
    history: [number, number?][],
    slot: number,
    root: number | undefined,
    expected: string,
  ];
  const blockTable: BlockRow[] = [
    ["first block", [], 5, 1, "ok"],
    ["higher slot", [[5, 1]], 6, 2, "ok"],
    ["same slot, other root", [[5, 1]], 5, 2, "PROTECTION_DOUBLE_BLOCK"],
    ["same slot, same root: a re-sign", [[5, 1]], 5, 1, "ok"],
    ["same slot, no root given", [[5, 1]], 5, undefined, "PROTECTION_DOUBLE_BLOCK"],
    ["same slot, stored root unknown", [[5]], 5, 1, "PROTECTION_DOUBLE_BLOCK"],
    ["below the lowest slot", [[5, 1]], 4, 3, "PROTECTION_BLOCK_BELOW_MIN"],
    [
      "between two signed slots",
      [
        [5, 1],
        [9, 2],
      ],
      7,
      3,
      "ok",
    ],
    ["slot 2^64-1", [[5, 1]], -1, 3, "ok"],
  ];
  it.each(blockTable)("block: %s", async (_name, history, slot, r, expected) => {
    for (const [s, hr] of history) {
      await db.checkAndInsertBlock(ALICE, s, hr === undefined ? undefined : root(hr)).catch(async () => {
        // a history with an unknown root is only reachable by import
        await db.importInterchange(
          interchange([{ pubkey: ALICE, signed_blocks: blocks([s]), signed_attestations: [] }]),
        );
      });
    }
    const at = slot === -1 ? (1n << 64n) - 1n : slot;
    expect(
      await outcome(() => db.checkAndInsertBlock(ALICE, at, r === undefined ? undefined : root(r))),
    ).toBe(expected);
  });

  type AttRow = [
    name: string,
    history: [number, number, number?][],
    vote: [number, number, number?],
    expected: string,
  ];
  const attTable: AttRow[] = [
    ["first vote", [], [0, 1, 1], "ok"],
    ["next epoch", [[0, 1, 1]], [1, 2, 2], "ok"],
    ["genesis vote (0, 0)", [], [0, 0, 1], "ok"],
    ["double vote", [[0, 2, 1]], [1, 2, 2], "PROTECTION_DOUBLE_VOTE"],
    ["same target, same root: a re-sign", [[0, 2, 1]], [0, 2, 1], "ok"],
    ["same target, no root given", [[0, 2, 1]], [0, 2, undefined], "PROTECTION_DOUBLE_VOTE"],
    ["surrounds an earlier vote", [[2, 3, 1]], [1, 4, 2], "PROTECTION_SURROUNDING_VOTE"],
    ["surrounded by an earlier vote", [[1, 6, 1]], [2, 5, 2], "PROTECTION_SURROUNDED_VOTE"],
    ["source below the lowest source", [[3, 4, 1]], [2, 3, 2], "PROTECTION_SOURCE_BELOW_MIN"],
    [
      "target below the lowest target",
      [
        [3, 6, 1],
        [4, 9, 2],
      ],
      [3, 5, 3],
      "PROTECTION_TARGET_BELOW_MIN",
    ],
    ["source after target", [], [5, 4, 1], "PROTECTION_SOURCE_AFTER_TARGET"],
    [
      "a gap between votes",
      [
        [1, 2, 1],
        [6, 7, 2],
      ],
      [3, 4, 3],
      "ok",
    ],
    ["same source, later target", [[3, 4, 1]], [3, 9, 2], "ok"],
  ];
  it.each(attTable)("attestation: %s", async (_name, history, [s, t, r], expected) => {
    for (const [hs, ht, hr] of history) await db.checkAndInsertAttestation(ALICE, hs, ht, root(hr!));
    expect(
      await outcome(() => db.checkAndInsertAttestation(ALICE, s, t, r === undefined ? undefined : root(r))),
    ).toBe(expected);
  });

  it("keeps each key's history apart", async () => {
    await db.checkAndInsertBlock(ALICE, 5, root(1));
    expect(await outcome(() => db.checkAndInsertBlock(BOB, 5, root(2)))).toBe("ok");
    expect(
      await outcome(() => db.checkAndInsertBlock(ALICE.toUpperCase().replace("0X", ""), 5, root(2))),
    ).toBe("PROTECTION_DOUBLE_BLOCK");
  });

  it("lets exactly one of concurrent conflicting signings through", async () => {
    const results = await Promise.all(
      [1, 2, 3, 4].map((r) => outcome(() => db.checkAndInsertAttestation(ALICE, 1, 2, root(r)))),
    );
    expect(results.filter((r) => r === "ok")).toHaveLength(1);
    expect(results.filter((r) => r === "PROTECTION_DOUBLE_VOTE")).toHaveLength(3);
  });

  it.each([
    ["pubkey not hex", () => db.checkAndInsertBlock("0xzz", 1, root(1))],
    ["pubkey odd length", () => db.checkAndInsertBlock("0xabc", 1, root(1))],
    ["pubkey too long", () => db.checkAndInsertBlock(`0x${"ab".repeat(97)}`, 1, root(1))],
    ["negative slot", () => db.checkAndInsertBlock(ALICE, -1, root(1))],
    ["fractional slot", () => db.checkAndInsertBlock(ALICE, 1.5, root(1))],
    ["slot above 2^64-1", () => db.checkAndInsertBlock(ALICE, 1n << 64n, root(1))],
    ["short signing root", () => db.checkAndInsertBlock(ALICE, 1, "0xabcd")],
    ["negative epoch", () => db.checkAndInsertAttestation(ALICE, -1, 2, root(1))],
  ])("refuses bad input: %s", async (_name, call) => {
    expect(await outcome(call)).toBe("PROTECTION_BAD_INPUT");
  });

  it("remembers its history across a restart and refuses a second opener of the same key", async () => {
    await db.checkAndInsertBlock(ALICE, 7, root(1));
    await db.checkAndInsertAttestation(ALICE, 2, 3, root(2));
    const second = await openSlashingProtection(dir.path, { genesisValidatorsRoot: GVR });
    expect(await outcome(() => second.checkAndInsertBlock(ALICE, 8, root(3)))).toBe("STORAGE_LOCKED");
    await second.close();
    await db.close();
    db = await openSlashingProtection(dir.path, { genesisValidatorsRoot: GVR });
    expect(await outcome(() => db.checkAndInsertBlock(ALICE, 7, root(9)))).toBe("PROTECTION_DOUBLE_BLOCK");
    expect(await outcome(() => db.checkAndInsertAttestation(ALICE, 1, 4, root(9)))).toBe(
      "PROTECTION_SURROUNDING_VOTE",
    );
    expect(await outcome(() => db.checkAndInsertBlock(ALICE, 7, root(1)))).toBe("ok");
  });

  it("refuses a key's DB for another chain and calls after close", async () => {
    await db.checkAndInsertBlock(ALICE, 7, root(1));
    await db.close();
    db = await openSlashingProtection(dir.path, { genesisValidatorsRoot: OTHER_GVR });
    expect(await outcome(() => db.checkAndInsertBlock(ALICE, 8, root(1)))).toBe(
      "PROTECTION_GENESIS_MISMATCH",
    );
    await db.close();
    expect(await outcome(() => db.checkAndInsertBlock(BOB, 8, root(1)))).toBe("PROTECTION_CLOSED");
  });

  it("keeps its files private: directories 0700, files 0600", async () => {
    await db.checkAndInsertBlock(ALICE, 1, root(1));
    expect((await stat(dir.path)).mode & 0o777).toBe(0o700);
    const keyDir = join(dir.path, ALICE.slice(2));
    const modes = await Promise.all(
      (await readdir(keyDir)).map(async (f) => (await stat(join(keyDir, f))).mode & 0o777),
    );
    expect(modes.length).toBeGreaterThan(0);
    expect(new Set(modes)).toEqual(new Set([0o600]));
  });

  describe("interchange import", () => {
    it("merges several interchanges: later imports add to the history, the low watermarks are its minimum", async () => {
      await db.importInterchange(
        interchange([
          { pubkey: ALICE, signed_blocks: blocks([10, 1]), signed_attestations: atts([3, 4, 1]) },
        ]),
      );
      await db.importInterchange(
        interchange([
          { pubkey: ALICE, signed_blocks: blocks([20, 2]), signed_attestations: atts([8, 9, 2]) },
        ]),
      );
      expect(await outcome(() => db.checkAndInsertBlock(ALICE, 10, root(1)))).toBe("ok");
      expect(await outcome(() => db.checkAndInsertBlock(ALICE, 20, root(3)))).toBe("PROTECTION_DOUBLE_BLOCK");
      expect(await outcome(() => db.checkAndInsertBlock(ALICE, 9, root(3)))).toBe(
        "PROTECTION_BLOCK_BELOW_MIN",
      );
      expect(await outcome(() => db.checkAndInsertBlock(ALICE, 15, root(3)))).toBe("ok");
      expect(await outcome(() => db.checkAndInsertAttestation(ALICE, 2, 10, root(3)))).toBe(
        "PROTECTION_SURROUNDING_VOTE",
      );
      expect(await outcome(() => db.checkAndInsertAttestation(ALICE, 4, 5, root(3)))).toBe("ok");
    });

    it("merges duplicate pubkeys of one file, and conflicting roots for one slot or vote become unknown", async () => {
      await db.importInterchange(
        interchange([
          { pubkey: ALICE, signed_blocks: blocks([10, 1]), signed_attestations: atts([3, 4, 1]) },
          {
            pubkey: ALICE.toUpperCase().replace("0X", "0x"),
            signed_blocks: blocks([10, 2], [12, 5]),
            signed_attestations: atts([3, 4, 2]),
          },
        ]),
      );
      expect(await outcome(() => db.checkAndInsertBlock(ALICE, 10, root(1)))).toBe("PROTECTION_DOUBLE_BLOCK");
      expect(await outcome(() => db.checkAndInsertBlock(ALICE, 10, root(2)))).toBe("PROTECTION_DOUBLE_BLOCK");
      expect(await outcome(() => db.checkAndInsertBlock(ALICE, 12, root(5)))).toBe("ok");
      expect(await outcome(() => db.checkAndInsertAttestation(ALICE, 3, 4, root(1)))).toBe(
        "PROTECTION_DOUBLE_VOTE",
      );
      const out = await db.exportInterchange();
      expect(out.data).toHaveLength(1);
      expect(out.data[0]!.signed_blocks).toEqual([{ slot: "10" }, { slot: "12", signing_root: root(5) }]);
      expect(out.data[0]!.signed_attestations).toEqual([{ source_epoch: "3", target_epoch: "4" }]);
    });

    it("a re-import of the same root keeps it known; an import over a local record with another root makes it unknown", async () => {
      await db.checkAndInsertBlock(ALICE, 10, root(1));
      await db.importInterchange(
        interchange([{ pubkey: ALICE, signed_blocks: blocks([10, 1]), signed_attestations: [] }]),
      );
      expect(await outcome(() => db.checkAndInsertBlock(ALICE, 10, root(1)))).toBe("ok");
      await db.importInterchange(
        interchange([{ pubkey: ALICE, signed_blocks: blocks([10, 2]), signed_attestations: [] }]),
      );
      expect(await outcome(() => db.checkAndInsertBlock(ALICE, 10, root(1)))).toBe("PROTECTION_DOUBLE_BLOCK");
    });

    it("imports a vote with source > target, then refuses a vote that surrounds it or repeats its target", async () => {
      await db.importInterchange(
        interchange([{ pubkey: ALICE, signed_blocks: [], signed_attestations: atts([8, 7]) }]),
      );
      expect(await outcome(() => db.checkAndInsertAttestation(ALICE, 9, 10, root(1)))).toBe("ok");
      expect(await outcome(() => db.checkAndInsertAttestation(ALICE, 7, 11, root(1)))).toBe(
        "PROTECTION_SURROUNDING_VOTE",
      );
      expect(await outcome(() => db.checkAndInsertAttestation(ALICE, 6, 7, root(1)))).toBe(
        "PROTECTION_DOUBLE_VOTE",
      );
    });

    type BadRow = [name: string, file: unknown, code: string];
    const badTable: BadRow[] = [
      [
        "wrong genesis root",
        interchange([{ pubkey: ALICE, signed_blocks: blocks([1]), signed_attestations: [] }], OTHER_GVR),
        "PROTECTION_GENESIS_MISMATCH",
      ],
      ["format version 4", interchange([], GVR, "4"), "PROTECTION_UNSUPPORTED_VERSION"],
      [
        "format version as a number",
        { metadata: { interchange_format_version: 5, genesis_validators_root: GVR }, data: [] },
        "PROTECTION_UNSUPPORTED_VERSION",
      ],
      ["not JSON", "{", "PROTECTION_BAD_INTERCHANGE"],
      ["no metadata", { data: [] }, "PROTECTION_BAD_INTERCHANGE"],
      ["data not an array", interchange({} as never), "PROTECTION_BAD_INTERCHANGE"],
      [
        "a bad pubkey",
        interchange([{ pubkey: "0xnope", signed_blocks: [], signed_attestations: [] }]),
        "PROTECTION_BAD_INTERCHANGE",
      ],
      [
        "a slot with a sign",
        interchange([{ pubkey: ALICE, signed_blocks: [{ slot: "-1" }], signed_attestations: [] }]),
        "PROTECTION_BAD_INTERCHANGE",
      ],
      [
        "a slot above 2^64-1",
        interchange([
          { pubkey: ALICE, signed_blocks: [{ slot: "18446744073709551616" }], signed_attestations: [] },
        ]),
        "PROTECTION_BAD_INTERCHANGE",
      ],
      [
        "a slot with leading zeros",
        interchange([{ pubkey: ALICE, signed_blocks: [{ slot: "01" }], signed_attestations: [] }]),
        "PROTECTION_BAD_INTERCHANGE",
      ],
      [
        "a short signing root",
        interchange([
          { pubkey: ALICE, signed_blocks: [{ slot: "1", signing_root: "0x00" }], signed_attestations: [] },
        ]),
        "PROTECTION_BAD_INTERCHANGE",
      ],
      [
        "an attestation without a target",
        interchange([
          { pubkey: ALICE, signed_blocks: [], signed_attestations: [{ source_epoch: "1" }] } as never,
        ]),
        "PROTECTION_BAD_INTERCHANGE",
      ],
      [
        "no signed_blocks",
        interchange([{ pubkey: ALICE, signed_attestations: [] } as never]),
        "PROTECTION_BAD_INTERCHANGE",
      ],
      ["more bytes than allowed", " ".repeat(MAX_INTERCHANGE_BYTES + 1), "PROTECTION_BAD_INTERCHANGE"],
      [
        "more records than allowed",
        interchange([
          {
            pubkey: ALICE,
            signed_blocks: new Array(MAX_INTERCHANGE_RECORDS).fill({ slot: "1" }),
            signed_attestations: [],
          },
        ]),
        "PROTECTION_BAD_INTERCHANGE",
      ],
    ];
    it.each(badTable)("refuses %s and writes nothing", async (_name, file, code) => {
      // the valid first entry must not be written when a later part of the file is bad
      const withGood = (f: unknown) => {
        const o = f as { data?: unknown };
        return Array.isArray(o?.data)
          ? { ...o, data: [{ pubkey: BOB, signed_blocks: blocks([50]), signed_attestations: [] }, ...o.data] }
          : f;
      };
      expect(
        await outcome(() => db.importInterchange(typeof file === "string" ? file : withGood(file))),
      ).toBe(code);
      expect((await db.exportInterchange()).data).toEqual([]);
      expect(await outcome(() => db.checkAndInsertBlock(BOB, 50, root(1)))).toBe("ok");
    });
  });

  it("export, import into a fresh DB, export again gives the same file; importing it again changes nothing", async () => {
    await db.checkAndInsertBlock(ALICE, 3, root(1));
    await db.checkAndInsertBlock(ALICE, 9, root(2));
    await db.checkAndInsertBlock(BOB, 4, root(3));
    await db.checkAndInsertAttestation(ALICE, 0, 1, root(4));
    await db.checkAndInsertAttestation(ALICE, 1, 2, root(5));
    await db.checkAndInsertAttestation(BOB, 0, 0, root(6));
    await db.importInterchange(
      interchange([{ pubkey: BOB, signed_blocks: blocks([8]), signed_attestations: atts([2, 5]) }]),
    );
    const first = await db.exportInterchange();
    expect(first.metadata).toEqual({ interchange_format_version: "5", genesis_validators_root: GVR });
    expect(first.data.map((d) => [d.pubkey, d.signed_blocks.length, d.signed_attestations.length])).toEqual([
      [ALICE, 2, 2],
      [BOB, 2, 2],
    ]);
    const other = await tempDir("chainlab-protection-");
    const fresh = await openSlashingProtection(other.path, { genesisValidatorsRoot: GVR });
    try {
      expect(await fresh.importInterchange(JSON.stringify(first))).toEqual({
        validators: 2,
        blocks: 4,
        attestations: 4,
      });
      expect(await fresh.exportInterchange()).toEqual(first);
      await fresh.importInterchange(first);
      expect(await fresh.exportInterchange()).toEqual(first);
    } finally {
      await fresh.close();
      await other.cleanup();
    }
  });
});
