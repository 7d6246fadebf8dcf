import { describe, expect, it } from "vitest";
import { verifyAttesterSlashing } from "../../../../src/consensus/pos/slashing.ts";
import { FAR_FUTURE_EPOCH, indexOfPublicKey, isActive } from "../../../../src/consensus/pos/validators.ts";
import { TxError } from "../../../../src/core/errors.ts";
import { StateOverlay } from "../../../../src/core/state.ts";
import { applyTx } from "../../../../src/core/state-transition.ts";
import type { Tx } from "../../../../src/core/tx.ts";
import { addressBytesOf } from "../../../../src/crypto/address.ts";
import { COIN, DOMAIN, PosSim, testKey } from "./sim.ts";

const FEE = 1000n;
const stakers = Array.from({ length: 6 }, (_, i) => testKey(i, "staker"));

function newSim(): PosSim {
  const sim = new PosSim({
    validators: 4,
    params: { activationDelayEpochs: 2, churnLimit: 4, unbondingEpochs: 8 },
    alloc: stakers.map((key) => ({ key, balance: 100n * COIN })),
  });
  for (const k of stakers) sim.addKey(k);
  return sim;
}

/** The outcome of applying `tx` on top of the sim's state (not kept). */
function outcome(sim: PosSim, tx: Tx): string {
  try {
    applyTx(new StateOverlay(sim.state), tx, sim.slot + 1, sim.engineTx);
    return "OK";
  } catch (err) {
    if (err instanceof TxError) return err.code;
    throw err;
  }
}

describe("staking lifecycle", () => {
  it("stake -> activation (delay, churn) -> unstake (exit churn) -> unbonding (slashable) -> withdrawal, exactly", () => {
    const sim = newSim();
    const address = (i: number) => addressBytesOf(stakers[i]!.publicKey);
    sim.runTo(3);
    sim.block(
      4,
      {},
      stakers.map((k) => sim.stakingTx(k, "stake", 40n * COIN, 0)),
    );
    const index = stakers.map((k) => indexOfPublicKey(sim.state, k.publicKey)!);
    expect(index).toEqual([4, 5, 6, 7, 8, 9]);
    for (let i = 0; i < 6; i++) {
      expect(sim.balance(address(i))).toBe(100n * COIN - 40n * COIN - FEE);
      expect(sim.validator(index[i]!)).toMatchObject({
        stake: 40n * COIN,
        effective: 40n * COIN,
        eligibilityEpoch: 0,
        activationEpoch: FAR_FUTURE_EPOCH,
      });
    }
    // The queue is taken at the end of epoch 0 under churn 4: activation 0 + 1 + delay 2 = 3; the rest a epoch later.
    sim.runToEpoch(2);
    expect(index.map((i) => sim.validator(i).activationEpoch)).toEqual([3, 3, 3, 3, 4, 4]);
    expect(index.map((i) => isActive(sim.validator(i), 2))).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    sim.runToEpoch(5);
    expect(index.map((i) => isActive(sim.validator(i), 3))).toEqual([true, true, true, true, false, false]);
    expect(index.map((i) => isActive(sim.validator(i), 4))).toEqual([true, true, true, true, true, true]);
    // Five exits in epoch 5 under churn 4: 5 + 1 + 2 = 8 for four of them, 9 for the fifth.
    sim.block(
      41,
      {},
      [0, 1, 2, 3, 4].map((i) => sim.stakingTx(stakers[i]!, "unstake", 0n, 1)),
    );
    expect(index.map((i) => sim.validator(i).exitEpoch)).toEqual([8, 8, 8, 8, 9, FAR_FUTURE_EPOCH]);
    expect(index.map((i) => sim.validator(i).withdrawableEpoch)).toEqual([
      16,
      16,
      16,
      16,
      17,
      FAR_FUTURE_EPOCH,
    ]);
    // Exited but unbonding: the stake is locked and still slashable.
    sim.runToEpoch(12);
    expect(isActive(sim.validator(index[0]!), 12)).toBe(false);
    expect(sim.validator(index[0]!).stake).toBe(40n * COIN);
    const vote = (slot: number) =>
      sim.signAttestation(index[0]!, {
        slot,
        head: new Uint8Array(32).fill(slot),
        source: { epoch: 0, root: new Uint8Array(32) },
        target: { epoch: 1, root: new Uint8Array(32).fill(slot) },
      });
    const evidence = { a: vote(8), b: vote(9) };
    expect(verifyAttesterSlashing(sim.state, evidence, DOMAIN, sim.params)).toBe(index[0]);
    sim.runToEpoch(15);
    expect(sim.balance(address(0))).toBe(60n * COIN - 2n * FEE);
    // Withdrawable at epoch 16: the stake is paid at the epoch boundary, to the unit.
    sim.runToEpoch(16);
    expect(sim.balance(address(0))).toBe(100n * COIN - 2n * FEE);
    expect(sim.validator(index[0]!)).toMatchObject({ stake: 0n, effective: 0n });
    expect(sim.validator(index[4]!).stake).toBe(40n * COIN);
    expect(() => verifyAttesterSlashing(sim.state, evidence, DOMAIN, sim.params)).toThrow(
      expect.objectContaining({ code: "EVIDENCE_STALE" }),
    );
    sim.runToEpoch(17);
    expect(sim.balance(address(4))).toBe(100n * COIN - 2n * FEE);
    // Staker 5 never left.
    expect(sim.validator(index[5]!).stake).toBe(40n * COIN);
  });

  it("a top-up raises the effective stake at the next epoch boundary", () => {
    const sim = newSim();
    const owner = testKey(0);
    sim.runTo(2);
    // Validator 0's account key is its validator key; fund it through the genesis state.
    const overlay = new StateOverlay(sim.state);
    overlay.setAccount(addressBytesOf(owner.publicKey), { balance: 20n * COIN, nonce: 0 });
    sim.state.apply(overlay.changes());
    sim.block(3, {}, [sim.stakingTx(owner, "stake", 10n * COIN, 0)]);
    expect(sim.validator(0)).toMatchObject({ stake: 42n * COIN, effective: 32n * COIN });
    sim.runToEpoch(1);
    expect(sim.validator(0)).toMatchObject({ stake: 42n * COIN, effective: 42n * COIN });
  });

  it("refuses bad staking txs with typed codes", () => {
    const sim = newSim();
    sim.runTo(3);
    sim.block(4, {}, [sim.stakingTx(stakers[0]!, "stake", 40n * COIN, 0)]);
    const [s0, s1] = stakers;
    const pending = outcome(sim, sim.stakingTx(s0!, "unstake", 0n, 1));
    const cases: [string, Tx, string][] = [
      ["a new stake below the minimum", sim.stakingTx(s1!, "stake", 31n * COIN, 0), "TX_STAKE_TOO_LOW"],
      ["a zero stake", sim.stakingTx(s1!, "stake", 0n, 0), "TX_ZERO_AMOUNT"],
      [
        "a stake with a payload",
        { ...sim.stakingTx(s1!, "stake", 40n * COIN, 0), payload: Uint8Array.of(1) },
        "TX_MALFORMED",
      ],
      ["an unstake with an amount", sim.stakingTx(s0!, "unstake", 1n, 1), "TX_MALFORMED"],
      [
        "an unstake of a key that is no validator",
        sim.stakingTx(s1!, "unstake", 0n, 0),
        "TX_UNKNOWN_VALIDATOR",
      ],
      [
        "a top-up naming another withdrawal address",
        sim.stakingTx(s0!, "stake", COIN, 1, new Uint8Array(20)),
        "TX_NOT_VALIDATOR_OWNER",
      ],
      ["a stake beyond the balance", sim.stakingTx(s1!, "stake", 100n * COIN, 0), "TX_INSUFFICIENT_FUNDS"],
    ];
    // The signature is not checked here (applyTx runs after the stateless checks), so edited txs are fine.
    for (const [, tx, code] of cases) expect(outcome(sim, tx)).toBe(code);
    expect(pending).toBe("TX_VALIDATOR_NOT_ACTIVE");
    // Once active, the first unstake starts the exit; a second, or a top-up, is refused.
    sim.runToEpoch(3);
    sim.block(25, {}, [sim.stakingTx(s0!, "unstake", 0n, 1)]);
    expect(outcome(sim, sim.stakingTx(s0!, "unstake", 0n, 2))).toBe("TX_VALIDATOR_EXITED");
    expect(outcome(sim, sim.stakingTx(s0!, "stake", COIN, 2))).toBe("TX_VALIDATOR_EXITED");
    // A refused tx leaves the state untouched: the staker's balance moved only by its two fees and the stake.
    expect(sim.balance(addressBytesOf(s0!.publicKey))).toBe(60n * COIN - 2n * FEE);
  });
});
