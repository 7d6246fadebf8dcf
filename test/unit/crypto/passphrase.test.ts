import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { PASSPHRASE_ENV, promptPassphrase, resolvePassphrase } from "../../../src/crypto/passphrase.ts";
import { keystoreError, useTempDirs } from "./keystore-helpers.ts";

const tempDir = useTempDirs();

async function passFile(contents: string): Promise<string> {
  const path = join(await tempDir(), "pass.txt");
  await writeFile(path, contents);
  return path;
}

/** A prompt that answers from a list and records the questions. */
function scripted(...answers: string[]): { prompt: (m: string) => Promise<string>; asked: string[] } {
  const asked: string[] = [];
  const prompt = async (message: string): Promise<string> => {
    asked.push(message);
    return answers.shift() ?? "";
  };
  return { asked, prompt };
}

describe("resolvePassphrase order", () => {
  const env = { [PASSPHRASE_ENV]: "from-env" };

  it("prefers the passphrase file over the environment and the prompt", async () => {
    const p = scripted("from-prompt");
    const got = await resolvePassphrase({
      passphraseFile: await passFile("from-file\n"),
      env,
      prompt: p.prompt,
    });
    expect(got).toBe("from-file");
    expect(p.asked).toEqual([]);
  });

  it("uses the environment over the prompt", async () => {
    const p = scripted("from-prompt");
    expect(await resolvePassphrase({ env, prompt: p.prompt })).toBe("from-env");
    expect(p.asked).toEqual([]);
  });

  it("prompts when neither is set, and treats an empty variable as unset", async () => {
    const p = scripted("from-prompt");
    expect(
      await resolvePassphrase({ env: { [PASSPHRASE_ENV]: "" }, prompt: p.prompt, message: "Key: " }),
    ).toBe("from-prompt");
    expect(p.asked).toEqual(["Key: "]);
  });

  it("without any source is KEYSTORE_NO_PASSPHRASE", async () => {
    const err = await keystoreError(resolvePassphrase({ env: {}, prompt: false }));
    expect(err.code).toBe("KEYSTORE_NO_PASSPHRASE");
    expect(err.message).toContain("--passphrase-file");
  });
});

describe("passphrase files", () => {
  const cases: [string, string][] = [
    ["s3cret", "s3cret"],
    ["s3cret\n", "s3cret"],
    ["s3cret\r\n", "s3cret"],
    ["s3cret\n\n", "s3cret\n"],
    ["  spaced  \n", "  spaced  "],
  ];
  for (const [contents, expected] of cases) {
    it(`reads ${JSON.stringify(contents)} as ${JSON.stringify(expected)}`, async () => {
      expect(
        await resolvePassphrase({ passphraseFile: await passFile(contents), env: {}, prompt: false }),
      ).toBe(expected);
    });
  }

  it("an empty file is KEYSTORE_NO_PASSPHRASE, not an empty passphrase", async () => {
    for (const contents of ["", "\n"]) {
      const err = await keystoreError(
        resolvePassphrase({ passphraseFile: await passFile(contents), prompt: false }),
      );
      expect(err.code).toBe("KEYSTORE_NO_PASSPHRASE");
    }
  });

  it("a missing file is KEYSTORE_NO_PASSPHRASE and does not fall back to the environment", async () => {
    const missing = join(await tempDir(), "missing.txt");
    const err = await keystoreError(
      resolvePassphrase({ passphraseFile: missing, env: { [PASSPHRASE_ENV]: "from-env" }, prompt: false }),
    );
    expect(err.code).toBe("KEYSTORE_NO_PASSPHRASE");
    expect(err.message).toContain("ENOENT");
  });

  it("a directory is KEYSTORE_NO_PASSPHRASE", async () => {
    const err = await keystoreError(resolvePassphrase({ passphraseFile: await tempDir(), prompt: false }));
    expect(err.code).toBe("KEYSTORE_NO_PASSPHRASE");
  });
});

describe("prompting", () => {
  it("confirm asks twice and accepts a match", async () => {
    const p = scripted("pw-1", "pw-1");
    expect(await resolvePassphrase({ env: {}, prompt: p.prompt, confirm: true })).toBe("pw-1");
    expect(p.asked).toHaveLength(2);
  });

  it("confirm with different answers is KEYSTORE_PASSPHRASE_MISMATCH", async () => {
    const p = scripted("pw-1", "pw-2");
    const err = await keystoreError(resolvePassphrase({ env: {}, prompt: p.prompt, confirm: true }));
    expect(err.code).toBe("KEYSTORE_PASSPHRASE_MISMATCH");
    expect(err.message).not.toMatch(/pw-/);
  });

  it("an empty answer is KEYSTORE_NO_PASSPHRASE", async () => {
    expect((await keystoreError(resolvePassphrase({ env: {}, prompt: scripted("").prompt }))).code).toBe(
      "KEYSTORE_NO_PASSPHRASE",
    );
  });

  it("promptPassphrase shows the prompt but never echoes the answer", async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = "";
    output.on("data", (c: Buffer) => {
      shown += c.toString("utf8");
    });
    const answer = promptPassphrase("Passphrase: ", { input, output });
    input.write("hunter2 with spaces\n");
    expect(await answer).toBe("hunter2 with spaces");
    expect(shown).toContain("Passphrase: ");
    expect(shown).not.toContain("hunter2");
  });

  it("promptPassphrase rejects with KEYSTORE_NO_PASSPHRASE on end of input", async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    output.resume();
    const answer = promptPassphrase("Passphrase: ", { input, output });
    input.end();
    expect((await keystoreError(answer)).code).toBe("KEYSTORE_NO_PASSPHRASE");
  });
});
