/**
 * Progress of a comparison in blocks measured over both testnets: a cli-progress bar with its ETA
 * on a terminal, otherwise a plain line every few seconds with an ETA from the blocks' rate. The
 * caller passes the stream (the CLI: stderr), so experiments/ never writes to the console itself.
 */
import cliProgress from "cli-progress";
import type { ProgressSink, ProgressStream } from "../progress.ts";

const seconds = (ms: number) => `${Math.max(0, Math.round(ms / 1000))} s`;

/** A sink whose ticks count measured blocks. */
export function createCompareProgress(stream: ProgressStream, plainEveryMs = 5000): ProgressSink {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: "blocks {bar} {value}/{total} | ETA {eta_formatted} | {label}",
        stream: stream as NodeJS.WritableStream,
        hideCursor: true,
        etaBuffer: 30,
      },
      cliProgress.Presets.shades_classic,
    );
    let on = false;
    return {
      start(total) {
        bar.start(total, 0, { label: "starting" });
        on = true;
      },
      tick: (done, label) => bar.update(done, { label }),
      message: (text) => (on ? bar.update({ label: text }) : stream.write(`${text}\n`)),
      stop() {
        if (on) bar.stop();
        on = false;
      },
    };
  }
  let total = 0;
  let firstAt = 0;
  let firstDone = 0;
  let lastAt = 0;
  let lastDone = -1;
  return {
    start(n) {
      total = n;
      firstAt = 0;
      lastAt = 0;
      lastDone = -1;
    },
    tick(done, label) {
      const now = Date.now();
      if (firstAt === 0 || done < firstDone) {
        firstAt = now;
        firstDone = done;
      }
      const first = done === total && lastDone < total;
      if (!first && now - lastAt < plainEveryMs) return;
      lastAt = now;
      lastDone = done;
      const rate = (done - firstDone) / Math.max(1, now - firstAt);
      const eta = rate > 0 ? seconds((total - done) / rate) : "-";
      stream.write(`blocks ${done}/${total}, ETA ${eta}: ${label}\n`);
    },
    message: (text) => stream.write(`${text}\n`),
    stop() {},
  };
}
