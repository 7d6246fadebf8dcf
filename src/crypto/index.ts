/**
 * crypto/: ed25519 keys and signatures (noble for generation and reference, node:crypto on hot
 * paths), bech32m `clab` addresses, encrypted keystores and passphrase resolution. It may import
 * only core/ (errors, hashes) besides node built-ins and the noble/scure libraries.
 */
export * from "./address.ts";
export * from "./ed25519.ts";
export * from "./keystore.ts";
export * from "./passphrase.ts";
