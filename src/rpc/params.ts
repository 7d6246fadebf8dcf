/**
 * Tiny parameter schemas for RPC methods. `params({ height: v.integer({ min: 0 }) })` accepts
 * named params (`{"height": 5}`) or positional ones in declaration order (`[5]`), and a wrong
 * type fails with INVALID_PARAMS (-32602) naming the parameter.
 */
import { JsonRpcError } from "./errors.ts";

/** Checks one value; `name` is used in the error message. */
export type Validator<T> = (value: unknown, name: string) => T;

/** Checks a whole `params` member (array, object or absent). An object, not a bare function, so that
 * TypeScript infers a handler's param type from an inline `params({...})`. */
export interface ParamsValidator<T> {
  readonly parse: (raw: unknown) => T;
}

type Shape = Record<string, Validator<unknown>>;
type Infer<S extends Shape> = { [K in keyof S]: S[K] extends Validator<infer T> ? T : never };

const HEX_PATTERN = /^(0x)?([0-9a-fA-F]{2})*$/;
const DECIMAL_PATTERN = /^-?(0|[1-9][0-9]*)$/;

function fail(name: string, expected: string): never {
  throw new JsonRpcError("INVALID_PARAMS", `invalid params: ${name}: expected ${expected}`, { param: name });
}

/** Validators for common parameter types. */
export const v = {
  /** A string of `min`..`max` characters, optionally matching `pattern`. */
  string(opts: { min?: number; max?: number; pattern?: RegExp } = {}): Validator<string> {
    const { min = 0, max = 10_000 } = opts;
    return (x, name) => {
      if (typeof x !== "string" || x.length < min || x.length > max)
        fail(name, `a string of ${min}..${max} chars`);
      if (opts.pattern && !opts.pattern.test(x)) fail(name, `a string matching ${opts.pattern}`);
      return x;
    };
  },
  /** Hex bytes (optional 0x), exactly `bytes` long or at most `maxBytes`; returned lowercase without 0x. */
  hex(opts: { bytes?: number; maxBytes?: number } = {}): Validator<string> {
    const what = opts.bytes !== undefined ? `${opts.bytes} bytes of hex` : "hex bytes";
    return (x, name) => {
      if (typeof x !== "string" || !HEX_PATTERN.test(x)) fail(name, what);
      const hex = (x.startsWith("0x") ? x.slice(2) : x).toLowerCase();
      const len = hex.length / 2;
      if (opts.bytes !== undefined && len !== opts.bytes) fail(name, what);
      if (opts.maxBytes !== undefined && len > opts.maxBytes)
        fail(name, `at most ${opts.maxBytes} bytes of hex`);
      return hex;
    };
  },
  /** A JSON number that is a safe integer within [min, max]. */
  integer(opts: { min?: number; max?: number } = {}): Validator<number> {
    const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = opts;
    return (x, name) => {
      if (typeof x !== "number" || !Number.isSafeInteger(x) || x < min || x > max) {
        fail(name, `an integer in [${min}, ${max}]`);
      }
      return x;
    };
  },
  /** A bigint given as a decimal string (amounts in base units), at least `min`. */
  bigint(opts: { min?: bigint; max?: bigint } = {}): Validator<bigint> {
    return (x, name) => {
      if (typeof x !== "string" || x.length > 80 || !DECIMAL_PATTERN.test(x))
        fail(name, "a decimal integer string");
      const n = BigInt(x);
      if (opts.min !== undefined && n < opts.min) fail(name, `a decimal integer string >= ${opts.min}`);
      if (opts.max !== undefined && n > opts.max) fail(name, `a decimal integer string <= ${opts.max}`);
      return n;
    };
  },
  /** true or false. */
  boolean(): Validator<boolean> {
    return (x, name) => (typeof x === "boolean" ? x : fail(name, "a boolean"));
  },
  /** One of the given strings. */
  oneOf<const T extends string>(values: readonly T[]): Validator<T> {
    return (x, name) => (values.includes(x as T) ? (x as T) : fail(name, `one of ${values.join(", ")}`));
  },
  /** An array of at most `max` items, each checked by `item`. */
  array<T>(item: Validator<T>, opts: { min?: number; max?: number } = {}): Validator<T[]> {
    const { min = 0, max = 1000 } = opts;
    return (x, name) => {
      if (!Array.isArray(x) || x.length < min || x.length > max)
        fail(name, `an array of ${min}..${max} items`);
      return x.map((e, i) => item(e, `${name}[${i}]`));
    };
  },
  /** Absent (or null) becomes undefined; anything else is checked by `inner`. */
  optional<T>(inner: Validator<T>): Validator<T | undefined> {
    return (x, name) => (x === undefined || x === null ? undefined : inner(x, name));
  },
};

/** A params validator from a shape; positional order is the shape's key order. */
export function params<S extends Shape>(shape: S): ParamsValidator<Infer<S>> {
  const names = Object.keys(shape);
  const parse = (raw: unknown): Infer<S> => {
    const out: Record<string, unknown> = {};
    let source: Record<string, unknown>;
    if (raw === undefined) source = {};
    else if (Array.isArray(raw)) {
      if (raw.length > names.length) {
        throw new JsonRpcError(
          "INVALID_PARAMS",
          `invalid params: expected at most ${names.length} positional params`,
        );
      }
      source = Object.fromEntries(raw.map((value, i) => [names[i], value]));
    } else if (raw !== null && typeof raw === "object") {
      source = raw as Record<string, unknown>;
      for (const k of Object.keys(source)) {
        if (!Object.hasOwn(shape, k)) {
          throw new JsonRpcError("INVALID_PARAMS", `invalid params: unknown param ${JSON.stringify(k)}`, {
            param: k,
          });
        }
      }
    } else {
      throw new JsonRpcError("INVALID_PARAMS", "invalid params: expected an array or an object");
    }
    for (const name of names) {
      const value = Object.hasOwn(source, name) ? source[name] : undefined;
      out[name] = shape[name]!(value, name);
    }
    return out as Infer<S>;
  };
  return { parse };
}

/** A method that takes no params (absent, `[]` or `{}`). */
export const noParams: ParamsValidator<Record<string, never>> = params({});
