// The panels drawn from one state event: headline, node table, charts, reorgs, producers, engine.
import { barSeries, fmt, histogramChart, lineChart, pairedShares, show } from "./charts.js";
import { forkTreeChart, topologyChart } from "./graphs.js";

const COLUMNS = [
  "node",
  "state",
  "height",
  "head",
  "finalized",
  "peers",
  "mempool",
  "tx/s",
  "RSS",
  "CPU",
  "version",
  "",
];

function td(tr, text, cls, col) {
  const c = document.createElement("td");
  c.textContent = text;
  if (cls) c.className = cls;
  if (col) c.dataset.col = col;
  tr.appendChild(c);
  return c;
}

function headerRow(columns) {
  const tr = document.createElement("tr");
  for (const c of columns) {
    const th = document.createElement("th");
    th.textContent = c;
    tr.appendChild(th);
  }
  return tr;
}

function stat(parent, label, value, title) {
  const d = document.createElement("div");
  d.className = "stat";
  const l = document.createElement("div");
  l.className = "label";
  l.textContent = label;
  const v = document.createElement("div");
  v.className = "value";
  v.textContent = value;
  if (title) d.title = title;
  d.append(l, v);
  parent.appendChild(d);
}

/** The headline figures. */
export function drawHeadline(v) {
  const h = v.headline;
  const box = document.getElementById("headline");
  box.replaceChildren();
  stat(box, "nodes up", `${h.nodesUp} / ${h.nodes}`);
  stat(box, "best height", fmt(h.bestHeight), h.bestHash);
  stat(
    box,
    "finalized height",
    h.finalizedHeight === undefined ? "–" : fmt(h.finalizedHeight),
    h.finalizedHeight === undefined ? "the engine reports no finality" : "",
  );
  stat(
    box,
    "avg block interval",
    h.avgIntervalMs === undefined ? "–" : `${(h.avgIntervalMs / 1000).toFixed(2)} s`,
  );
  if (h.hashrate !== undefined) stat(box, "hashrate", `${fmt(h.hashrate)} H/s`);
  stat(box, "reorgs (last hour)", String(h.reorgsLastHour));
}

/** The node table; `control` adds kill/restart buttons that call `act`. */
export function drawNodes(v, control, act) {
  const table = document.getElementById("nodes");
  table.tHead.replaceChildren(headerRow(COLUMNS));
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const n of v.nodes) {
    const tr = document.createElement("tr");
    tr.dataset.node = n.name;
    const role = n.validators ? ` · validators ${n.validators.join(",")}` : n.miner ? " · miner" : "";
    td(tr, n.name + role, "", "name");
    td(tr, n.state, `state state-${n.state}`, "state");
    td(tr, n.height === undefined ? "–" : String(n.height), "", "height");
    const headCell = td(tr, n.head ? n.head.slice(0, 12) : "–", "mono", "head");
    if (n.head) headCell.dataset.hash = n.head;
    td(tr, n.finalized === undefined ? "–" : String(n.finalized), "", "finalized");
    td(tr, n.peers === undefined ? "–" : String(n.peers), "", "peers");
    td(tr, n.mempool === undefined ? "–" : String(n.mempool), "", "mempool");
    td(tr, n.txRate === undefined ? "–" : n.txRate.toFixed(0), "", "txrate");
    td(tr, n.rssBytes === undefined ? "–" : `${fmt(n.rssBytes / 1048576, 0)} MiB`, "", "rss");
    td(tr, n.cpuPercent === undefined ? "–" : `${n.cpuPercent.toFixed(0)}%`, "", "cpu");
    const versions = [n.version ? `chainlab ${n.version}` : undefined, n.runtime].filter(Boolean);
    td(tr, versions.length > 0 ? versions.join(" · ") : "–", "muted", "version");
    const actions = td(tr, "", "", "actions");
    if (control) {
      for (const action of n.state === "down" ? ["restart"] : ["kill", "restart"]) {
        const b = document.createElement("button");
        b.textContent = action;
        b.addEventListener("click", () => act({ action, node: n.index }));
        actions.appendChild(b);
      }
    } else if (n.error) actions.textContent = n.error.slice(0, 60);
    body.appendChild(tr);
  }
}

/** Block interval, its histogram, txs per block and propagation. */
export function drawCharts(v) {
  const series = v.intervals.series.map((p) => ({ x: p.height, y: p.ms / 1000 }));
  show(
    document.getElementById("interval-series"),
    series.length > 1 ? lineChart(series, "height → interval (s)") : "waiting for blocks",
  );
  const ih = v.intervals.histogram.map((b) => ({ ...b, from: b.from / 1000, to: b.to / 1000 }));
  show(
    document.getElementById("interval-hist"),
    ih.length > 0 ? histogramChart(ih, "interval (s)") : "waiting for blocks",
  );
  const txs = v.txsPerBlock.map((p) => ({ x: p.height, y: p.txs }));
  show(
    document.getElementById("txs"),
    txs.length > 0 ? barSeries(txs, "height → txs") : "waiting for blocks",
  );
  const ph = v.propagation.histogram;
  document.getElementById("prop-note").textContent =
    `From a block's first sighting on any node to its sighting on each other node, over the last ${v.propagation.blocks.length} blocks; sightings come from polls every ${v.propagation.resolutionMs} ms, so 0 means within one poll.`;
  show(
    document.getElementById("prop-hist"),
    ph.length > 0 ? histogramChart(ph, "delay (ms)") : "waiting for blocks seen by two nodes",
  );
  show(
    document.getElementById("forktree"),
    v.forkTree.length > 0 ? forkTreeChart(v.forkTree) : "waiting for blocks",
  );
  show(
    document.getElementById("topology"),
    v.topology.nodes.length > 0 ? topologyChart(v.topology) : "no nodes",
  );
}

/** Reorgs (newest first) and producer share. */
export function drawLists(v) {
  const box = document.getElementById("reorgs");
  if (v.reorgs.length === 0) show(box, "no reorg seen");
  else {
    const ul = document.createElement("ul");
    ul.className = "reorg-list";
    for (const r of v.reorgs) {
      const li = document.createElement("li");
      li.textContent = `${new Date(r.at).toLocaleTimeString()}  ${r.node}: depth ${r.depth} (+${r.added}) at fork #${r.forkHeight}  ${r.from.slice(0, 8)} → ${r.to.slice(0, 8)}`;
      ul.appendChild(li);
    }
    show(box, ul);
  }
  const rows = v.producers.map((p) => ({ label: p.producer.slice(0, 12), a: p.blockShare, b: p.rateShare }));
  show(
    document.getElementById("producers"),
    rows.length > 0 ? pairedShares(rows, "share of blocks", "share of hashrate") : "waiting for blocks",
  );
}

/** The engine's status per node (statuses with PoS fields are drawn by the PoS panel). */
export function drawEngine(v) {
  const box = document.getElementById("engine");
  if (v.engine.length === 0) return show(box, v.pos ? "see the proof-of-stake panel" : "no node up");
  const t = document.createElement("table");
  t.appendChild(headerRow(["node", "type", "difficulty", "hashrate", "cumulative work"]));
  for (const e of v.engine) {
    const tr = document.createElement("tr");
    for (const x of [
      e.node,
      e.type ?? "–",
      fmt(Number(e.difficulty)),
      e.hashrate === undefined ? "–" : `${fmt(e.hashrate)} H/s`,
      fmt(Number(e.cumulativeWork)),
    ])
      td(tr, x);
    t.appendChild(tr);
  }
  show(box, t);
}
