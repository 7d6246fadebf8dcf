// The PoS panel: slot and epoch, justified and finalized checkpoints, participation per epoch
// against the 2/3 that justifies, per-node checkpoints and the slashed validators with their
// evidence. Drawn only when the engine's consensus_status reports those fields (view.pos).
import { el, fmt, show, svg } from "./charts.js";

const W = 440;
const H = 170;
const PAD = { l: 40, r: 8, t: 10, b: 26 };

const cp = (c) => (c ? `epoch ${c.epoch}${c.height === undefined ? "" : ` · #${c.height}`}` : "–");

function participationChart(points) {
  const s = svg(W, H, true);
  s.setAttribute("data-epochs", String(points.length));
  const ih = H - PAD.t - PAD.b;
  const y = (f) => H - PAD.b - ih * f;
  el("line", { class: "axis", x1: PAD.l, y1: H - PAD.b, x2: W - PAD.r, y2: H - PAD.b }, s);
  el("line", { class: "axis", x1: PAD.l, y1: PAD.t, x2: PAD.l, y2: H - PAD.b }, s);
  el("text", { x: PAD.l - 4, y: y(1) + 4, "text-anchor": "end" }, s, "100%");
  el("text", { x: PAD.l - 4, y: H - PAD.b, "text-anchor": "end" }, s, "0");
  const bw = Math.min(36, (W - PAD.l - PAD.r) / Math.max(1, points.length));
  points.forEach((p, i) => {
    const r = el(
      "rect",
      {
        class: `${p.fraction >= 2 / 3 ? "bar" : "bar alt"}${p.partial ? " partial" : ""}`,
        x: PAD.l + i * bw + 1,
        y: y(p.fraction),
        width: Math.max(1, bw - 2),
        height: ih * p.fraction,
      },
      s,
    );
    el(
      "title",
      {},
      r,
      `epoch ${p.epoch}: ${(p.fraction * 100).toFixed(1)}% of active stake attested${p.partial ? " so far (epoch in progress)" : ""}`,
    );
  });
  // The 2/3 of active stake that justifies, over the bars.
  el("line", { class: "threshold", x1: PAD.l, y1: y(2 / 3), x2: W - PAD.r, y2: y(2 / 3) }, s);
  el("text", { x: PAD.l - 4, y: y(2 / 3) + 4, "text-anchor": "end" }, s, "2/3");
  if (points.length > 0) {
    el("text", { x: PAD.l, y: H - PAD.b + 12 }, s, `epoch ${points[0].epoch}`);
    el(
      "text",
      { x: PAD.l + points.length * bw, y: H - PAD.b + 12, "text-anchor": "end" },
      s,
      `${points[points.length - 1].epoch}`,
    );
  }
  el("text", { x: (W + PAD.l) / 2, y: H - 4, "text-anchor": "middle" }, s, "epoch → participation");
  return s;
}

function table(cols, rows) {
  const t = document.createElement("table");
  const head = document.createElement("tr");
  for (const c of cols) {
    const th = document.createElement("th");
    th.textContent = c;
    head.appendChild(th);
  }
  t.appendChild(head);
  for (const r of rows) {
    const tr = document.createElement("tr");
    for (const x of r) {
      const td = document.createElement("td");
      if (x instanceof Node) td.appendChild(x);
      else td.textContent = x === undefined ? "–" : String(x);
      tr.appendChild(td);
    }
    t.appendChild(tr);
  }
  return t;
}

function evidence(s) {
  const d = document.createElement("details");
  const sum = document.createElement("summary");
  sum.textContent = s.reason ?? "evidence";
  const pre = document.createElement("pre");
  pre.textContent = s.evidence;
  d.append(sum, pre);
  return d;
}

/** Draws (or hides) the PoS panel. */
export function drawPos(v) {
  const card = document.getElementById("pos-card");
  card.hidden = !v.pos;
  document.getElementById("engine-card").hidden = !!v.pos && v.engine.length === 0;
  if (!v.pos) return;
  const p = v.pos;
  const facts = document.getElementById("pos-facts");
  facts.replaceChildren();
  for (const [label, value] of [
    ["slot", p.slot],
    ["epoch", p.epoch],
    ["justified", cp(p.justified)],
    ["finalized", cp(p.finalized)],
    ["active validators", p.activeValidators],
    ["active stake", p.activeStake === undefined ? undefined : `${fmt(Number(p.activeStake), 2)} base units`],
  ]) {
    const d = document.createElement("div");
    d.className = "fact";
    d.dataset.fact = label;
    d.textContent = `${label}: ${value ?? "–"}`;
    facts.appendChild(d);
  }
  show(
    document.getElementById("pos-participation"),
    p.participation.length > 0 ? participationChart(p.participation) : "no participation reported yet",
  );
  show(
    document.getElementById("pos-nodes"),
    table(
      ["node", "slot", "epoch", "proposer", "justified", "finalized"],
      p.nodes.map((n) => [n.node, n.slot, n.epoch, n.proposer, cp(n.justified), cp(n.finalized)]),
    ),
  );
  const slashed = document.getElementById("pos-slashed");
  slashed.dataset.count = String(p.slashed.length);
  show(
    slashed,
    p.slashed.length === 0
      ? "no validator slashed"
      : table(
          ["validator", "public key", "evidence", "reported by"],
          p.slashed.map((s) => [
            s.index,
            (s.publicKey ?? "").slice(0, 16),
            evidence(s),
            s.reportedBy.join(", "),
          ]),
        ),
  );
}
