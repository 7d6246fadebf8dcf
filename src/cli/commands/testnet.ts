/** `chainlab testnet up|status|down|logs|kill|restart|partition|heal|load`. */

import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { type Dashboard, serveDashboard } from "../../dashboard/index.ts";
import { findNode, isAlive, type NodeEntry, type NodeStatus, runLoad, Testnet } from "../../testnet/index.ts";
import { CliError } from "../errors.ts";
import { printJson } from "../output.ts";
import { parseInteger, parsePositive } from "../parse.ts";

const DEFAULT_DIR = "testnet";

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

const percent = (x: number) => `${Math.round(x * 100)}%`;

function statusTable(st: NodeStatus[], rates?: Map<string, number>): string {
  // Slot engines report finality and participation (previous epoch / current epoch).
  const finality = st.some((s) => s.finalizedHeight !== undefined);
  const rows = [
    [
      "NODE",
      "STATE",
      "HEIGHT",
      "HEAD",
      ...(finality ? ["FINAL", "VOTES"] : []),
      "PEERS",
      "MEMPOOL",
      "TX/S",
      "RPC",
    ],
  ];
  for (const s of st) {
    const p = s.participation;
    rows.push([
      s.name,
      s.up ? "up" : "down",
      s.height?.toString() ?? "-",
      Testnet.short(s.head),
      ...(finality
        ? [s.finalizedHeight?.toString() ?? "-", p ? `${percent(p.previous)}/${percent(p.current)}` : "-"]
        : []),
      s.peers?.toString() ?? "-",
      s.mempool?.toString() ?? "-",
      rates?.get(s.name)?.toFixed(0) ?? "-",
      s.rpcUrl ?? "-",
    ]);
  }
  return table(rows);
}

function parseGroups(spec: string, count: number): number[][] {
  const groups = spec
    .split("/")
    .map((g) => g.split(",").map((x) => parseInteger(x.trim(), "partition", 0, count - 1)));
  if (groups.length < 2) throw new CliError('partition needs at least two groups, like "0,1/2,3"');
  return groups;
}

async function liveView(net: Testnet, dashboard?: Dashboard): Promise<void> {
  const last = new Map<string, { at: number; txs: number }>();
  let stopping = false;
  const stop = new Promise<void>((resolve) => {
    const onSignal = () => {
      if (!stopping) {
        stopping = true;
        resolve();
      }
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
  const tty = process.stdout.isTTY === true;
  while (!stopping) {
    const st = await net.status();
    const rates = new Map<string, number>();
    const now = Date.now();
    for (const s of st) {
      const prev = last.get(s.name);
      if (prev && s.txsIncluded !== undefined && now > prev.at)
        rates.set(s.name, Math.max(0, ((s.txsIncluded - prev.txs) * 1000) / (now - prev.at)));
      if (s.txsIncluded !== undefined) last.set(s.name, { at: now, txs: s.txsIncluded });
    }
    const board = dashboard ? `dashboard: ${dashboard.controlUrl}\n` : "";
    const text = `${new Date().toISOString()}  testnet ${net.dir}  (Ctrl-C stops every node)\n${board}${statusTable(st, rates)}\n`;
    process.stdout.write(tty ? `\x1b[H\x1b[2J${text}` : text);
    await Promise.race([stop, new Promise((r) => setTimeout(r, 1000))]);
  }
  process.stdout.write("stopping the testnet ...\n");
  await dashboard?.stop();
  await net.stop();
  process.stdout.write("all nodes stopped\n");
}

function printUp(net: Testnet): void {
  const m = net.manifest;
  const pos = m.consensus === "pos";
  const rows = [["NODE", "RPC", "MULTIADDR", "PID", pos ? "VALIDATORS" : "MINER"]];
  for (const n of m.nodes) {
    const produces = pos ? n.validators?.join(",") || "-" : n.miner ? "yes" : "no";
    rows.push([n.name, n.rpcUrl ?? "-", n.multiaddr ?? "-", String(n.pid ?? "-"), produces]);
  }
  process.stdout.write(`${table(rows)}\n\n`);
  process.stdout.write(`manifest:   ${net.dir}/testnet.json\n`);
  process.stdout.write(
    `accounts:   ${m.accounts.length} prefunded keystores in ${net.dir}/accounts (passphrase file ${m.passphraseFile})\n`,
  );
  process.stdout.write(`call a node: npx chainlab rpc chain_getHead --data-dir ${m.nodes[0]?.dataDir}\n`);
  process.stdout.write(`load:       npx chainlab testnet load --tps 200 --duration 30 --dir ${net.dir}\n\n`);
}

/** Registers the testnet commands. */
export function registerTestnet(program: Command): void {
  const t = program.command("testnet").description("local multi-node testnets");

  t.command("up")
    .description("generate (or resume) and start an N-node testnet; stays in the foreground with a live view")
    .option("--nodes <n>", "number of nodes", "4")
    .option("--consensus <type>", "consensus engine: pow or pos", "pow")
    .option("--dir <dir>", "testnet directory", DEFAULT_DIR)
    .option("--block-time <seconds>", "target block time (PoS: the slot time)", "1")
    .option("--miners <k>", "how many nodes mine (default: all)")
    .option(
      "--validators <n>",
      "PoS: validators bonded at genesis, spread over the nodes (default: 2 per node)",
    )
    .option("--epoch-slots <n>", "PoS: slots per epoch", "8")
    .option("--hashrate <h>", "throttled hashes/s per miner", "100000")
    .option("--accounts <m>", "prefunded accounts", "8")
    .option("--in-process", "run the nodes inside this process (for large counts)")
    .option("--detach", "start the nodes and return")
    .option("--fresh", "delete an existing testnet in --dir first")
    .option("--json", "print the manifest as JSON (with --detach)")
    .option("--no-dashboard", "do not serve the browser dashboard")
    .option("--dashboard-port <port>", "port of the dashboard on 127.0.0.1 (default: a free port)")
    .option("--experiments <dir...>", "the dashboard also lists the experiment runs in these dirs")
    .action(async (o) => {
      if (o.consensus !== "pow" && o.consensus !== "pos")
        throw new CliError(`--consensus ${o.consensus} is not available (supported: pow, pos)`);
      if (o.inProcess && o.detach) throw new CliError("--in-process nodes cannot be detached");
      const nodes = parseInteger(o.nodes, "nodes", 1, 64);
      const started = Date.now();
      const net = await Testnet.start({
        dir: o.dir,
        nodes,
        consensus: o.consensus,
        ...(o.validators !== undefined
          ? { validators: parseInteger(o.validators, "validators", 1, 1024) }
          : {}),
        epochSlots: parseInteger(o.epochSlots, "epoch-slots", 1, 1024),
        miners: o.miners !== undefined ? parseInteger(o.miners, "miners", 0, nodes) : nodes,
        accounts: parseInteger(o.accounts, "accounts", 1, 1000),
        blockTimeSeconds: parsePositive(o.blockTime, "block-time"),
        hashratePerMiner: parsePositive(o.hashrate, "hashrate"),
        fresh: o.fresh === true,
        inProcess: o.inProcess === true,
        onProgress: (msg) => {
          if (!o.json) process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}\n`);
        },
      });
      if (o.detach) {
        if (o.json) printJson(net.manifest);
        else {
          printUp(net);
          process.stdout.write(`dashboard:  npx chainlab dashboard --dir ${net.dir}\n`);
        }
        return;
      }
      let dashboard: Dashboard | undefined;
      if (o.dashboard !== false) {
        const port =
          o.dashboardPort !== undefined ? parseInteger(o.dashboardPort, "dashboard-port", 0, 65535) : 0;
        try {
          dashboard = await serveDashboard({ testnet: net, port, experiments: o.experiments ?? [] });
        } catch (err) {
          await net.stop();
          throw err;
        }
      }
      printUp(net);
      if (dashboard) process.stdout.write(`dashboard:  ${dashboard.controlUrl}\n\n`);
      await liveView(net, dashboard);
    });

  t.command("status")
    .description("height, head, peers and mempool of every node")
    .option("--dir <dir>", "testnet directory", DEFAULT_DIR)
    .option("--json", "print JSON")
    .action(async (o: { dir: string; json?: boolean }) => {
      const st = await (await Testnet.open(o.dir)).status();
      if (o.json) printJson(st);
      else process.stdout.write(`${statusTable(st)}\n`);
    });

  t.command("down")
    .description("stop every node gracefully (no process is left behind)")
    .option("--dir <dir>", "testnet directory", DEFAULT_DIR)
    .option("--json", "print JSON")
    .action(async (o: { dir: string; json?: boolean }) => {
      const net = await Testnet.open(o.dir);
      const pids = net.nodes.map((n) => n.pid).filter((p): p is number => p !== undefined);
      await net.stop();
      const left = pids.filter((p) => isAlive(p));
      if (left.length > 0) throw new CliError(`processes still running: ${left.join(", ")}`);
      if (o.json) printJson({ stopped: pids });
      else process.stdout.write(`stopped ${pids.length} node process(es)\n`);
    });

  t.command("logs")
    .description("print a node's log")
    .argument("<node>", "node name or index")
    .option("--dir <dir>", "testnet directory", DEFAULT_DIR)
    .option("--lines <n>", "last N lines", "50")
    .action(async (ref: string, o: { dir: string; lines: string }) => {
      const node = findNode((await Testnet.open(o.dir)).manifest, ref);
      const n = parseInteger(o.lines, "lines", 1, 1_000_000);
      const text = await readFile(node.logFile, "utf8").catch(() => "");
      process.stdout.write(`${text.trimEnd().split("\n").slice(-n).join("\n")}\n`);
    });

  /** A command acting on one node: `chainlab testnet NAME NODE [--dir] [--json]`. */
  const nodeCommand = (
    name: string,
    description: string,
    act: (net: Testnet, node: NodeEntry) => Promise<{ json: unknown; text: () => string }>,
  ): void => {
    t.command(name)
      .description(description)
      .argument("<node>", "node name or index")
      .option("--dir <dir>", "testnet directory", DEFAULT_DIR)
      .option("--json", "print JSON")
      .action(async (ref: string, o: { dir: string; json?: boolean }) => {
        const net = await Testnet.open(o.dir);
        const out = await act(net, findNode(net.manifest, ref));
        if (o.json) printJson(out.json);
        else process.stdout.write(`${out.text()}\n`);
      });
  };

  nodeCommand("kill", "SIGKILL a node (a crash)", async (net, node) => {
    const pid = node.pid;
    await net.kill(node.index);
    return { json: { killed: node.name, pid }, text: () => `killed ${node.name} (pid ${pid})` };
  });

  nodeCommand("restart", "restart a node (it catches up from its peers)", async (net, node) => {
    await net.restart(node.index);
    return { json: node, text: () => `restarted ${node.name} (pid ${node.pid}, ${node.rpcUrl})` };
  });

  t.command("partition")
    .description('split the nodes into groups that cannot reach each other, e.g. "0,1/2,3"')
    .argument("<groups>", "node indexes: comma within a group, slash between groups")
    .option("--dir <dir>", "testnet directory", DEFAULT_DIR)
    .option("--json", "print JSON")
    .action(async (spec: string, o: { dir: string; json?: boolean }) => {
      const net = await Testnet.open(o.dir);
      const groups = parseGroups(spec, net.nodes.length);
      await net.partition(groups);
      if (o.json) printJson({ partitioned: groups });
      else process.stdout.write(`partitioned: ${groups.map((g) => g.join(",")).join(" / ")}\n`);
    });

  t.command("heal")
    .description("lift every partition")
    .option("--dir <dir>", "testnet directory", DEFAULT_DIR)
    .option("--json", "print JSON")
    .action(async (o: { dir: string; json?: boolean }) => {
      await (await Testnet.open(o.dir)).heal();
      if (o.json) printJson({ healed: true });
      else process.stdout.write("healed\n");
    });

  t.command("load")
    .description("send signed transfers between the prefunded accounts and report inclusion")
    .requiredOption("--tps <rate>", "transfers per second")
    .requiredOption("--duration <seconds>", "how long to send")
    .option("--dir <dir>", "testnet directory", DEFAULT_DIR)
    .option("--json", "print JSON")
    .action(async (o: { tps: string; duration: string; dir: string; json?: boolean }) => {
      const net = await Testnet.open(o.dir);
      let lastPrint = 0;
      const report = await runLoad(net, {
        tps: parsePositive(o.tps, "tps"),
        durationSeconds: parsePositive(o.duration, "duration"),
        onProgress: (p) => {
          if (o.json || Date.now() - lastPrint < 1000) return;
          lastPrint = Date.now();
          process.stderr.write(
            `  ${p.elapsed.toFixed(0)} s: submitted ${p.submitted}, accepted ${p.accepted}, included ${p.included}\n`,
          );
        },
      });
      if (o.json) return printJson(report);
      const rej =
        Object.entries(report.rejected)
          .map(([k, v]) => `${k}=${v}`)
          .join(", ") || "none";
      process.stdout.write(
        [
          `submitted:  ${report.submitted} (${report.submittedTps.toFixed(1)} tx/s, target ${report.targetTps})`,
          `accepted:   ${report.accepted}`,
          `included:   ${report.included} (${report.includedTps.toFixed(1)} tx/s)`,
          `rejected:   ${rej}`,
          `pending:    ${report.pendingAtEnd}`,
          `latency:    p50 ${report.latencyMs.p50 ?? "-"} ms, p95 ${report.latencyMs.p95 ?? "-"} ms, max ${report.latencyMs.max ?? "-"} ms`,
        ].join("\n") + "\n",
      );
    });
}
