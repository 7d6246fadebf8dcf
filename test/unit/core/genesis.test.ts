import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PowEngine } from "../../../src/consensus/pow/engine.ts";
import { accountKey, decodeAccount } from "../../../src/core/account.ts";
import { headerHash } from "../../../src/core/block.ts";
import { U64_MAX } from "../../../src/core/encoding.ts";
import { GenesisError } from "../../../src/core/errors.ts";
import {
  buildGenesis,
  canonicalJson,
  type Genesis,
  genesisToJson,
  type Json,
  parseGenesis,
} from "../../../src/core/genesis.ts";
import { toHex } from "../../../src/core/hash.ts";
import { LtHash } from "../../../src/core/lthash.ts";
import { EMPTY_ROOT } from "../../../src/core/merkle.ts";
import { actor, easyGenesis } from "../../helpers/fixtures.ts";

const alice = actor("alice");
const bob = actor("bob");

/** A valid genesis file as parsed JSON. */
function validFile(): Record<string, Json> {
  return genesisToJson(easyGenesis([alice, bob]));
}

function withField(path: string[], value: Json | undefined): Record<string, unknown> {
  const file = structuredClone(validFile()) as Record<string, unknown>;
  let obj = file;
  for (const k of path.slice(0, -1)) obj = obj[k] as Record<string, unknown>;
  const last = path[path.length - 1]!;
  if (value === undefined) delete obj[last];
  else obj[last] = value;
  return file;
}

function genesisHashOf(g: Genesis): string {
  return toHex(headerHash(buildGenesis(g, new PowEngine(g).genesisFields()).block.header));
}

/** The GenesisError field of parsing `raw`, or "OK". */
function failingField(raw: unknown): string {
  try {
    parseGenesis(raw);
    return "OK";
  } catch (err) {
    if (!(err instanceof GenesisError)) throw err;
    expect(err.code).toBe("GENESIS_INVALID");
    expect(err.message).toContain(String(err.data.field));
    return String(err.data.field);
  }
}

describe("parseGenesis", () => {
  const cases: { name: string; raw: () => unknown; field: string }[] = [
    { name: "an array", raw: () => [], field: "file" },
    { name: "null", raw: () => null, field: "file" },
    { name: "an unknown top-level field", raw: () => withField(["difficulty"], 5), field: "difficulty" },
    { name: "a missing chainId", raw: () => withField(["chainId"], undefined), field: "chainId" },
    { name: "a negative chainId", raw: () => withField(["chainId"], -1), field: "chainId" },
    { name: "a chainId of 2^32", raw: () => withField(["chainId"], 2 ** 32), field: "chainId" },
    { name: "a fractional chainId", raw: () => withField(["chainId"], 1.5), field: "chainId" },
    { name: "a string chainId", raw: () => withField(["chainId"], "1337"), field: "chainId" },
    { name: "a negative timestamp", raw: () => withField(["timestamp"], -5), field: "timestamp" },
    { name: "a fractional timestamp", raw: () => withField(["timestamp"], 1.25), field: "timestamp" },
    { name: "an unsafe timestamp", raw: () => withField(["timestamp"], 2 ** 60), field: "timestamp" },
    { name: "a negative minFee", raw: () => withField(["minFee"], "-1"), field: "minFee" },
    { name: "a decimal minFee", raw: () => withField(["minFee"], "1.5"), field: "minFee" },
    { name: "a minFee with a leading zero", raw: () => withField(["minFee"], "01"), field: "minFee" },
    {
      name: "a minFee above u64",
      raw: () => withField(["minFee"], (U64_MAX + 1n).toString()),
      field: "minFee",
    },
    { name: "a boolean minFee", raw: () => withField(["minFee"], true), field: "minFee" },
    { name: "a missing consensus", raw: () => withField(["consensus"], undefined), field: "consensus" },
    { name: "a consensus array", raw: () => withField(["consensus"], []), field: "consensus" },
    {
      name: "an unknown consensus field (it would not be committed to the hash)",
      raw: () => withField(["consensus", "validators"], []),
      field: "consensus.validators",
    },
    {
      name: "an empty consensus.type",
      raw: () => withField(["consensus", "type"], ""),
      field: "consensus.type",
    },
    {
      name: "a numeric consensus.type",
      raw: () => withField(["consensus", "type"], 1),
      field: "consensus.type",
    },
    {
      name: "consensus.params as an array",
      raw: () => withField(["consensus", "params"], []),
      field: "consensus.params",
    },
    { name: "alloc as an array", raw: () => withField(["alloc"], []), field: "alloc" },
    {
      name: "an alloc address with a bad checksum",
      raw: () => withField(["alloc"], { [`${alice.address.slice(0, -1)}q`]: "1" }),
      field: `alloc.${alice.address.slice(0, 20)}`,
    },
    {
      name: "an alloc amount that is not an integer",
      raw: () => withField(["alloc"], { [alice.address]: "ten" }),
      field: `alloc.${alice.address}`,
    },
    {
      name: "an alloc amount above u64",
      raw: () => withField(["alloc"], { [alice.address]: (U64_MAX + 1n).toString() }),
      field: `alloc.${alice.address}`,
    },
    {
      name: "an alloc amount as a number beyond 2^53 (silently rounded by JSON)",
      raw: () => withField(["alloc"], JSON.parse(`{"${alice.address}": 12345678901234567890}`)),
      field: `alloc.${alice.address}`,
    },
    {
      name: "allocations whose total exceeds u64",
      raw: () => withField(["alloc"], { [alice.address]: U64_MAX.toString(), [bob.address]: "1" }),
      field: "alloc",
    },
    {
      name: "one address allocated twice (lower and upper case)",
      raw: () => withField(["alloc"], { [alice.address]: "5", [alice.address.toUpperCase()]: "7" }),
      field: `alloc.${alice.address.toUpperCase()}`,
    },
  ];

  it.each(cases)("rejects $name, naming $field", (c) => {
    expect(failingField(c.raw())).toBe(c.field);
  });

  it("accepts a file written by genesisToJson and reads back the same genesis", () => {
    const g = easyGenesis([alice, bob]);
    expect(parseGenesis(JSON.parse(JSON.stringify(genesisToJson(g))))).toEqual(g);
  });

  it("accepts amounts written as safe-integer JSON numbers", () => {
    const g = parseGenesis(withField(["alloc"], { [alice.address]: 42 }));
    expect(g.alloc[alice.address]).toBe(42n);
  });

  it("defaults a missing minFee to zero and a missing alloc to empty", () => {
    const g = parseGenesis(withField(["alloc"], undefined));
    expect([g.alloc, parseGenesis(withField(["minFee"], undefined)).minFee]).toEqual([{}, 0n]);
  });
});

/** JSON values of the kind genesis files hold: integers, strings, booleans, null, arrays, objects. */
const jsonArb: fc.Arbitrary<Json> = fc.letrec<{ json: Json }>((tie) => ({
  json: fc.oneof(
    { depthSize: "small" },
    fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("json"), { maxLength: 4 }),
    fc.dictionary(
      fc.string().filter((k) => k !== "__proto__"),
      tie("json"),
      { maxKeys: 5 },
    ),
  ),
})).json;

/** The same value with every object's keys inserted in reverse order. */
function reverseKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(reverseKeys);
  if (v === null || typeof v !== "object") return v;
  const out: { [k: string]: Json } = {};
  for (const k of Object.keys(v).reverse()) out[k] = reverseKeys(v[k]!);
  return out;
}

describe("canonicalJson", () => {
  it("does not depend on the order of object keys", () => {
    fc.assert(
      fc.property(jsonArb, (v) => {
        expect(canonicalJson(reverseKeys(v))).toBe(canonicalJson(v));
      }),
    );
  });

  it("parses back to the same value", () => {
    fc.assert(
      fc.property(jsonArb, (v) => {
        expect(JSON.parse(canonicalJson(v))).toEqual(v);
      }),
    );
  });

  it("sorts keys and writes no whitespace", () => {
    expect(canonicalJson({ b: [1, { d: null, c: true }], a: "x" })).toBe(
      '{"a":"x","b":[1,{"c":true,"d":null}]}',
    );
  });

  it("rejects a non-integer number with GENESIS_INVALID", () => {
    expect(() => canonicalJson({ a: 0.5 })).toThrow(GenesisError);
  });
});

describe("the genesis block", () => {
  const base = easyGenesis([alice, bob]);
  const baseHash = genesisHashOf(base);
  const params = base.consensus.params;

  const variants: { name: string; g: Genesis }[] = [
    { name: "chainId", g: { ...base, chainId: base.chainId + 1 } },
    { name: "timestamp", g: { ...base, timestamp: base.timestamp + 1 } },
    { name: "minFee", g: { ...base, minFee: base.minFee + 1n } },
    { name: "an alloc amount", g: { ...base, alloc: { ...base.alloc, [alice.address]: 1n } } },
    { name: "an extra alloc entry", g: { ...base, alloc: { ...base.alloc, [actor("carol").address]: 1n } } },
    ...Object.keys(params).map((k) => ({
      name: `consensus.params.${k}`,
      g: {
        ...base,
        consensus: {
          ...base.consensus,
          params: { ...params, [k]: bumped(k, params[k]!) },
        },
      },
    })),
  ];

  /** Another valid value of a PoW parameter (a harder start, an easier limit, or +1). */
  function bumped(key: string, v: Json): Json {
    if (key === "initialBits") return "0x1f0fffff";
    if (key === "powLimitBits") return "0x2100ffff";
    if (typeof v === "number") return v + 1;
    if (typeof v === "string") return (BigInt(v) + 1n).toString();
    throw new Error(`unexpected param ${String(v)}`);
  }

  it.each(variants)("hash changes with $name", ({ g }) => {
    expect(genesisHashOf(g)).not.toBe(baseHash);
  });

  it("hash does not depend on the key order of the genesis file", () => {
    const reordered = parseGenesis(reverseKeys(genesisToJson(base)));
    expect(genesisHashOf(reordered)).toBe(baseHash);
  });

  it("is at height 0 with an empty transaction root", () => {
    const { header } = buildGenesis(base, new Uint8Array(0)).block;
    expect([header.height, toHex(header.txRoot)]).toEqual([0, toHex(EMPTY_ROOT)]);
  });

  it("credits every allocation with nonce 0", () => {
    const { changes } = buildGenesis(base, new Uint8Array(0));
    const byKey = new Map(changes.map((c) => [toHex(c.key), decodeAccount(c.value!)]));
    const expected = [alice, bob].map((a) => [a.name, { balance: base.alloc[a.address], nonce: 0 }]);
    const got = [alice, bob].map((a) => [a.name, byKey.get(toHex(accountKey(a.addressBytes)))]);
    expect(got).toEqual(expected);
  });

  it("commits to the allocations in its state root", () => {
    const { block, changes } = buildGenesis(base, new Uint8Array(0));
    const acc = new LtHash();
    for (const c of changes) acc.add(c.key, c.value!);
    expect(toHex(block.header.stateRoot)).toBe(toHex(acc.root()));
  });

  it("includes the engine's genesis state in the state root", () => {
    const plain = buildGenesis(base, new Uint8Array(0)).block.header.stateRoot;
    const withEngine = buildGenesis(base, new Uint8Array(0), (s) =>
      s.put(Uint8Array.of(0x10), Uint8Array.of(1)),
    ).block.header.stateRoot;
    expect(toHex(withEngine)).not.toBe(toHex(plain));
  });
});
