/**
 * A signature-verification worker thread: verifies each packed chunk it receives with node:crypto
 * and answers with one byte per item. It holds no state but ed25519-node.ts's bounded key cache.
 */
import { parentPort } from "node:worker_threads";
import { verify } from "./ed25519-node.ts";
import { forEachPacked, type VerifyJob, type VerifyResult } from "./verify-protocol.ts";

parentPort!.on("message", (job: VerifyJob) => {
  const valid = new Uint8Array(job.count);
  forEachPacked(job.packed, job.count, (signature, publicKey, message, i) => {
    valid[i] = verify(signature, message, publicKey) ? 1 : 0;
  });
  const result: VerifyResult = { id: job.id, valid };
  parentPort!.postMessage(result, [valid.buffer]);
});
