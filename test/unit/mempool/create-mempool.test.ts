import pino from "pino";
import { describe, expect, it } from "vitest";
import { createMempool, type MempoolLogger } from "../../../src/mempool/index.ts";
import { alice, DEFAULT_OPTIONS, makeBlock, TestState, transfer } from "./fixtures.ts";

interface Line {
  level: string;
  bindings: Record<string, unknown>;
  obj: object;
  msg: string | undefined;
}

function recordingLogger(lines: Line[], bindings: Record<string, unknown> = {}): MempoolLogger {
  const at = (level: string) => (obj: object, msg?: string) => lines.push({ level, bindings, obj, msg });
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  };
}

describe("createMempool", () => {
  const state = new TestState().set(alice, 1000n);
  const deps = { getAccount: state.getAccount, headHeight: state.headHeight };

  it.each([
    { name: "maxTxs 0", patch: { maxTxs: 0 } },
    { name: "maxPerSender 0", patch: { maxPerSender: 0 } },
    { name: "negative maxFutureGap", patch: { maxFutureGap: -1 } },
    { name: "fractional maxTxs", patch: { maxTxs: 1.5 } },
    { name: "negative bump", patch: { replaceBumpPercent: -5 } },
  ])("rejects $name", ({ patch }) => {
    expect(() => createMempool({ ...DEFAULT_OPTIONS, ...patch }, deps)).toThrow(RangeError);
  });

  it("accepts a pino logger", () => {
    const logger: MempoolLogger = pino({ level: "silent" });
    const pool = createMempool(DEFAULT_OPTIONS, { ...deps, logger });
    expect(pool.add(transfer(alice, { nonce: 0 })).status).toBe("pending");
  });

  it("logs structured lines through a child logger bound to the module", () => {
    const lines: Line[] = [];
    const pool = createMempool(DEFAULT_OPTIONS, { ...deps, logger: recordingLogger(lines) });
    pool.onAdded(() => {
      throw new Error("listener bug");
    });
    pool.add(transfer(alice, { nonce: 0 }));
    expect(() => pool.add(transfer(alice, { nonce: 0 }))).toThrow();
    pool.onHeadChanged({ connected: [makeBlock(1, [])], disconnected: [] });
    expect(lines.every((l) => l.bindings["module"] === "mempool")).toBe(true);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ["warn", "mempool onAdded listener threw"],
      ["debug", "tx rejected"],
      ["debug", "head changed"],
    ]);
    expect(lines[1]!.obj).toEqual({ code: "MEMPOOL_ALREADY_KNOWN" });
  });
});
