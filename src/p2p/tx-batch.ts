/**
 * The txs topic carries batches, not single transactions: a node gathers the txs submitted to it
 * for a few milliseconds and publishes them as one message, so gossip, Noise decryption and
 * message-id work are paid per batch instead of per tx (the per-message cost dominated at
 * hundreds of tx/s). Layout: count u16 (1..MAX_TX_BATCH) | each tx u16-length-prefixed.
 */
import { Reader, Writer } from "../core/encoding.ts";
import { DecodeError } from "../core/errors.ts";
import { MAX_TX_SIZE } from "../core/tx.ts";

/** Most txs in one gossip message. */
export const MAX_TX_BATCH = 512;
/** Largest txs-topic message: a full batch of maximum-size txs. */
export const MAX_TX_BATCH_BYTES = 2 + MAX_TX_BATCH * (2 + MAX_TX_SIZE);
/** A batch is published when it holds this many bytes (or txs), or after TX_BATCH_DELAY_MS. */
export const TX_BATCH_FLUSH_BYTES = 256 * 1024;
export const TX_BATCH_DELAY_MS = 20;

/** Encodes already-encoded txs as one batch. */
export function encodeTxBatch(txs: readonly Uint8Array[]): Uint8Array {
  if (txs.length === 0 || txs.length > MAX_TX_BATCH) throw new RangeError(`tx batch of ${txs.length} txs`);
  const w = new Writer(2 + txs.reduce((n, t) => n + 2 + t.length, 0));
  w.u16(txs.length);
  for (const t of txs) w.varBytes(t, 2, MAX_TX_SIZE);
  return w.finish();
}

/** Decodes a batch into the encoded txs (each still to be decoded); throws DecodeError. */
export function decodeTxBatch(bytes: Uint8Array): Uint8Array[] {
  if (bytes.length > MAX_TX_BATCH_BYTES) throw new DecodeError("DECODE_TOO_LARGE", "tx batch: too large");
  const r = new Reader(bytes, "tx batch");
  const n = r.count(2, MAX_TX_BATCH, "count");
  if (n === 0) r.fail("empty batch");
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) out.push(r.varBytes(2, MAX_TX_SIZE, "tx"));
  r.end();
  return out;
}

/** Collects encoded txs and hands them to `publish` as batches. */
export class TxBatcher {
  private readonly publish: (batch: Uint8Array) => void;
  private pending: Uint8Array[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(publish: (batch: Uint8Array) => void) {
    this.publish = publish;
  }

  add(tx: Uint8Array): void {
    this.pending.push(tx);
    this.bytes += tx.length + 2;
    if (this.pending.length >= MAX_TX_BATCH || this.bytes >= TX_BATCH_FLUSH_BYTES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), TX_BATCH_DELAY_MS);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const batch = encodeTxBatch(this.pending);
    this.pending = [];
    this.bytes = 0;
    this.publish(batch);
  }

  /** Stops the timer without publishing what is pending. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
    this.bytes = 0;
  }
}
