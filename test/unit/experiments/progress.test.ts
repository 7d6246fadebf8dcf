import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createProgress } from "../../../src/experiments/progress.ts";

describe("plain progress", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
  });
  afterEach(() => vi.useRealTimers());

  it("prints at most one line per interval, the last once, with an ETA from the rate since the first tick", () => {
    const lines: string[] = [];
    const p = createProgress({ write: (t: string) => lines.push(t) }, { unit: "blocks", plainEveryMs: 1000 });
    p.start(10);
    vi.setSystemTime(30_000); // start-up: no tick yet, so it does not slow the rate
    p.tick(0, "measuring");
    vi.setSystemTime(30_500);
    p.tick(2, "measuring"); // within the interval: not printed
    vi.setSystemTime(32_000);
    p.tick(4, "measuring");
    vi.setSystemTime(35_000);
    p.tick(10, "done");
    p.tick(10, "done");
    expect(lines).toEqual([
      "blocks 0/10 (0%) elapsed 30 s, ETA -: measuring\n",
      "blocks 4/10 (40%) elapsed 32 s, ETA 3 s: measuring\n",
      "blocks 10/10 (100%) elapsed 35 s, ETA 0 s: done\n",
    ]);
  });

  it("names trials by default", () => {
    const lines: string[] = [];
    const p = createProgress({ write: (t: string) => lines.push(t) });
    p.start(1);
    p.tick(1, "x");
    expect(lines[0]).toMatch(/^trials 1\/1 /);
  });
});
