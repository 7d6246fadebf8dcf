/** Shared fixtures for the mempool tests: named actors, a fixed chain, a mutable head state. */
import { type Account, EMPTY_ACCOUNT } from "../../../src/core/account.ts";
import type { Block } from "../../../src/core/block.ts";
import { ChainlabError } from "../../../src/core/errors.ts";
import { type Hash, sha256, toHex, utf8 } from "../../../src/core/hash.ts";
import { signTx, type Tx, TxKind, type TxRules } from "../../../src/core/tx.ts";
import { addressBytesOf } from "../../../src/crypto/address.ts";
import { generateKeyPair, type KeyPair } from "../../../src/crypto/ed25519.ts";
import { createMempool, type Mempool, type MempoolOptions } from "../../../src/mempool/index.ts";

export const genesisHash: Hash = sha256(utf8("chainlab/test/mempool/genesis"));
export const otherGenesisHash: Hash = sha256(utf8("chainlab/test/mempool/other-genesis"));
export const CHAIN_ID = 7;
export const MIN_FEE = 10n;
export const rules: TxRules = { chainId: CHAIN_ID, genesisHash, minFee: MIN_FEE, engineKinds: new Set() };

/** A named key holder. */
export interface Actor {
  name: string;
  keys: KeyPair;
  address: Uint8Array;
}

export function makeActor(name: string): Actor {
  const keys = generateKeyPair();
  return { name, keys, address: addressBytesOf(keys.publicKey) };
}

export const alice = makeActor("alice");
export const bob = makeActor("bob");
export const carol = makeActor("carol");
export const dave = makeActor("dave");
/** Receives transfers in most tests; never sends. */
export const sink = makeActor("sink");

export interface TransferFields {
  nonce: number;
  fee?: bigint;
  amount?: bigint;
  to?: Uint8Array;
  expiresAt?: number;
  chainId?: number;
  payload?: Uint8Array;
}

/** A real signed transfer from `from`. */
export function transfer(from: Actor, f: TransferFields, genesis: Hash = genesisHash): Tx {
  return signTx(
    {
      kind: TxKind.transfer,
      chainId: f.chainId ?? CHAIN_ID,
      from: from.keys.publicKey,
      to: f.to ?? sink.address,
      amount: f.amount ?? 100n,
      fee: f.fee ?? MIN_FEE,
      nonce: f.nonce,
      expiresAt: f.expiresAt ?? 0,
      payload: f.payload ?? new Uint8Array(0),
    },
    from.keys.secretKey,
    genesis,
  );
}

/** A head state the tests move by hand: accounts by address, a head height and a clock. */
export class TestState {
  readonly accounts = new Map<string, Account>();
  height = 0;
  /** The pool's clock in ms (queued-tx expiry); tests move it by hand. */
  time = 0;

  set(who: Actor | Uint8Array, balance: bigint, nonce = 0): this {
    const address = who instanceof Uint8Array ? who : who.address;
    this.accounts.set(toHex(address), { balance, nonce });
    return this;
  }

  readonly getAccount = (address: Uint8Array): Account => this.accounts.get(toHex(address)) ?? EMPTY_ACCOUNT;
  readonly headHeight = (): number => this.height;
  readonly now = (): number => this.time;

  /** Applies txs the way a block would (no validation) and returns that block at the next height. */
  mine(txs: Tx[]): Block {
    this.height++;
    for (const tx of txs) {
      const from = addressBytesOf(tx.from);
      const a = this.getAccount(from);
      this.accounts.set(toHex(from), { balance: a.balance - tx.amount - tx.fee, nonce: a.nonce + 1 });
      const b = this.getAccount(tx.to);
      this.accounts.set(toHex(tx.to), { balance: b.balance + tx.amount, nonce: b.nonce });
    }
    return makeBlock(this.height, txs);
  }
}

/** A block carrying `txs`; the mempool reads only the height and the txs. */
export function makeBlock(height: number, txs: Tx[]): Block {
  const zero = new Uint8Array(32);
  return {
    header: {
      version: 1,
      height,
      parentHash: zero,
      txRoot: zero,
      stateRoot: zero,
      beneficiary: new Uint8Array(20),
      timestamp: 0,
      engine: new Uint8Array(0),
    },
    txs,
    engineBody: new Uint8Array(0),
  };
}

export const DEFAULT_OPTIONS: MempoolOptions = { rules, maxTxs: 20_000, maxPerSender: 256, maxFutureGap: 64 };

export function newPool(state: TestState, overrides: Partial<MempoolOptions> = {}): Mempool {
  return createMempool(
    { ...DEFAULT_OPTIONS, ...overrides },
    { getAccount: state.getAccount, headHeight: state.headHeight, now: state.now },
  );
}

/** The code of what `fn` throws, or "OK" when it returns. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
    return "OK";
  } catch (err) {
    if (err instanceof ChainlabError) return err.code;
    throw err;
  }
}
