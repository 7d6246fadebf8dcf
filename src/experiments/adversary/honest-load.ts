/**
 * Honest background transfers: each sender signs transfers with consecutive nonces and submits one
 * per tick to its own node, so an experiment can see which txs a side confirmed, lost or carried
 * while it is under attack. The load stops on request and returns what it sent.
 */
import type { RpcClient } from "../../rpc/index.ts";
import { type ChainIdentity, type SignedTx, signTransfer, submitRaw, type Wallet } from "./transactions.ts";

/** One sender: the wallet, the node it submits to, and whom it pays. */
export interface LoadSender {
  wallet: Wallet;
  client: RpcClient;
  to: string;
}

/** A running load. */
export interface HonestLoad {
  /** Stops after the tick in flight; the txs each sender's node took, by sender index. */
  stop(): Promise<SignedTx[][]>;
}

/** Starts `tps` transfers per second per sender (nonces from the sender's node's pending nonce). */
export async function startHonestLoad(
  senders: readonly LoadSender[],
  identity: ChainIdentity,
  tps: number,
): Promise<HonestLoad> {
  const nonces = await Promise.all(
    senders.map(
      async (s) =>
        (await s.client.call<{ pendingNonce: number }>("account_get", { address: s.wallet.address }))
          .pendingNonce,
    ),
  );
  const sent: SignedTx[][] = senders.map(() => []);
  let running = true;
  const intervalMs = 1000 / tps;
  const loop = (async () => {
    let next = Date.now();
    let amount = 1n;
    while (running) {
      await Promise.all(
        senders.map(async (s, i) => {
          const tx = signTransfer(s.wallet, identity, s.to, amount, nonces[i]!);
          if ((await submitRaw(s.client, tx.hex)).accepted) {
            nonces[i]!++;
            sent[i]!.push(tx);
          }
        }),
      );
      amount++;
      next += intervalMs;
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return sent;
    },
  };
}
