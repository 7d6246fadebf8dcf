/**
 * Keystore passphrases: where they come from (a file, CHAINLAB_PASSPHRASE, or a no-echo prompt on a
 * TTY) in that order. A passphrase is never echoed, logged or put in an error message.
 */
import { readFile, stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { KeystoreError } from "./keystore.ts";

export const PASSPHRASE_ENV = "CHAINLAB_PASSPHRASE";
export const MAX_PASSPHRASE_FILE_SIZE = 64 * 1024;

/** Asks for a passphrase; resolves with what was typed. */
export type PassphrasePrompt = (message: string) => Promise<string>;

/** Streams for promptPassphrase (default: stdin and stderr, so stdout stays clean for --json). */
export interface PromptStreams {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

/** Prompts on a terminal without echoing what is typed; Ctrl-C or EOF reject with KEYSTORE_NO_PASSPHRASE. */
export function promptPassphrase(message: string, streams: PromptStreams = {}): Promise<string> {
  const input = streams.input ?? process.stdin;
  const output = streams.output ?? process.stderr;
  let muted = false;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!muted) output.write(chunk);
      callback();
    },
  });
  const rl = createInterface({ input, output: sink, terminal: true, historySize: 0 });
  return new Promise((resolve, reject) => {
    let answered = false;
    rl.on("SIGINT", () => rl.close());
    rl.on("close", () => {
      if (answered) return;
      output.write("\n");
      reject(new KeystoreError("KEYSTORE_NO_PASSPHRASE", "passphrase prompt cancelled"));
    });
    rl.question(message, (answer) => {
      answered = true;
      muted = false;
      output.write("\n");
      rl.close();
      resolve(answer);
    });
    muted = true;
  });
}

/** Options of resolvePassphrase. */
export interface ResolvePassphraseOptions {
  /** A file holding the passphrase (--passphrase-file); one trailing newline is dropped. */
  passphraseFile?: string;
  /** Environment to read CHAINLAB_PASSPHRASE from (default process.env); an empty value counts as unset. */
  env?: Record<string, string | undefined>;
  /** A prompt to use, or false for none; default: promptPassphrase when stdin is a TTY. */
  prompt?: PassphrasePrompt | false;
  /** The prompt text. */
  message?: string;
  /** Prompt twice and require the same answer (for a new keystore). */
  confirm?: boolean;
}

function noPassphrase(message: string, data: Record<string, unknown> = {}): KeystoreError {
  return new KeystoreError("KEYSTORE_NO_PASSPHRASE", message, data);
}

async function readPassphraseFile(path: string): Promise<string> {
  let text: string;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw noPassphrase(`passphrase file ${path} is not a regular file`, { path });
    if (info.size > MAX_PASSPHRASE_FILE_SIZE) {
      throw noPassphrase(`passphrase file ${path} exceeds ${MAX_PASSPHRASE_FILE_SIZE} bytes`, { path });
    }
    text = await readFile(path, "utf8");
  } catch (err) {
    if (err instanceof KeystoreError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    throw noPassphrase(`cannot read passphrase file ${path} (${code})`, { path });
  }
  const passphrase = text.endsWith("\r\n")
    ? text.slice(0, -2)
    : text.endsWith("\n")
      ? text.slice(0, -1)
      : text;
  if (passphrase.length === 0) throw noPassphrase(`passphrase file ${path} is empty`, { path });
  return passphrase;
}

function defaultPrompt(): PassphrasePrompt | undefined {
  return process.stdin.isTTY ? (message) => promptPassphrase(message) : undefined;
}

/** The passphrase from --passphrase-file, else CHAINLAB_PASSPHRASE, else a TTY prompt; else KEYSTORE_NO_PASSPHRASE. */
export async function resolvePassphrase(opts: ResolvePassphraseOptions = {}): Promise<string> {
  if (opts.passphraseFile !== undefined) return readPassphraseFile(opts.passphraseFile);
  const fromEnv = (opts.env ?? process.env)[PASSPHRASE_ENV];
  if (fromEnv !== undefined && fromEnv.length > 0) return fromEnv;
  const prompt = opts.prompt === false ? undefined : (opts.prompt ?? defaultPrompt());
  if (prompt === undefined) {
    throw noPassphrase(`no passphrase: use --passphrase-file, set ${PASSPHRASE_ENV}, or run on a terminal`);
  }
  const message = opts.message ?? "Passphrase: ";
  const passphrase = await prompt(message);
  if (passphrase.length === 0) throw noPassphrase("empty passphrase");
  if (opts.confirm === true && (await prompt("Repeat passphrase: ")) !== passphrase) {
    throw new KeystoreError("KEYSTORE_PASSPHRASE_MISMATCH", "the passphrases do not match");
  }
  return passphrase;
}
