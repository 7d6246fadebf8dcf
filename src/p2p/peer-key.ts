/** The node's persistent libp2p identity: an Ed25519 key in `<dataDir>/peer.key` (protobuf, mode 0600). */
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import type { Logger } from "pino";
import { P2PError } from "./errors.ts";

/** File name of the peer key inside the data dir. */
export const PEER_KEY_FILE = "peer.key";

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/** Loads the peer key from the data dir, creating it (mode 0600) on first start. */
export async function loadOrCreatePeerKey(dataDir: string, log: Logger): Promise<PrivateKey> {
  const path = join(dataDir, PEER_KEY_FILE);
  let bytes: Uint8Array | undefined;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (err) {
    if (errno(err) !== "ENOENT") throw new P2PError("P2P_KEY_FILE", `cannot read ${path}: ${errno(err)}`);
  }
  if (bytes !== undefined) {
    const mode = (await stat(path)).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      log.warn({ path, mode: mode.toString(8) }, "peer key was readable by others; restricting to 0600");
      await chmod(path, 0o600);
    }
    try {
      return privateKeyFromProtobuf(bytes);
    } catch (err) {
      throw new P2PError("P2P_KEY_FILE", `${path} is not a libp2p private key: ${(err as Error).message}`);
    }
  }
  const key = await generateKeyPair("Ed25519");
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  try {
    await writeFile(path, privateKeyToProtobuf(key), { mode: 0o600, flag: "wx" });
  } catch (err) {
    // Another process created it between our read and write: use theirs.
    if (errno(err) === "EEXIST") return loadOrCreatePeerKey(dataDir, log);
    throw new P2PError("P2P_KEY_FILE", `cannot write ${path}: ${errno(err)}`);
  }
  log.info({ path }, "created peer key");
  return key;
}
