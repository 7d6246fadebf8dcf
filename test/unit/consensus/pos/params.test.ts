import { describe, expect, it } from "vitest";
import {
  defaultPosParams,
  type GenesisValidator,
  parsePosParams,
  posGenesisParams,
  posParamsToJson,
} from "../../../../src/consensus/pos/params.ts";
import type { Json } from "../../../../src/core/genesis.ts";
import { hexify } from "../../core/codec-helpers.ts";

const validator = (n: number, stake = 32_0000_0000n): GenesisValidator => ({
  publicKey: new Uint8Array(32).fill(n),
  stake,
  withdrawal: new Uint8Array(20).fill(n),
});

const good = () =>
  posGenesisParams({ slotMs: 1000, slotsPerEpoch: 8, validators: [validator(1), validator(2)] });

function refused(patch: Record<string, Json | undefined>): string {
  const raw = { ...good(), ...patch } as Record<string, Json>;
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete raw[k];
  try {
    parsePosParams(raw);
  } catch (err) {
    expect(err).toMatchObject({ code: "CONSENSUS_BAD_PARAMS" });
    return (err as { data: { field: string } }).data.field;
  }
  throw new Error("accepted");
}

describe("pos params", () => {
  it("round-trip through genesis JSON", () => {
    const p = parsePosParams(good());
    expect(hexify(p)).toEqual(hexify({ ...defaultPosParams(), validators: [validator(1), validator(2)] }));
    expect(posParamsToJson(p)).toEqual(good());
  });

  it("genesis options override defaults", () => {
    const p = parsePosParams(
      posGenesisParams({
        slotMs: 500,
        slotsPerEpoch: 4,
        validators: [validator(1)],
        slashingEnabled: false,
        issuancePerEpoch: 7n,
        churnLimit: 1,
      }),
    );
    expect([p.slotMs, p.slotsPerEpoch, p.slashingEnabled, p.issuancePerEpoch, p.churnLimit]).toEqual([
      500,
      4,
      false,
      7n,
      1,
    ]);
  });

  const cases: [string, Record<string, Json | undefined>, string][] = [
    ["unknown parameter", { blockReward: "1" }, "blockReward"],
    ["missing integer", { slotsPerEpoch: undefined }, "slotsPerEpoch"],
    ["zero-slot epochs", { slotsPerEpoch: 0 }, "slotsPerEpoch"],
    ["no activation delay", { activationDelayEpochs: 0 }, "activationDelayEpochs"],
    ["fractional slot time", { slotMs: 10.5 }, "slotMs"],
    ["amount as a number", { minStake: 5 }, "minStake"],
    ["amount with a leading zero", { minStake: "01" }, "minStake"],
    ["amount above u64", { issuancePerEpoch: "18446744073709551616" }, "issuancePerEpoch"],
    ["slashingEnabled not boolean", { slashingEnabled: "yes" }, "slashingEnabled"],
    ["no validators", { validators: [] }, "validators"],
    ["validators not a list", { validators: {} }, "validators"],
    [
      "short public key",
      { validators: [{ publicKey: "ab", stake: "3200000000", withdrawal: "00".repeat(20) }] },
      "validators[0].publicKey",
    ],
    [
      "upper-case hex",
      { validators: [{ publicKey: "AB".repeat(32), stake: "3200000000", withdrawal: "00".repeat(20) }] },
      "validators[0].publicKey",
    ],
    [
      "stake below minimum",
      { validators: [{ publicKey: "ab".repeat(32), stake: "1", withdrawal: "00".repeat(20) }] },
      "validators[0].stake",
    ],
    [
      "unknown validator field",
      {
        validators: [{ publicKey: "ab".repeat(32), stake: "3200000000", withdrawal: "00".repeat(20), x: 1 }],
      },
      "validators[0].x",
    ],
    [
      "duplicate validator key",
      {
        validators: [
          { publicKey: "ab".repeat(32), stake: "3200000000", withdrawal: "00".repeat(20) },
          { publicKey: "ab".repeat(32), stake: "3200000000", withdrawal: "11".repeat(20) },
        ],
      },
      "validators[1].publicKey",
    ],
    ["ejection at the minimum stake", { ejectionStake: "3200000000" }, "ejectionStake"],
    ["zero increment", { effectiveIncrement: "0" }, "effectiveIncrement"],
    ["cap below minimum stake", { maxEffectiveStake: "100000000" }, "maxEffectiveStake"],
    ["cap off the increment grid", { maxEffectiveStake: "320000000001" }, "maxEffectiveStake"],
    [
      "a full body over the engine body limit",
      { maxAttestationsPerBlock: 65_535 },
      "maxAttestationsPerBlock",
    ],
  ];
  for (const [name, patch, field] of cases) {
    it(`refuses ${name}, naming ${field}`, () => expect(refused(patch)).toBe(field));
  }
});
