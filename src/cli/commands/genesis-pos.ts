/**
 * `genesis new --consensus pos`: the validator keystores (written before the genesis, refusing to
 * overwrite any file) and the PoS params that bond them.
 */
import { access } from "node:fs/promises";
import { resolve } from "node:path";
import type { Json } from "../../core/genesis.ts";
import { resolvePassphrase } from "../../crypto/passphrase.ts";
import { posValidatorParams, writeValidatorKeystores } from "../../testnet/validator-keys.ts";
import { CliError } from "../errors.ts";
import { parseAmount, parseInteger, parsePositive } from "../parse.ts";

/** The PoS flags of `genesis new`. */
export interface PosGenesisFlags {
  out: string;
  validators?: string;
  stake?: string;
  slotTime: string;
  epochSlots: string;
  keysDir?: string;
  passphraseFile?: string;
  scryptLogN: string;
}

/** Most validators `genesis new` creates. */
export const MAX_CLI_VALIDATORS = 1024;

/** Writes the keystores and returns the genesis params and what to report. */
export async function writePosValidators(
  opts: PosGenesisFlags,
): Promise<{ params: Record<string, Json>; summary: Record<string, unknown> }> {
  if (opts.validators === undefined) throw new CliError("--consensus pos needs --validators N");
  if (opts.keysDir === undefined) throw new CliError("--consensus pos needs --keys-dir DIR");
  const n = parseInteger(opts.validators, "validators", 1, MAX_CLI_VALIDATORS);
  const slotMs = Math.round(parsePositive(opts.slotTime, "slot-time") * 1000);
  if (slotMs < 100) throw new CliError("--slot-time must be at least 0.1 s");
  const slotsPerEpoch = parseInteger(opts.epochSlots, "epoch-slots", 1, 1024);
  const logN = parseInteger(opts.scryptLogN, "scrypt-log-n", 10, 20);
  const stake = opts.stake !== undefined ? parseAmount(opts.stake, "stake") : undefined;
  const outExists = await access(opts.out).then(
    () => true,
    () => false,
  );
  if (outExists) throw new CliError(`${opts.out} already exists (refusing to overwrite)`);
  // The params are checked (stake, epoch length) before any key is generated.
  const probe = { index: 0, file: "", publicKey: "00".repeat(32), address: "" };
  posValidatorParams([probe], { slotMs, slotsPerEpoch, ...(stake !== undefined ? { stake } : {}) });
  const passphrase = await resolvePassphrase({
    ...(opts.passphraseFile !== undefined ? { passphraseFile: opts.passphraseFile } : {}),
    message: "Validator keystore passphrase: ",
    confirm: true,
  });
  const keysDir = resolve(opts.keysDir);
  const keys = await writeValidatorKeystores(
    keysDir,
    Array.from({ length: n }, (_, i) => i),
    passphrase,
    {
      scryptN: 2 ** logN,
      onKey: (done) => {
        if (n >= 8) process.stderr.write(`\rvalidator keystores: ${done}/${n}`);
        if (n >= 8 && done === n) process.stderr.write("\n");
      },
    },
  );
  const params = posValidatorParams(keys, {
    slotMs,
    slotsPerEpoch,
    ...(stake !== undefined ? { stake } : {}),
  });
  const validators = params.validators as { stake: string }[];
  return {
    params,
    summary: { validators: n, stake: validators[0]!.stake, slotMs, slotsPerEpoch, keysDir },
  };
}
