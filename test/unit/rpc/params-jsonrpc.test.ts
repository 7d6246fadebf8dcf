import { describe, expect, it } from "vitest";
import { ChainlabError } from "../../../src/core/errors.ts";
import { noParams, params, parseDuration, rpcCodeFor, stringifyJson, v } from "../../../src/rpc/index.ts";
import { checkRequest, toErrorObject } from "../../../src/rpc/jsonrpc.ts";

describe("param validators", () => {
  const p = params({
    hash: v.hex({ bytes: 32 }),
    height: v.integer({ min: 0 }),
    amount: v.bigint({ min: 1n }),
    full: v.optional(v.boolean()),
    kind: v.optional(v.oneOf(["transfer", "stake"])),
  });
  const good = { hash: "0x" + "AB".repeat(32), height: 7, amount: "1000000000000000000000" };

  it("accepts named and positional forms and normalises values", () => {
    const named = p.parse(good);
    expect(named).toEqual({
      hash: "ab".repeat(32),
      height: 7,
      amount: 10n ** 21n,
      full: undefined,
      kind: undefined,
    });
    expect(p.parse([good.hash, 7, good.amount, true, "stake"])).toMatchObject({ full: true, kind: "stake" });
  });

  it.each([
    [{ ...good, hash: "ab" }, "hash"],
    [{ ...good, hash: "zz".repeat(32) }, "hash"],
    [{ ...good, height: -1 }, "height"],
    [{ ...good, height: "7" }, "height"],
    [{ ...good, height: 2 ** 60 }, "height"],
    [{ ...good, amount: 5 }, "amount"],
    [{ ...good, amount: "0" }, "amount"],
    [{ ...good, amount: "01" }, "amount"],
    [{ ...good, full: "yes" }, "full"],
    [{ ...good, kind: "burn" }, "kind"],
    [{ height: 1, amount: "1" }, "hash"],
    [{ ...good, nope: 1 }, "nope"],
  ])("refuses %j naming %s", (input, name) => {
    let err: unknown;
    try {
      p.parse(input);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: "INVALID_PARAMS" });
    expect((err as Error).message).toContain(name);
  });

  it("accepts absent params for methods without any and refuses extra positional ones", () => {
    expect(noParams.parse(undefined)).toEqual({});
    expect(noParams.parse([])).toEqual({});
    expect(() => noParams.parse([1])).toThrow(/at most 0/);
    expect(() => params({ a: v.array(v.string(), { max: 2 }) }).parse([["a", 1]])).toThrow(/a\[1\]/);
  });
});

describe("JSON-RPC envelopes", () => {
  it("maps stable codes to JSON-RPC numbers", () => {
    expect(rpcCodeFor("PARSE_ERROR")).toBe(-32700);
    expect(rpcCodeFor("AUTH_REPLAYED_NONCE")).toBe(-32001);
    expect(rpcCodeFor("AUTH_FORBIDDEN_SCOPE")).toBe(-32002);
    expect(rpcCodeFor("TX_BAD_SIGNATURE")).toBe(-32010);
    expect(rpcCodeFor("SOMETHING_ELSE")).toBe(-32000);
  });

  it("puts code and reason in data, and hides non-chainlab errors", () => {
    expect(toErrorObject(new ChainlabError("BLOCK_BAD_HEIGHT", "bad height", { got: 3 }))).toEqual({
      code: -32011,
      message: "bad height",
      data: { got: 3, code: "BLOCK_BAD_HEIGHT", reason: "bad height" },
    });
    expect(toErrorObject(new Error("db path /secret"))).toEqual({
      code: -32603,
      message: "internal error",
      data: { code: "INTERNAL_ERROR", reason: "internal error" },
    });
  });

  it("validates envelopes", () => {
    expect(checkRequest({ jsonrpc: "2.0", method: "a", id: 1 }).ok).toBe(true);
    expect(checkRequest({ jsonrpc: "2.0", method: "a" }).ok).toBe(true);
    expect(checkRequest({ jsonrpc: "2.0", method: "a", params: null }).ok).toBe(false);
    expect(checkRequest({ jsonrpc: "2.0", method: "a", id: true }).ok).toBe(false);
    expect(checkRequest([]).ok).toBe(false);
  });

  it("writes bigint as decimal strings and bytes (Buffer or Uint8Array) as hex", () => {
    expect(stringifyJson({ a: 2n ** 64n, b: new Uint8Array([1, 255]), c: Buffer.from([16]) })).toBe(
      '{"a":"18446744073709551616","b":"01ff","c":"10"}',
    );
  });
});

describe("durations", () => {
  it("parses units and refuses junk", () => {
    expect(parseDuration("24h")).toBe(86_400_000);
    expect(parseDuration("90d")).toBe(90 * 86_400_000);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("250ms")).toBe(250);
    expect(() => parseDuration("1 fortnight")).toThrow(expect.objectContaining({ code: "DURATION_INVALID" }));
  });
});
