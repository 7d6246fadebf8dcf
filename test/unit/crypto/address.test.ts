import { bech32, bech32m } from "@scure/base";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ChainlabError } from "../../../src/core/errors.ts";
import { sha256 } from "../../../src/core/hash.ts";
import {
  ADDRESS_PREFIX,
  AddressError,
  addressBytesOf,
  addressOf,
  decodeAddress,
  encodeAddress,
} from "../../../src/crypto/address.ts";
import { generateKeyPair } from "../../../src/crypto/ed25519.ts";

const BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const bytes20 = fc.uint8Array({ minLength: 20, maxLength: 20 });

function expectAddressError(address: string): void {
  let thrown: unknown;
  try {
    decodeAddress(address);
  } catch (err) {
    thrown = err;
  }
  expect(thrown, address).toBeInstanceOf(AddressError);
  expect((thrown as ChainlabError).code).toBe("BAD_ADDRESS");
}

describe("address round trip", () => {
  it("decode(encode(b)) = b and addresses are canonical lowercase", () => {
    fc.assert(
      fc.property(bytes20, (b) => {
        const address = encodeAddress(b);
        expect(address.startsWith(`${ADDRESS_PREFIX}1`)).toBe(true);
        expect(address).toBe(address.toLowerCase());
        expect(decodeAddress(address)).toEqual(b);
      }),
      { numRuns: 500 },
    );
  });

  it("an address is the first 20 bytes of SHA-256(public key)", () => {
    const { publicKey } = generateKeyPair();
    expect(addressBytesOf(publicKey)).toEqual(sha256(publicKey).slice(0, 20));
    expect(decodeAddress(addressOf(publicKey))).toEqual(addressBytesOf(publicKey));
  });

  it("refuses to encode anything but 20 bytes", () => {
    expect(() => encodeAddress(new Uint8Array(19))).toThrow(AddressError);
    expect(() => encodeAddress(new Uint8Array(21))).toThrow(AddressError);
  });
});

describe("address checksum", () => {
  const samples = [new Uint8Array(20), new Uint8Array(20).fill(0xff), ...fc.sample(bytes20, { numRuns: 3 })];

  for (const [i, b] of samples.entries()) {
    it(`rejects every single-character substitution (sample ${i})`, () => {
      const address = encodeAddress(b);
      let tried = 0;
      for (let pos = 0; pos < address.length; pos++) {
        for (const c of BECH32_CHARSET) {
          if (c === address[pos]) continue;
          expectAddressError(address.slice(0, pos) + c + address.slice(pos + 1));
          tried++;
        }
      }
      expect(tried).toBeGreaterThan(address.length * 30);
    });
  }

  it("rejects a wrong prefix even with a valid bech32m checksum", () => {
    fc.assert(
      fc.property(bytes20, fc.constantFrom("clac", "bc", "tclab", "clab2", "xlab"), (b, prefix) => {
        expectAddressError(bech32m.encode(prefix, bech32m.toWords(b)));
      }),
      { numRuns: 100 },
    );
  });

  it("rejects a bech32 (not bech32m) checksum", () => {
    fc.assert(
      fc.property(bytes20, (b) => {
        expectAddressError(bech32.encode(ADDRESS_PREFIX, bech32.toWords(b)));
      }),
      { numRuns: 200 },
    );
  });

  it("rejects payloads of the wrong length with a valid checksum", () => {
    for (const n of [0, 1, 19, 21, 32]) {
      expectAddressError(bech32m.encode(ADDRESS_PREFIX, bech32m.toWords(new Uint8Array(n).fill(1))));
    }
  });

  it("rejects mixed case, garbage and empty strings", () => {
    const address = encodeAddress(new Uint8Array(20).fill(9));
    const mixed = address.slice(0, -6) + address.slice(-6).toUpperCase();
    expect(mixed).not.toBe(address);
    expectAddressError(mixed);
    expect(decodeAddress(address.toUpperCase())).toEqual(new Uint8Array(20).fill(9));
    for (const s of ["", "clab", "clab1", "1", "not an address", `${address}q`, address.slice(0, -1)]) {
      expectAddressError(s);
    }
  });
});
