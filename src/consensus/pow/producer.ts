/**
 * The PoW block production loop: build a template on the head, seal it, submit it, repeat. A new
 * head aborts the current search at once; new transactions refresh the template after a short
 * debounce so fee-paying txs get in without rebuilding on every arrival.
 */
import { type Block, decodeHeader, encodeHeader } from "../../core/block.ts";
import { describeError } from "../../core/errors.ts";
import { bytesEqual, toHex } from "../../core/hash.ts";
import type { BlockProducer, ProducerContext, ProducerOptions } from "../engine.ts";
import { compactToTarget } from "./difficulty.ts";
import type { PowEngine } from "./engine.ts";
import type { Sealer } from "./sealer.ts";

const TX_REFRESH_DEBOUNCE_MS = 50;

/** The PoW miner loop around a Sealer. */
export class PowProducer implements BlockProducer {
  private readonly engine: PowEngine;
  private readonly ctx: ProducerContext;
  private readonly options: ProducerOptions;
  private readonly createSealer: () => Sealer;
  private sealer: Sealer | undefined;
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private txTimer: NodeJS.Timeout | undefined;
  /** A refreshed template built while the sealer was still busy with the previous one. */
  private next: Block | undefined;
  private blocksFound = 0;
  running = false;

  constructor(engine: PowEngine, ctx: ProducerContext, options: ProducerOptions, createSealer: () => Sealer) {
    this.engine = engine;
    this.ctx = ctx;
    this.options = options;
    this.createSealer = createSealer;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.sealer = this.createSealer();
    this.unsubscribe = this.ctx.onTemplateInvalidated((reason) => {
      if (reason === "head") {
        this.next = undefined;
        this.abort?.abort();
      } else if (this.txTimer === undefined) {
        this.txTimer = setTimeout(() => {
          this.txTimer = undefined;
          // Build the refreshed template while the workers keep hashing the current one, then swap.
          if (!this.running) return;
          this.next = this.buildTemplate();
          this.abort?.abort();
        }, TX_REFRESH_DEBOUNCE_MS);
      }
    });
    this.loop = this.run(this.sealer);
  }

  private buildTemplate(): Block {
    const { view } = this.ctx;
    const parent = view.head();
    return this.ctx.buildTemplate({
      beneficiary: this.options.beneficiary,
      timestamp: this.engine.templateTimestamp(parent, view, this.ctx.now()),
      engineFields: this.engine.prepareFields(parent, view),
    });
  }

  private async run(sealer: Sealer): Promise<void> {
    while (this.running) {
      const head = this.ctx.view.head();
      const next = this.next;
      this.next = undefined;
      const template =
        next !== undefined && bytesEqual(next.header.parentHash, head.hash) ? next : this.buildTemplate();
      const target = compactToTarget(this.engine.fields(template.header).bits)!;
      this.abort = new AbortController();
      let sealed: Uint8Array | null;
      try {
        sealed = await sealer.seal(encodeHeader(template.header), target, this.abort.signal);
      } catch (err) {
        this.ctx.log.error({ err: describeError(err) }, "sealer failed");
        break;
      }
      if (sealed === null || !this.running) continue;
      const block = { ...template, header: decodeHeader(sealed) };
      this.blocksFound++;
      this.ctx.log.debug({ height: block.header.height, txs: block.txs.length }, "mined block");
      try {
        await this.ctx.submitBlock(block);
      } catch (err) {
        this.ctx.log.warn({ err: describeError(err), parent: toHex(head.hash) }, "mined block rejected");
      }
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    if (this.txTimer) clearTimeout(this.txTimer);
    this.txTimer = undefined;
    this.abort?.abort();
    await this.loop;
    await this.sealer?.close();
    this.sealer = undefined;
  }

  stats(): Record<string, unknown> {
    const hashes = this.sealer?.hashes?.();
    return {
      hashrate: Math.round(this.sealer?.hashrate() ?? 0),
      blocksFound: this.blocksFound,
      ...(hashes !== undefined ? { hashes } : {}),
    };
  }
}
