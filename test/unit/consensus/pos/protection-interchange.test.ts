/**
 * Every case of the EIP-3076 interchange test suite (test/fixtures/vectors/eip3076, from
 * eth-clients/slashing-protection-interchange-tests v5.3.0), run as its README says with the
 * complete strategy: a fresh DB per case, each step's import must succeed iff `should_succeed`
 * (the suite lets a client refuse an import with `contains_slashable_data`; this DB never does, it
 * merges), then each block and attestation must be allowed iff `should_succeed_complete`.
 */
import { readdirSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import {
  openSlashingProtection,
  type SlashingProtection,
} from "../../../../src/consensus/pos/protection/index.ts";
import { tempDir } from "../../../helpers/fixtures.ts";
import { readVectors } from "../../../helpers/vectors.ts";

interface Step {
  should_succeed: boolean;
  contains_slashable_data: boolean;
  interchange: unknown;
  blocks: { pubkey: string; slot: string; signing_root?: string; should_succeed_complete: boolean }[];
  attestations: {
    pubkey: string;
    source_epoch: string;
    target_epoch: string;
    signing_root?: string;
    should_succeed_complete: boolean;
  }[];
}
interface Case {
  name: string;
  genesis_validators_root: string;
  steps: Step[];
}

const files = readdirSync(new URL("../../../fixtures/vectors/eip3076/", import.meta.url)).filter((f) =>
  f.endsWith(".json"),
);

/** Whether `f` resolved (true) or threw a ProtectionError (false); anything else fails the test. */
async function allowed(f: () => Promise<unknown>): Promise<boolean> {
  try {
    await f();
    return true;
  } catch (err) {
    expect((err as { code?: string }).code).toMatch(/^PROTECTION_/);
    return false;
  }
}

describe("EIP-3076 interchange test suite", () => {
  let db: SlashingProtection | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await db?.close();
    await cleanup?.();
  });

  it("holds the whole suite", () => {
    expect(files).toHaveLength(38);
  });

  it.each(files)("%s", async (file) => {
    const c = readVectors<Case>(`eip3076/${file}`);
    const dir = await tempDir("chainlab-eip3076-");
    cleanup = dir.cleanup;
    db = await openSlashingProtection(dir.path, { genesisValidatorsRoot: c.genesis_validators_root });
    for (const [i, step] of c.steps.entries()) {
      const imported = await allowed(() => db!.importInterchange(JSON.stringify(step.interchange)));
      expect(imported, `step ${i} import`).toBe(step.should_succeed);
      for (const b of step.blocks) {
        const ok = await allowed(() => db!.checkAndInsertBlock(b.pubkey, BigInt(b.slot), b.signing_root));
        expect(ok, `step ${i} block ${b.pubkey.slice(0, 8)} slot ${b.slot}`).toBe(b.should_succeed_complete);
      }
      for (const a of step.attestations) {
        const ok = await allowed(() =>
          db!.checkAndInsertAttestation(
            a.pubkey,
            BigInt(a.source_epoch),
            BigInt(a.target_epoch),
            a.signing_root,
          ),
        );
        expect(ok, `step ${i} attestation ${a.source_epoch}->${a.target_epoch}`).toBe(
          a.should_succeed_complete,
        );
      }
    }
  });
});
