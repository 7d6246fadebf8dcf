import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Heap } from "../../../src/mempool/heap.ts";

describe("Heap", () => {
  it("pops in order whether built from an array or pushed one by one", () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), fc.array(fc.integer()), (initial, pushed) => {
        const heap = new Heap<number>((a, b) => a < b, [...initial]);
        for (const x of pushed) heap.push(x);
        expect(heap.size).toBe(initial.length + pushed.length);
        const out: number[] = [];
        for (let x = heap.pop(); x !== undefined; x = heap.pop()) out.push(x);
        expect(out).toEqual([...initial, ...pushed].sort((a, b) => a - b));
        expect(heap.peek()).toBeUndefined();
      }),
    );
  });
});
