/**
 * Trial progress: a cli-progress bar with an ETA when the stream is a terminal, plain lines
 * (at most one every few seconds, and the last) otherwise. The caller passes the stream, so
 * experiments/ never writes to the console on its own.
 */
import cliProgress from "cli-progress";

/** Where the runner reports progress. */
export interface ProgressSink {
  start(total: number): void;
  tick(done: number, label: string): void;
  message(text: string): void;
  stop(): void;
}

/** A sink that shows nothing (library use, tests). */
export const silentProgress: ProgressSink = { start() {}, tick() {}, message() {}, stop() {} };

/** The writable end a sink prints to (process.stderr in the CLI). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** A progress sink on `stream`. */
export function createProgress(stream: ProgressStream, plainEveryMs = 5000): ProgressSink {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: "trials {bar} {value}/{total} {percentage}% | ETA {eta_formatted} | {label}",
        stream: stream as NodeJS.WritableStream,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    let running = false;
    return {
      start(total) {
        bar.start(total, 0, { label: "" });
        running = true;
      },
      tick(done, label) {
        bar.update(done, { label });
      },
      message(text) {
        if (running) bar.update({ label: text });
        else stream.write(`${text}\n`);
      },
      stop() {
        if (running) bar.stop();
        running = false;
      },
    };
  }
  let total = 0;
  let started = 0;
  let lastAt = 0;
  return {
    start(n) {
      total = n;
      started = Date.now();
      lastAt = 0;
    },
    tick(done, label) {
      const now = Date.now();
      if (done < total && now - lastAt < plainEveryMs) return;
      lastAt = now;
      const elapsed = now - started;
      const eta = done > 0 ? (elapsed / done) * (total - done) : Number.NaN;
      stream.write(
        `trial ${done}/${total} (${Math.floor((100 * done) / Math.max(1, total))}%) elapsed ${duration(elapsed)}, ETA ${Number.isNaN(eta) ? "-" : duration(eta)}: ${label}\n`,
      );
    },
    message(text) {
      stream.write(`${text}\n`);
    },
    stop() {},
  };
}
