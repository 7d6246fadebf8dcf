/** `chainlab tx send|sign|stake|unstake`: sign txs locally; send them through a node's RPC. */
import type { Command } from "commander";
import { hashFromHex, toHex } from "../../core/hash.ts";
import { encodeTx, signTx, type Tx, TxKind, txId } from "../../core/tx.ts";
import { addressBytesOf } from "../../crypto/address.ts";
import { readKeystoreFile } from "../../crypto/keystore.ts";
import { resolvePassphrase } from "../../crypto/passphrase.ts";
import { readGenesisFile } from "../../node/genesis-file.ts";
import { CliError } from "../errors.ts";
import { printFields, printJson } from "../output.ts";
import { parseAddress, parseAmount, parseInteger } from "../parse.ts";
import { type RpcTargetOptions, rpcClientFor } from "../rpc-target.ts";
import { genesisHashOf } from "./genesis.ts";

interface TxFlags {
  to: string;
  amount: string;
  fee?: string;
  nonce?: string;
  expiresAt?: string;
  key: string;
  passphraseFile?: string;
  json?: boolean;
}

async function loadKey(flags: TxFlags) {
  const passphrase = await resolvePassphrase({
    ...(flags.passphraseFile !== undefined ? { passphraseFile: flags.passphraseFile } : {}),
    message: `Passphrase for ${flags.key}: `,
  });
  return readKeystoreFile(flags.key, passphrase);
}

function positiveAmount(flags: TxFlags): bigint {
  const amount = parseAmount(flags.amount, "amount");
  if (amount === 0n) throw new CliError("--amount must be positive");
  return amount;
}

function build(
  flags: TxFlags,
  from: Uint8Array,
  chainId: number,
  nonce: number,
  fee: bigint,
): Omit<Tx, "signature"> {
  const to = parseAddress(flags.to, "to");
  return unsignedTx(TxKind.transfer, flags, from, to, positiveAmount(flags), chainId, nonce, fee);
}

function output(tx: Tx, extra: Record<string, unknown>, json: boolean | undefined): void {
  const out = {
    id: toHex(txId(tx)),
    raw: toHex(encodeTx(tx)),
    nonce: tx.nonce,
    fee: tx.fee.toString(),
    ...extra,
  };
  if (json) printJson(out);
  else printFields(out);
}

function txOptions(cmd: Command): Command {
  return keyOptions(
    cmd
      .requiredOption("--to <address>", "recipient address")
      .requiredOption("--amount <units>", "amount in base units"),
  );
}

function keyOptions(cmd: Command): Command {
  return cmd
    .requiredOption("--key <keystore>", "sender keystore file")
    .option("--passphrase-file <file>", "keystore passphrase file (else CHAINLAB_PASSPHRASE, else a prompt)")
    .option("--expires-at <height>", "last block height the tx may be included at (0 = never)")
    .option("--json", "print JSON");
}

type SubmitFlags = TxFlags & RpcTargetOptions & { wait?: boolean };

function unsignedTx(
  kind: TxKind,
  flags: TxFlags,
  from: Uint8Array,
  to: Uint8Array,
  amount: bigint,
  chainId: number,
  nonce: number,
  fee: bigint,
): Omit<Tx, "signature"> {
  const expiresAt = flags.expiresAt !== undefined ? parseInteger(flags.expiresAt, "expires-at") : 0;
  return { kind, chainId, from, to, amount, fee, nonce, expiresAt, payload: new Uint8Array(0) };
}

/**
 * Signs the tx `make` builds (nonce from account_get unless --nonce, chain from node_info) and
 * submits it; with --wait, polls until it is included.
 */
async function submitTx(
  flags: SubmitFlags,
  make: (from: Uint8Array, chainId: number, nonce: number, fee: bigint) => Omit<Tx, "signature">,
): Promise<void> {
  const client = await rpcClientFor(flags);
  const key = await loadKey(flags);
  const info = await client.call<{ chainId: number; genesisHash: string }>("node_info");
  const nonce =
    flags.nonce !== undefined
      ? parseInteger(flags.nonce, "nonce")
      : (await client.call<{ pendingNonce: number }>("account_get", { address: key.address })).pendingNonce;
  const unsigned = make(key.publicKey, info.chainId, nonce, parseAmount(flags.fee ?? "1", "fee"));
  const signed = signTx(unsigned, key.secretKey, hashFromHex(info.genesisHash));
  const res = await client.call<{ id: string; status: string }>("tx_submit", { tx: toHex(encodeTx(signed)) });
  let included: unknown;
  if (flags.wait) {
    for (;;) {
      const r = await client.call<{ status: string; height?: number }>("tx_get", { id: res.id });
      if (r.status === "included") {
        included = r.height;
        break;
      }
      if (r.status === "unknown") throw new CliError(`tx ${res.id} left the mempool without being included`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  output(
    signed,
    { status: res.status, ...(included !== undefined ? { includedAt: included } : {}) },
    flags.json,
  );
}

function submitOptions(cmd: Command): Command {
  return cmd
    .option("--fee <units>", "fee in base units", "1")
    .option("--nonce <n>", "override the nonce (default: the account's pending nonce)")
    .option("--rpc <url>", "node RPC URL")
    .option("--api-key-file <file>", "file holding ID:SECRET (else CHAINLAB_API_KEY)")
    .option("--data-dir <dir>", "send through the node running on this data dir")
    .option("--wait", "wait until the tx is included in a block");
}

/** Registers the tx commands. */
export function registerTx(program: Command): void {
  const tx = program.command("tx").description("sign and send transactions");

  txOptions(
    submitOptions(
      tx
        .command("send")
        .description("sign a transfer locally (nonce from account_get) and submit it over RPC"),
    ),
  ).action((flags: SubmitFlags) =>
    submitTx(flags, (from, chainId, nonce, fee) => build(flags, from, chainId, nonce, fee)),
  );

  keyOptions(
    submitOptions(
      tx
        .command("stake")
        .description("bond stake from the key's balance: a new validator, or a top-up of an active one")
        .requiredOption("--amount <units>", "stake in base units")
        .option("--withdrawal <address>", "where the stake is paid on exit (default: the key's own address)"),
    ),
  ).action((flags: SubmitFlags & { withdrawal?: string }) =>
    submitTx(flags, (from, chainId, nonce, fee) => {
      const amount = positiveAmount(flags);
      const to =
        flags.withdrawal !== undefined ? parseAddress(flags.withdrawal, "withdrawal") : addressBytesOf(from);
      return unsignedTx(TxKind.stake, flags, from, to, amount, chainId, nonce, fee);
    }),
  );

  keyOptions(
    submitOptions(
      tx
        .command("unstake")
        .description("start the key's validator exit (its stake stays slashable until withdrawable)"),
    ),
  ).action((flags: SubmitFlags) =>
    submitTx(flags, (from, chainId, nonce, fee) =>
      unsignedTx(TxKind.unstake, flags, from, addressBytesOf(from), 0n, chainId, nonce, fee),
    ),
  );

  txOptions(
    tx
      .command("sign")
      .description("sign a transfer offline and print the raw tx hex (for scripts and replay experiments)")
      .requiredOption("--fee <units>", "fee in base units")
      .requiredOption("--nonce <n>", "the sender's nonce for this tx")
      .requiredOption("--genesis <file>", "genesis file of the target chain"),
  ).action(async (flags: TxFlags & { genesis: string }) => {
    const genesis = await readGenesisFile(flags.genesis);
    const key = await loadKey(flags);
    const unsigned = build(
      flags,
      key.publicKey,
      genesis.chainId,
      parseInteger(flags.nonce!, "nonce"),
      parseAmount(flags.fee!, "fee"),
    );
    const signed = signTx(unsigned, key.secretKey, hashFromHex(genesisHashOf(genesis)));
    output(signed, {}, flags.json);
  });
}
