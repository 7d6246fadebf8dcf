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

/** Options of createProgress. */
export interface ProgressOptions {
  /** What the count counts, plural ("trials", "blocks"). */
  unit?: string;
  /** Plain output: at most one line this often (ms), and the last. */
  plainEveryMs?: number;
}

/**
 * A progress sink on `stream`. The ETA comes from the rate since the first tick, so a count that
 * starts late (blocks measured after a testnet's start-up) is not diluted by the wait before it.
 */
export function createProgress(stream: ProgressStream, o: ProgressOptions = {}): ProgressSink {
  const unit = o.unit ?? "trials";
  const plainEveryMs = o.plainEveryMs ?? 5000;
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${unit} {bar} {value}/{total} {percentage}% | ETA {eta_formatted} | {label}`,
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
  let firstAt = 0;
  let firstDone = 0;
  let lastAt = 0;
  let lastDone = -1;
  return {
    start(n) {
      total = n;
      started = Date.now();
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
      const finished = done >= total && lastDone < total;
      if (!finished && now - lastAt < plainEveryMs) return;
      lastAt = now;
      lastDone = done;
      const rate = (done - firstDone) / Math.max(1, now - firstAt);
      const eta = done >= total ? "0 s" : rate > 0 ? duration((total - done) / rate) : "-";
      stream.write(
        `${unit} ${done}/${total} (${Math.floor((100 * done) / Math.max(1, total))}%) elapsed ${duration(now - started)}, ETA ${eta}: ${label}\n`,
      );
    },
    message(text) {
      stream.write(`${text}\n`);
    },
    stop() {},
  };
}
