/** `chainlab keys new|show`: encrypted keystores. */
import type { Command } from "commander";
import { generateKeyPair } from "../../crypto/ed25519.ts";
import { encryptKeystore, readKeystoreJson, writeKeystoreFile } from "../../crypto/keystore.ts";
import { resolvePassphrase } from "../../crypto/passphrase.ts";
import { printFields, printJson } from "../output.ts";
import { parseInteger } from "../parse.ts";

/** Registers the keys commands. */
export function registerKeys(program: Command): void {
  const keys = program.command("keys").description("create and inspect encrypted key files");

  keys
    .command("new")
    .description("generate an ed25519 key and write it as an encrypted keystore (mode 0600)")
    .requiredOption("--out <file>", "keystore file to create (never overwritten)")
    .option(
      "--passphrase-file <file>",
      "read the passphrase from a file (else CHAINLAB_PASSPHRASE, else a prompt)",
    )
    .option("--scrypt-log-n <n>", "scrypt cost as log2(N), 10..20", "15")
    .option("--json", "print JSON")
    .action(async (opts: { out: string; passphraseFile?: string; scryptLogN: string; json?: boolean }) => {
      const logN = parseInteger(opts.scryptLogN, "scrypt-log-n", 10, 20);
      const passphrase = await resolvePassphrase({
        ...(opts.passphraseFile !== undefined ? { passphraseFile: opts.passphraseFile } : {}),
        message: "New passphrase: ",
        confirm: true,
      });
      const kp = generateKeyPair();
      const ks = await encryptKeystore(kp.secretKey, passphrase, { n: 2 ** logN });
      kp.secretKey.fill(0);
      await writeKeystoreFile(opts.out, ks);
      const out = { file: opts.out, address: ks.address, publicKey: ks.publicKey };
      if (opts.json) printJson(out);
      else printFields(out);
    });

  keys
    .command("show")
    .description("print a keystore's address and public key (no passphrase needed)")
    .argument("<file>", "keystore file")
    .option("--json", "print JSON")
    .action(async (file: string, opts: { json?: boolean }) => {
      const ks = await readKeystoreJson(file);
      const out = {
        file,
        address: ks.address,
        publicKey: ks.publicKey,
        kdf: ks.crypto.kdf,
        cipher: ks.crypto.cipher,
      };
      if (opts.json) printJson(out);
      else printFields(out);
    });
}
