import { createCipheriv, randomBytes, scryptSync } from "node:crypto";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { concatBytes, fromHex, toHex, utf8 } from "../../../src/core/hash.ts";
import { addressOf } from "../../../src/crypto/address.ts";
import { generateKeyPair } from "../../../src/crypto/ed25519.ts";
import {
  DEFAULT_SCRYPT_N,
  decryptKeystore,
  encryptKeystore,
  type KeystoreJson,
  parseKeystore,
  readKeystoreFile,
  readKeystoreJson,
  writeKeystoreFile,
} from "../../../src/crypto/keystore.ts";
import { PASSPHRASE_ENV, resolvePassphrase } from "../../../src/crypto/passphrase.ts";
import { keystoreError, useTempDirs } from "./keystore-helpers.ts";

const FAST = { n: 2 ** 12 };
const PASS = "correct horse battery staple";
const alice = generateKeyPair();
const aliceKs = await encryptKeystore(alice.secretKey, PASS, FAST);

/** A deep copy of Alice's keystore with `edit` applied. */
function edited(edit: (ks: KeystoreJson) => void): KeystoreJson {
  const ks = structuredClone(aliceKs);
  edit(ks);
  return ks;
}

/** Flips the low bit of the first byte of a hex string. */
function flipHex(hex: string): string {
  const b = fromHex(hex);
  b[0]! ^= 1;
  return toHex(b);
}

describe("encryptKeystore / decryptKeystore", () => {
  it("round-trips the secret key and records address and public key", async () => {
    expect(aliceKs).toMatchObject({
      version: 1,
      kind: "chainlab-keystore",
      publicKey: toHex(alice.publicKey),
    });
    expect(aliceKs.address).toBe(addressOf(alice.publicKey));
    expect(aliceKs.crypto.kdfparams).toMatchObject({ n: 4096, r: 8, p: 1, dklen: 32 });
    const out = await decryptKeystore(aliceKs, PASS);
    expect(out.secretKey).toEqual(alice.secretKey);
    expect(out.publicKey).toEqual(alice.publicKey);
    expect(out.address).toBe(aliceKs.address);
  });

  it("survives JSON serialization and never stores the secret in the clear", async () => {
    const text = JSON.stringify(aliceKs);
    expect(text).not.toContain(toHex(alice.secretKey));
    expect(text).not.toContain(PASS);
    expect((await decryptKeystore(JSON.parse(text), PASS)).secretKey).toEqual(alice.secretKey);
  });

  it("uses a fresh salt and iv each time", async () => {
    const again = await encryptKeystore(alice.secretKey, PASS, FAST);
    expect(again.crypto.kdfparams.salt).not.toBe(aliceKs.crypto.kdfparams.salt);
    expect(again.crypto.iv).not.toBe(aliceKs.crypto.iv);
    expect(again.crypto.ciphertext).not.toBe(aliceKs.crypto.ciphertext);
  });

  it("defaults to N = 2^15", async () => {
    const ks = await encryptKeystore(alice.secretKey, PASS);
    expect(ks.crypto.kdfparams.n).toBe(DEFAULT_SCRYPT_N);
    expect(DEFAULT_SCRYPT_N).toBe(2 ** 15);
  });

  it("normalizes the passphrase (NFKC), so composed and decomposed accents agree", async () => {
    const ks = await encryptKeystore(alice.secretKey, "caf\u00e9", FAST);
    expect((await decryptKeystore(ks, "cafe\u0301")).secretKey).toEqual(alice.secretKey);
  });

  it("refuses an empty passphrase, a bad key length and out-of-range costs", async () => {
    expect((await keystoreError(encryptKeystore(alice.secretKey, "", FAST))).code).toBe(
      "KEYSTORE_NO_PASSPHRASE",
    );
    await expect(encryptKeystore(new Uint8Array(31), PASS, FAST)).rejects.toThrow(RangeError);
    for (const opts of [
      { n: 2 ** 21 },
      { n: 3000 },
      { n: 2 ** 9 },
      { n: 2 ** 12, r: 0 },
      { n: 2 ** 20, p: 2 },
    ]) {
      expect((await keystoreError(encryptKeystore(alice.secretKey, PASS, opts))).code).toBe(
        "KEYSTORE_MALFORMED",
      );
    }
  });
});

describe("wrong passphrase and tampering", () => {
  it("a wrong passphrase is KEYSTORE_WRONG_PASSPHRASE and the message holds no secret", async () => {
    const err = await keystoreError(decryptKeystore(aliceKs, "incorrect horse"));
    expect(err.code).toBe("KEYSTORE_WRONG_PASSPHRASE");
    expect(err.message).toBe("wrong passphrase or corrupted keystore");
    expect(JSON.stringify({ m: err.message, d: err.data })).not.toMatch(/horse/);
  });

  const tampered: [string, (ks: KeystoreJson) => void][] = [
    [
      "ciphertext",
      (ks) => {
        ks.crypto.ciphertext = flipHex(ks.crypto.ciphertext);
      },
    ],
    [
      "tag",
      (ks) => {
        ks.crypto.tag = flipHex(ks.crypto.tag);
      },
    ],
    [
      "iv",
      (ks) => {
        ks.crypto.iv = flipHex(ks.crypto.iv);
      },
    ],
    [
      "salt",
      (ks) => {
        ks.crypto.kdfparams.salt = flipHex(ks.crypto.kdfparams.salt);
      },
    ],
    [
      "n",
      (ks) => {
        ks.crypto.kdfparams.n = 2 ** 11;
      },
    ],
    [
      "publicKey and address together",
      (ks) => {
        const other = generateKeyPair().publicKey;
        ks.publicKey = toHex(other);
        ks.address = addressOf(other);
      },
    ],
  ];
  for (const [what, edit] of tampered) {
    it(`a tampered ${what} fails authentication`, async () => {
      const err = await keystoreError(decryptKeystore(edited(edit), PASS));
      expect(err.code).toBe("KEYSTORE_WRONG_PASSPHRASE");
      expect(err.message).toContain("corrupted keystore");
    });
  }

  it("a public key that does not match the address is KEYSTORE_MALFORMED", async () => {
    const ks = edited((k) => {
      k.publicKey = toHex(generateKeyPair().publicKey);
    });
    const err = await keystoreError(decryptKeystore(ks, PASS));
    expect(err.code).toBe("KEYSTORE_MALFORMED");
    expect(err.message).toContain("address");
  });

  it("a secret that does not match an authenticated public key is KEYSTORE_KEY_MISMATCH", async () => {
    // A buggy writer: Bob's public key and address are bound as AAD but Alice's secret is encrypted.
    const bob = generateKeyPair();
    const salt = randomBytes(32);
    const iv = randomBytes(12);
    const key = scryptSync(utf8(PASS), salt, 32, { N: 2 ** 12, r: 8, p: 1 });
    const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: 16 });
    const bobAddress = addressOf(bob.publicKey);
    cipher.setAAD(concatBytes(utf8("chainlab-keystore/v1"), bob.publicKey, utf8(bobAddress)));
    const ciphertext = Buffer.concat([cipher.update(alice.secretKey), cipher.final()]);
    const ks: KeystoreJson = {
      version: 1,
      kind: "chainlab-keystore",
      address: bobAddress,
      publicKey: toHex(bob.publicKey),
      crypto: {
        kdf: "scrypt",
        kdfparams: { n: 2 ** 12, r: 8, p: 1, dklen: 32, salt: toHex(salt) },
        cipher: "aes-256-gcm",
        iv: toHex(iv),
        ciphertext: toHex(ciphertext),
        tag: toHex(cipher.getAuthTag()),
      },
    };
    expect((await keystoreError(decryptKeystore(ks, PASS))).code).toBe("KEYSTORE_KEY_MISMATCH");
  });
});

describe("malformed keystores", () => {
  type Edit = (ks: Record<string, unknown> & KeystoreJson) => void;
  const del = (o: object, k: string) => delete (o as Record<string, unknown>)[k];
  const set = (o: object, k: string, v: unknown) => {
    (o as Record<string, unknown>)[k] = v;
  };
  const cases: [field: string, what: string, edit: Edit][] = [
    ["version", "version 2", (ks) => set(ks, "version", 2)],
    ["version", "version as a string", (ks) => set(ks, "version", "1")],
    ["version", "missing version", (ks) => del(ks, "version")],
    ["kind", "another kind", (ks) => set(ks, "kind", "ethereum-keystore")],
    ["address", "numeric address", (ks) => set(ks, "address", 42)],
    ["address", "invalid address", (ks) => set(ks, "address", "clab1notanaddress")],
    ["publicKey", "uppercase hex", (ks) => set(ks, "publicKey", ks.publicKey.toUpperCase())],
    ["publicKey", "31 bytes", (ks) => set(ks, "publicKey", ks.publicKey.slice(2))],
    ["publicKey", "0x prefix", (ks) => set(ks, "publicKey", `0x${ks.publicKey}`)],
    ["extra", "unknown top-level field", (ks) => set(ks, "extra", true)],
    ["crypto", "null crypto", (ks) => set(ks, "crypto", null)],
    ["crypto", "array crypto", (ks) => set(ks, "crypto", [])],
    ["crypto.kdf", "pbkdf2", (ks) => set(ks.crypto, "kdf", "pbkdf2")],
    ["crypto.cipher", "aes-128-gcm", (ks) => set(ks.crypto, "cipher", "aes-128-gcm")],
    ["crypto.iv", "13-byte iv", (ks) => set(ks.crypto, "iv", `${ks.crypto.iv}00`)],
    ["crypto.iv", "non-hex iv", (ks) => set(ks.crypto, "iv", "zz".repeat(12))],
    [
      "crypto.ciphertext",
      "31-byte ciphertext",
      (ks) => set(ks.crypto, "ciphertext", ks.crypto.ciphertext.slice(2)),
    ],
    ["crypto.tag", "missing tag", (ks) => del(ks.crypto, "tag")],
    ["crypto.tag", "numeric tag", (ks) => set(ks.crypto, "tag", 7)],
    ["crypto.mac", "unknown crypto field", (ks) => set(ks.crypto, "mac", "00")],
    ["crypto.kdfparams", "string kdfparams", (ks) => set(ks.crypto, "kdfparams", "scrypt")],
    ["crypto.kdfparams.n", "N = 2^21", (ks) => set(ks.crypto.kdfparams, "n", 2 ** 21)],
    ["crypto.kdfparams.n", "N = 2^40", (ks) => set(ks.crypto.kdfparams, "n", 2 ** 40)],
    ["crypto.kdfparams.n", "N not a power of two", (ks) => set(ks.crypto.kdfparams, "n", 4095)],
    ["crypto.kdfparams.n", "fractional N", (ks) => set(ks.crypto.kdfparams, "n", 4096.5)],
    ["crypto.kdfparams.n", "N as a string", (ks) => set(ks.crypto.kdfparams, "n", "4096")],
    ["crypto.kdfparams.r", "r = 0", (ks) => set(ks.crypto.kdfparams, "r", 0)],
    ["crypto.kdfparams.r", "r = 1e9", (ks) => set(ks.crypto.kdfparams, "r", 1e9)],
    ["crypto.kdfparams.p", "p = 17", (ks) => set(ks.crypto.kdfparams, "p", 17)],
    [
      "crypto.kdfparams",
      "N*r*p = 2^24",
      (ks) => Object.assign(ks.crypto.kdfparams, { n: 2 ** 20, r: 8, p: 2 }),
    ],
    ["crypto.kdfparams.dklen", "dklen 64", (ks) => set(ks.crypto.kdfparams, "dklen", 64)],
    ["crypto.kdfparams.salt", "8-byte salt", (ks) => set(ks.crypto.kdfparams, "salt", "00".repeat(8))],
    ["crypto.kdfparams.salt", "65-byte salt", (ks) => set(ks.crypto.kdfparams, "salt", "00".repeat(65))],
  ];

  for (const [field, what, edit] of cases) {
    it(`rejects ${what}, naming ${field}`, async () => {
      const ks = edited(edit as (ks: KeystoreJson) => void);
      const err = await keystoreError(() => parseKeystore(ks));
      expect(err.code).toBe("KEYSTORE_MALFORMED");
      expect(err.message).toContain(field);
      expect(err.message).not.toContain("\n");
      expect((await keystoreError(decryptKeystore(ks, PASS))).code).toBe("KEYSTORE_MALFORMED");
    });
  }

  const nonObjects: [string, unknown][] = [
    ["null", null],
    ["undefined", undefined],
    ["a number", 5],
    ["a string", "keystore"],
    ["an empty array", []],
    ["an array holding a keystore", [aliceKs]],
  ];
  for (const [what, value] of nonObjects) {
    it(`rejects ${what} instead of an object`, async () => {
      expect((await keystoreError(decryptKeystore(value, PASS))).code).toBe("KEYSTORE_MALFORMED");
    });
  }

  it("a hostile N is refused before scrypt runs", async () => {
    const ks = edited((k) => Object.assign(k.crypto.kdfparams, { n: 2 ** 30, r: 1024, p: 1024 }));
    const started = Date.now();
    expect((await keystoreError(decryptKeystore(ks, PASS))).code).toBe("KEYSTORE_MALFORMED");
    expect(Date.now() - started).toBeLessThan(500);
  });
});

describe("keystore files", () => {
  const tempDir = useTempDirs();

  it("writes mode 0600, reads back, and leaves no temp file", async () => {
    const dir = await tempDir();
    const path = join(dir, "alice.json");
    await writeKeystoreFile(path, aliceKs);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(["alice.json"]);
    expect(await readKeystoreJson(path)).toEqual(aliceKs);
    expect((await readKeystoreFile(path, PASS)).secretKey).toEqual(alice.secretKey);
  });

  it("refuses to overwrite unless asked, and keeps the old file intact", async () => {
    const dir = await tempDir();
    const path = join(dir, "alice.json");
    await writeKeystoreFile(path, aliceKs);
    const before = await readFile(path, "utf8");
    const bob = await encryptKeystore(generateKeyPair().secretKey, PASS, FAST);
    const err = await keystoreError(writeKeystoreFile(path, bob));
    expect(err.code).toBe("KEYSTORE_EXISTS");
    expect(await readFile(path, "utf8")).toBe(before);
    expect(await readdir(dir)).toEqual(["alice.json"]);
    await writeKeystoreFile(path, bob, { overwrite: true });
    expect((await readKeystoreJson(path)).address).toBe(bob.address);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("refuses to overwrite a file it did not write", async () => {
    const dir = await tempDir();
    const path = join(dir, "notes.txt");
    await writeFile(path, "keep me");
    expect((await keystoreError(writeKeystoreFile(path, aliceKs))).code).toBe("KEYSTORE_EXISTS");
    expect(await readFile(path, "utf8")).toBe("keep me");
  });

  it("of two concurrent writers without overwrite, exactly one wins", async () => {
    const dir = await tempDir();
    const path = join(dir, "race.json");
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => writeKeystoreFile(path, aliceKs)),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) {
      if (r.status === "rejected") expect(r.reason.code).toBe("KEYSTORE_EXISTS");
    }
    expect(await readdir(dir)).toEqual(["race.json"]);
  });

  it("does not write a malformed keystore", async () => {
    const dir = await tempDir();
    const bad = edited((k) => {
      k.crypto.tag = "00";
    });
    expect((await keystoreError(writeKeystoreFile(join(dir, "bad.json"), bad))).code).toBe(
      "KEYSTORE_MALFORMED",
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it("a missing file is KEYSTORE_NOT_FOUND", async () => {
    const dir = await tempDir();
    const err = await keystoreError(readKeystoreFile(join(dir, "nobody.json"), PASS));
    expect(err.code).toBe("KEYSTORE_NOT_FOUND");
  });

  it("a file that is not JSON, or too large, is KEYSTORE_MALFORMED", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "truncated.json"), JSON.stringify(aliceKs).slice(0, 100));
    await writeFile(join(dir, "huge.json"), " ".repeat(100_000));
    for (const name of ["truncated.json", "huge.json"]) {
      const err = await keystoreError(readKeystoreFile(join(dir, name), PASS));
      expect(err.code).toBe("KEYSTORE_MALFORMED");
    }
    expect((await keystoreError(readKeystoreJson(dir))).code).toBe("KEYSTORE_MALFORMED");
  });

  it("resolves the passphrase file before the environment and decrypts with it", async () => {
    const dir = await tempDir();
    const path = join(dir, "alice.json");
    await writeKeystoreFile(path, aliceKs);
    const passFile = join(dir, "pass.txt");
    await writeFile(passFile, `${PASS}\n`);
    const env = { [PASSPHRASE_ENV]: "the env passphrase" };
    const fromFile = await resolvePassphrase({ passphraseFile: passFile, env, prompt: false });
    expect((await readKeystoreFile(path, fromFile)).secretKey).toEqual(alice.secretKey);
    const fromEnv = await resolvePassphrase({ env, prompt: false });
    expect(fromEnv).toBe("the env passphrase");
    expect((await keystoreError(readKeystoreFile(path, fromEnv))).code).toBe("KEYSTORE_WRONG_PASSPHRASE");
  });
});
