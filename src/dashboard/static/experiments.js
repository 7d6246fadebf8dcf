// The experiments panel: each `chainlab attack` run found under the dashboard's experiment dirs.
// A running one shows its progress and the points measured so far (95% Wilson intervals) beside
// the theory at those points; a finished one also shows its report's SVG charts. A run is redrawn
// only when its file changed, so the charts are not fetched again on every state event.
import { el, fmt, show, svg } from "./charts.js";

const W = 440;
const H = 190;
const PAD = { l: 40, r: 10, t: 10, b: 30 };
const SERIES = ["#2f6fdb", "#e8821e", "#1f9d55", "#9b59b6", "#d64545", "#16a2b8"];

/** The coordinate that varies most is the x axis; the others name the series. */
function axes(points) {
  const keys = [...new Set(points.flatMap((p) => Object.keys(p.coords)))];
  const distinct = (k) => new Set(points.map((p) => p.coords[k])).size;
  keys.sort((a, b) => distinct(b) - distinct(a));
  return { x: keys[0], rest: keys.slice(1) };
}

function pointsChart(points) {
  const s = svg(W, H, true);
  const { x, rest } = axes(points);
  const xs = points.map((p) => (x === undefined ? 0 : p.coords[x]));
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const sx = (v) =>
    PAD.l + (hi > lo ? ((v - lo) / (hi - lo)) * (W - PAD.l - PAD.r - 20) + 10 : (W - PAD.l - PAD.r) / 2);
  const sy = (v) => H - PAD.b - (H - PAD.t - PAD.b) * v;
  el("line", { class: "axis", x1: PAD.l, y1: H - PAD.b, x2: W - PAD.r, y2: H - PAD.b }, s);
  el("line", { class: "axis", x1: PAD.l, y1: PAD.t, x2: PAD.l, y2: H - PAD.b }, s);
  el("text", { x: PAD.l - 4, y: sy(1) + 4, "text-anchor": "end" }, s, "1");
  el("text", { x: PAD.l - 4, y: sy(0), "text-anchor": "end" }, s, "0");
  el("text", { x: sx(lo), y: H - PAD.b + 12, "text-anchor": "middle" }, s, fmt(lo, 2));
  if (hi > lo) el("text", { x: sx(hi), y: H - PAD.b + 12, "text-anchor": "middle" }, s, fmt(hi, 2));
  el("text", { x: (W + PAD.l) / 2, y: H - 4, "text-anchor": "middle" }, s, `${x ?? "point"} → success rate`);
  const groups = new Map();
  for (const p of points) {
    const key = rest.map((k) => `${k}=${p.coords[k]}`).join(", ");
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  let measured = 0;
  [...groups].forEach(([key, ps], i) => {
    const colour = SERIES[i % SERIES.length];
    const sorted = [...ps].sort((a, b) => (a.coords[x] ?? 0) - (b.coords[x] ?? 0));
    const theory = sorted.filter((p) => p.predicted !== undefined);
    if (theory.length > 0)
      el(
        "polyline",
        {
          class: "theory",
          stroke: colour,
          points: theory.map((p) => `${sx(p.coords[x] ?? 0)},${sy(p.predicted)}`).join(" "),
        },
        s,
      );
    for (const p of sorted) {
      if (p.trials === 0 || p.estimate === null) continue;
      measured++;
      const cx = sx(p.coords[x] ?? 0);
      el("line", { class: "ci", stroke: colour, x1: cx, x2: cx, y1: sy(p.lo), y2: sy(p.hi) }, s);
      const c = el("circle", { cx, cy: sy(p.estimate), r: 3.5, fill: colour }, s);
      el(
        "title",
        {},
        c,
        `${p.id}: ${p.successes}/${p.trials} = ${fmt(p.estimate, 3)} [${fmt(p.lo, 3)}, ${fmt(p.hi, 3)}]; theory ${p.predicted === undefined ? "–" : fmt(p.predicted, 3)}`,
      );
    }
    if (key) el("text", { x: W - PAD.r, y: PAD.t + 10 + i * 13, "text-anchor": "end", fill: colour }, s, key);
  });
  s.setAttribute("data-measured", String(measured));
  return s;
}

function runCard(r) {
  const card = document.createElement("div");
  card.className = "run";
  card.dataset.run = r.id;
  card.dataset.state = r.state;
  const h = document.createElement("h3");
  h.textContent = `${r.scenario} · ${r.name} · ${r.state}${r.seed === undefined ? "" : ` · seed ${r.seed}`}`;
  card.appendChild(h);
  if (r.fit) {
    const fit = document.createElement("div");
    fit.className = "muted note";
    fit.textContent = `fit against the theory: χ² ${fmt(r.fit.chiSquare, 2)}${r.fit.degreesOfFreedom === undefined ? "" : ` (${r.fit.degreesOfFreedom} df)`}, p = ${fmt(r.fit.pValue, 3)}`;
    card.appendChild(fit);
  }
  if (r.state !== "finished" || r.total !== undefined) {
    const bar = document.createElement("progress");
    bar.max = Math.max(1, r.total ?? 1);
    bar.value = r.done ?? 0;
    const label = document.createElement("span");
    label.className = "muted";
    label.textContent = ` trials ${r.done ?? 0} / ${r.total ?? "?"}${r.error ? ` — ${r.error}` : ""}`;
    card.append(bar, label);
  }
  const figures = document.createElement("div");
  figures.className = "run-figures";
  const chart = document.createElement("div");
  chart.className = "chart";
  show(chart, r.points.length > 0 ? pointsChart(r.points) : "no point measured yet");
  figures.appendChild(chart);
  for (const c of r.charts) {
    const img = document.createElement("img");
    img.src = `/experiments/${r.id}/${encodeURIComponent(c.file)}`;
    img.alt = c.title;
    img.title = c.title;
    img.className = "report-chart";
    figures.appendChild(img);
  }
  card.appendChild(figures);
  return card;
}

/** Draws the experiments panel (hidden when no run is found). */
export function drawExperiments(v) {
  const runs = v.experiments ?? [];
  document.getElementById("experiments-card").hidden = runs.length === 0;
  const box = document.getElementById("experiments");
  const old = new Map([...box.children].map((c) => [c.dataset.run, c]));
  const cards = runs.map((r) => {
    const sig = `${r.state}|${r.updatedAt}|${r.done}|${r.points.length}`;
    const prev = old.get(r.id);
    if (prev && prev.dataset.sig === sig) return prev;
    const card = runCard(r);
    card.dataset.sig = sig;
    return card;
  });
  if (cards.length !== box.children.length || cards.some((c, i) => box.children[i] !== c))
    box.replaceChildren(...cards);
}
