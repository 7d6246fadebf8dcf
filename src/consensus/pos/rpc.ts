/**
 * The PoS engine's own RPC method, `pos_validator`: one validator's record in the head state, by
 * index or public key, with its lifecycle status (for `chainlab validator status`).
 */
import { ChainlabError } from "../../core/errors.ts";
import { fromHex, toHex } from "../../core/hash.ts";
import { encodeAddress } from "../../crypto/address.ts";
import type { EngineRpcMethod } from "../engine.ts";
import type { PosEngine } from "./engine.ts";
import { epochOf } from "./params.ts";
import { FAR_FUTURE_EPOCH, findValidator, indexOfPublicKey, type Validator } from "./validators.ts";

/** Where a validator is in its lifecycle at `epoch`. */
export function validatorStatus(
  v: Validator,
  epoch: number,
): "pending" | "active" | "exiting" | "exited" | "slashed" {
  if (v.slashed) return "slashed";
  if (epoch < v.activationEpoch) return "pending";
  if (epoch >= v.exitEpoch) return "exited";
  return v.exitEpoch === FAR_FUTURE_EPOCH ? "active" : "exiting";
}

const epochJson = (e: number): number | null => (e === FAR_FUTURE_EPOCH ? null : e);

/** The `pos_validator` method of `engine`. */
export function posRpcMethods(engine: PosEngine): EngineRpcMethod[] {
  return [
    {
      name: "pos_validator",
      description: "one validator's record in the head state, by index or publicKey (hex)",
      params: { index: { kind: "integer" }, publicKey: { kind: "hex", bytes: 32 } },
      handler: (p) => {
        const state = engine.headState();
        if (state === undefined) throw new ChainlabError("POS_NOT_READY", "the engine has no chain yet");
        const index =
          typeof p.index === "number"
            ? p.index
            : typeof p.publicKey === "string"
              ? indexOfPublicKey(state, fromHex(p.publicKey.replace(/^0x/, ""), "publicKey"))
              : undefined;
        const v = index === undefined ? undefined : findValidator(state, index);
        if (index === undefined || v === undefined) {
          throw new ChainlabError("POS_UNKNOWN_VALIDATOR", "no such validator", { index: p.index ?? null });
        }
        const epoch = epochOf(engine.clock.slotAt(engine.now()), engine.params);
        return {
          index,
          publicKey: toHex(v.publicKey),
          withdrawal: encodeAddress(v.withdrawal),
          stake: v.stake.toString(),
          effective: v.effective.toString(),
          activationEpoch: epochJson(v.activationEpoch),
          exitEpoch: epochJson(v.exitEpoch),
          withdrawableEpoch: epochJson(v.withdrawableEpoch),
          slashed: v.slashed,
          inactivityScore: v.inactivityScore,
          status: validatorStatus(v, epoch),
        };
      },
    },
  ];
}
