/**
 * The attacker side of bench:rpc's flood figure, on its own worker thread: `connections` sockets
 * that each send an unsigned POST /rpc announcing a 1 MiB body and push junk until the server
 * closes them, then reconnect, for `seconds`.
 */
import { connect } from "node:net";
import { parentPort, workerData } from "node:worker_threads";

const job = workerData as { url: string; connections: number; seconds: number };
const u = new URL(job.url);
const head = `POST /rpc HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\nContent-Length: ${1 << 20}\r\n\r\n`;
const junk = Buffer.alloc(64 * 1024, 0x78);
const deadline = performance.now() + job.seconds * 1000;
let opened = 0;

const attack = (): Promise<void> =>
  new Promise((resolve) => {
    if (performance.now() >= deadline) return resolve();
    opened++;
    const s = connect(Number(u.port), u.hostname, () => {
      s.write(head);
      const push = () => {
        while (performance.now() < deadline && s.writable && s.write(junk));
        if (performance.now() >= deadline) s.destroy();
      };
      s.on("drain", push);
      push();
    });
    s.on("data", () => undefined);
    s.on("error", () => undefined);
    s.on("close", () => resolve(attack()));
  });

await Promise.all(Array.from({ length: job.connections }, attack));
parentPort!.postMessage(opened);
