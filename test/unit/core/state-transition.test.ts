import { describe, expect, it } from "vitest";
import { type Account, accountKey, encodeAccount } from "../../../src/core/account.ts";
import { U64_MAX } from "../../../src/core/encoding.ts";
import { ChainlabError, TxError, type TxErrorCode } from "../../../src/core/errors.ts";
import { type Hash, sha256, toHex, utf8 } from "../../../src/core/hash.ts";
import { MemoryState, StateOverlay } from "../../../src/core/state.ts";
import { applyTx, creditAccount, type EngineTxHandler } from "../../../src/core/state-transition.ts";
import { signTx, type Tx, TxKind, type TxRules, verifyTxStatic } from "../../../src/core/tx.ts";
import { type Actor, actor } from "../../helpers/fixtures.ts";

const CHAIN_ID = 1337;
const GENESIS: Hash = sha256(utf8("state-transition test genesis"));
const OTHER_GENESIS: Hash = sha256(utf8("some other chain"));
const MIN_FEE = 2n;
const RULES: TxRules = { chainId: CHAIN_ID, genesisHash: GENESIS, minFee: MIN_FEE, engineKinds: new Set() };
const HEIGHT = 10;

const alice = actor("alice");
const bob = actor("bob");
const carol = actor("carol");
const ALICE_BALANCE = 1_000n;
const CAROL_BALANCE = U64_MAX - 5n;

/** The state every case starts from: alice 1000, bob empty, carol 5 short of u64 max. */
function baseState(): MemoryState {
  const s = new MemoryState();
  s.set(accountKey(alice.addressBytes), encodeAccount({ balance: ALICE_BALANCE, nonce: 0 }));
  s.set(accountKey(carol.addressBytes), encodeAccount({ balance: CAROL_BALANCE, nonce: 0 }));
  return s;
}

interface TxFields {
  to?: Actor;
  amount?: bigint;
  fee?: bigint;
  nonce?: number;
  chainId?: number;
  expiresAt?: number;
  kind?: TxKind;
}

/** A transfer signed by `from` for GENESIS (or `genesis`): 100 to bob, fee 2, nonce 0 by default. */
function tx(from: Actor, f: TxFields = {}, genesis: Hash = GENESIS): Tx {
  return signTx(
    {
      kind: f.kind ?? TxKind.transfer,
      chainId: f.chainId ?? CHAIN_ID,
      from: from.publicKey,
      to: (f.to ?? bob).addressBytes,
      amount: f.amount ?? 100n,
      fee: f.fee ?? MIN_FEE,
      nonce: f.nonce ?? 0,
      expiresAt: f.expiresAt ?? 0,
      payload: new Uint8Array(0),
    },
    from.secretKey,
    genesis,
  );
}

/** What a block does with each tx: the stateless rules, then the state transition. */
function include(state: StateOverlay, t: Tx, height = HEIGHT): bigint {
  verifyTxStatic(t, RULES);
  return applyTx(state, t, height);
}

/** The TxError code `run` throws, or "OK". */
function outcome(run: () => unknown): TxErrorCode | "OK" {
  try {
    run();
    return "OK";
  } catch (err) {
    if (!(err instanceof TxError)) throw err;
    return err.code;
  }
}

function account(state: StateOverlay, who: Actor): Account {
  return state.getAccount(who.addressBytes);
}

/** The overlay's pending changes as hex, for comparing before and after. */
function changesHex(state: StateOverlay): string[] {
  return state.changes().map((c) => `${toHex(c.key)}=${c.value ? toHex(c.value) : "-"}`);
}

interface Case {
  name: string;
  /** Txs included first (they must succeed). */
  before?: () => Tx[];
  tx: () => Tx;
  height?: number;
  expected: TxErrorCode | "OK";
}

const cases: Case[] = [
  { name: "a first transfer with the account's nonce", tx: () => tx(alice), expected: "OK" },
  {
    name: "a replay of an included tx",
    before: () => [tx(alice)],
    tx: () => tx(alice),
    expected: "TX_NONCE_TOO_LOW",
  },
  {
    name: "an older nonce after two included txs",
    before: () => [tx(alice), tx(alice, { nonce: 1 })],
    tx: () => tx(alice, { nonce: 0, amount: 7n }),
    expected: "TX_NONCE_TOO_LOW",
  },
  { name: "a skipped nonce", tx: () => tx(alice, { nonce: 1 }), expected: "TX_NONCE_TOO_HIGH" },
  {
    name: "the next nonce after an included tx",
    before: () => [tx(alice)],
    tx: () => tx(alice, { nonce: 1 }),
    expected: "OK",
  },
  { name: "a tx for another chain id", tx: () => tx(alice, { chainId: 1 }), expected: "TX_WRONG_CHAIN" },
  {
    name: "an amount tampered with after signing",
    tx: () => ({ ...tx(alice), amount: 101n }),
    expected: "TX_BAD_SIGNATURE",
  },
  {
    name: "a recipient swapped after signing",
    tx: () => ({ ...tx(alice), to: carol.addressBytes }),
    expected: "TX_BAD_SIGNATURE",
  },
  {
    name: "a signature by another key",
    tx: () => ({ ...tx(alice), signature: tx(bob, { to: alice }).signature }),
    expected: "TX_BAD_SIGNATURE",
  },
  {
    name: "a tx signed for another genesis hash",
    tx: () => tx(alice, {}, OTHER_GENESIS),
    expected: "TX_BAD_SIGNATURE",
  },
  {
    name: "amount + fee exactly equal to the balance",
    tx: () => tx(alice, { amount: ALICE_BALANCE - MIN_FEE }),
    expected: "OK",
  },
  {
    name: "amount + fee one above the balance",
    tx: () => tx(alice, { amount: ALICE_BALANCE - MIN_FEE + 1n }),
    expected: "TX_INSUFFICIENT_FUNDS",
  },
  {
    name: "a fee alone above the balance",
    tx: () => tx(alice, { amount: 1n, fee: ALICE_BALANCE }),
    expected: "TX_INSUFFICIENT_FUNDS",
  },
  {
    name: "a spend from an account that never received anything",
    tx: () => tx(bob, { to: alice, amount: 1n }),
    expected: "TX_INSUFFICIENT_FUNDS",
  },
  {
    name: "a spend of funds already spent earlier in the block",
    before: () => [tx(alice, { amount: 900n })],
    tx: () => tx(alice, { nonce: 1, amount: 99n }),
    expected: "TX_INSUFFICIENT_FUNDS",
  },
  {
    name: "a credit that fills the recipient exactly to u64 max",
    tx: () => tx(alice, { to: carol, amount: 5n }),
    expected: "OK",
  },
  {
    name: "a credit that overflows the recipient's u64 balance",
    tx: () => tx(alice, { to: carol, amount: 6n }),
    expected: "TX_OVERFLOW",
  },
  {
    name: "amount + fee above u64",
    tx: () => tx(alice, { amount: U64_MAX, fee: MIN_FEE }),
    expected: "TX_OVERFLOW",
  },
  { name: "a zero amount", tx: () => tx(alice, { amount: 0n }), expected: "TX_ZERO_AMOUNT" },
  {
    name: "a transfer to the sender itself",
    tx: () => tx(alice, { to: alice }),
    expected: "TX_SELF_TRANSFER",
  },
  {
    name: "a fee one below the minimum",
    tx: () => tx(alice, { fee: MIN_FEE - 1n }),
    expected: "TX_FEE_TOO_LOW",
  },
  { name: "a fee exactly at the minimum", tx: () => tx(alice, { fee: MIN_FEE }), expected: "OK" },
  {
    name: "a tx included at its expiry height",
    tx: () => tx(alice, { expiresAt: HEIGHT }),
    expected: "OK",
  },
  {
    name: "a tx included one block after its expiry height",
    tx: () => tx(alice, { expiresAt: HEIGHT - 1 }),
    expected: "TX_EXPIRED",
  },
  {
    name: "a tx without expiry at a very large height",
    tx: () => tx(alice, { expiresAt: 0 }),
    height: Number.MAX_SAFE_INTEGER,
    expected: "OK",
  },
  {
    name: "a kind the chain's engine does not declare",
    tx: () => tx(alice, { kind: TxKind.stake }),
    expected: "TX_UNSUPPORTED_KIND",
  },
];

describe("state transition of a transfer", () => {
  it.each(cases)("$name -> $expected", (c) => {
    const state = new StateOverlay(baseState());
    for (const t of c.before?.() ?? []) include(state, t);
    expect(outcome(() => include(state, c.tx(), c.height))).toBe(c.expected);
  });

  it.each(cases.filter((c) => c.expected !== "OK"))(
    "a rejected tx leaves the overlay unchanged: $name",
    (c) => {
      const state = new StateOverlay(baseState());
      for (const t of c.before?.() ?? []) include(state, t);
      const before = changesHex(state);
      outcome(() => include(state, c.tx(), c.height));
      expect(changesHex(state)).toEqual(before);
    },
  );

  it("debits amount + fee from the sender and bumps its nonce", () => {
    const state = new StateOverlay(baseState());
    include(state, tx(alice, { amount: 100n, fee: 3n }));
    expect(account(state, alice)).toEqual({ balance: ALICE_BALANCE - 103n, nonce: 1 });
  });

  it("credits the amount to the recipient without touching its nonce", () => {
    const state = new StateOverlay(baseState());
    include(state, tx(alice, { to: carol, amount: 4n }));
    expect(account(state, carol)).toEqual({ balance: CAROL_BALANCE + 4n, nonce: 0 });
  });

  it("returns the fee for the block's producer", () => {
    const state = new StateOverlay(baseState());
    expect(include(state, tx(alice, { fee: 9n }))).toBe(9n);
  });

  it("creates the recipient's account on first credit", () => {
    const state = new StateOverlay(baseState());
    include(state, tx(alice, { amount: 25n }));
    expect(account(state, bob)).toEqual({ balance: 25n, nonce: 0 });
  });

  it("conserves the total of balances plus fees", () => {
    const state = new StateOverlay(baseState());
    const actors = [alice, bob, carol];
    const total = (): bigint => actors.reduce((sum, a) => sum + account(state, a).balance, 0n);
    const start = total();
    let fees = 0n;
    fees += include(state, tx(alice, { amount: 300n, fee: 4n }));
    fees += include(state, tx(bob, { to: alice, amount: 100n, fee: 5n }));
    fees += include(state, tx(alice, { nonce: 1, to: carol, amount: 5n, fee: 2n }));
    expect(total() + fees).toBe(start);
  });

  it("lets a recipient spend funds received earlier in the same block", () => {
    const state = new StateOverlay(baseState());
    include(state, tx(alice, { amount: 50n }));
    expect(outcome(() => include(state, tx(bob, { to: carol, amount: 1n, fee: 2n })))).toBe("OK");
  });

  it("does not write to the base state", () => {
    const base = baseState();
    const state = new StateOverlay(base);
    include(state, tx(alice));
    expect(new StateOverlay(base).getAccount(alice.addressBytes)).toEqual({
      balance: ALICE_BALANCE,
      nonce: 0,
    });
  });
});

describe("state transition of an engine tx kind", () => {
  const failing: EngineTxHandler = (_t, state) => {
    state.setAccount(carol.addressBytes, { balance: 1n, nonce: 0 });
    throw new TxError("TX_MALFORMED", "engine rejects this tx");
  };

  it("is unsupported without an engine handler", () => {
    const state = new StateOverlay(baseState());
    expect(outcome(() => applyTx(state, tx(alice, { kind: TxKind.stake }), HEIGHT))).toBe(
      "TX_UNSUPPORTED_KIND",
    );
  });

  it("takes only the fee and the nonce before the engine handler runs", () => {
    const state = new StateOverlay(baseState());
    let seen: Account | undefined;
    applyTx(state, tx(alice, { kind: TxKind.stake, amount: 100n, fee: 3n }), HEIGHT, (_t, s) => {
      seen = s.getAccount(alice.addressBytes);
    });
    expect(seen).toEqual({ balance: ALICE_BALANCE - 3n, nonce: 1 });
  });

  it("leaves the overlay unchanged when the engine handler throws", () => {
    const state = new StateOverlay(baseState());
    include(state, tx(alice, { amount: 10n }));
    const before = changesHex(state);
    expect(() => applyTx(state, tx(alice, { kind: TxKind.stake, nonce: 1 }), HEIGHT, failing)).toThrow(
      ChainlabError,
    );
    expect(changesHex(state)).toEqual(before);
  });
});

describe("creditAccount", () => {
  it("adds to an existing balance", () => {
    const state = new StateOverlay(baseState());
    creditAccount(state, alice.addressBytes, 5n);
    expect(account(state, alice).balance).toBe(ALICE_BALANCE + 5n);
  });

  it("throws TX_OVERFLOW instead of wrapping past u64", () => {
    const state = new StateOverlay(baseState());
    expect(outcome(() => creditAccount(state, carol.addressBytes, 6n))).toBe("TX_OVERFLOW");
  });
});
