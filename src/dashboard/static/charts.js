// Small SVG charts drawn in the browser (no library, no network): bars, histograms and lines.
const NS = "http://www.w3.org/2000/svg";

/** Creates an SVG element with attributes (and text), appended to `parent` if given. */
export function el(tag, attrs = {}, parent, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

/** An SVG of the given size that scales to its container's width (never above it with `natural`). */
export function svg(width, height, natural = false) {
  return el("svg", {
    viewBox: `0 0 ${width} ${height}`,
    preserveAspectRatio: "xMidYMid meet",
    ...(natural ? { width, height, class: "natural" } : {}),
  });
}

/** Replaces a container's content with `node`, or with an "empty" note when node is a string. */
export function show(container, node) {
  container.replaceChildren();
  if (typeof node === "string") {
    const p = document.createElement("div");
    p.className = "empty";
    p.textContent = node;
    container.appendChild(p);
  } else container.appendChild(node);
}

/** A compact number: 1.2k, 3.4M. */
export function fmt(x, digits = 1) {
  if (x === undefined || x === null || Number.isNaN(x)) return "–";
  const a = Math.abs(x);
  if (a >= 1e9) return `${(x / 1e9).toFixed(digits)}G`;
  if (a >= 1e6) return `${(x / 1e6).toFixed(digits)}M`;
  if (a >= 1e4) return `${(x / 1e3).toFixed(digits)}k`;
  return Number.isInteger(x) ? String(x) : x.toFixed(digits);
}

const W = 440;
const H = 170;
const PAD = { l: 40, r: 8, t: 8, b: 26 };

function axes(s, yMax, xLabel) {
  el("line", { class: "axis", x1: PAD.l, y1: H - PAD.b, x2: W - PAD.r, y2: H - PAD.b }, s);
  el("line", { class: "axis", x1: PAD.l, y1: PAD.t, x2: PAD.l, y2: H - PAD.b }, s);
  el("text", { x: PAD.l - 4, y: PAD.t + 8, "text-anchor": "end" }, s, fmt(yMax));
  el("text", { x: PAD.l - 4, y: H - PAD.b, "text-anchor": "end" }, s, "0");
  el("text", { x: (W + PAD.l) / 2, y: H - 4, "text-anchor": "middle" }, s, xLabel);
}

/** A histogram of bins {from, to, count}; `unit` labels the x axis. */
export function histogramChart(bins, xLabel) {
  const s = svg(W, H);
  const max = Math.max(1, ...bins.map((b) => b.count));
  axes(s, max, xLabel);
  const bw = (W - PAD.l - PAD.r) / bins.length;
  bins.forEach((b, i) => {
    const h = ((H - PAD.t - PAD.b) * b.count) / max;
    const r = el(
      "rect",
      { class: "bar", x: PAD.l + i * bw + 1, y: H - PAD.b - h, width: Math.max(1, bw - 2), height: h },
      s,
    );
    el("title", {}, r, `${fmt(b.from)}–${fmt(b.to)}: ${b.count}`);
  });
  el("text", { x: PAD.l, y: H - PAD.b + 12 }, s, fmt(bins[0].from));
  el("text", { x: W - PAD.r, y: H - PAD.b + 12, "text-anchor": "end" }, s, fmt(bins[bins.length - 1].to));
  return s;
}

/** Bars per x value (points {x, y}), e.g. txs per block by height. */
export function barSeries(points, xLabel) {
  const s = svg(W, H);
  const max = Math.max(1, ...points.map((p) => p.y));
  axes(s, max, xLabel);
  const bw = (W - PAD.l - PAD.r) / points.length;
  points.forEach((p, i) => {
    const h = ((H - PAD.t - PAD.b) * p.y) / max;
    const r = el(
      "rect",
      { class: "bar", x: PAD.l + i * bw, y: H - PAD.b - h, width: Math.max(1, bw - 1), height: h },
      s,
    );
    el("title", {}, r, `${p.x}: ${p.y}`);
  });
  xEnds(s, points);
  return s;
}

/** A line over points {x, y}. */
export function lineChart(points, xLabel) {
  const s = svg(W, H);
  const max = Math.max(1, ...points.map((p) => p.y));
  axes(s, max, xLabel);
  const step = (W - PAD.l - PAD.r) / Math.max(1, points.length - 1);
  const y = (v) => H - PAD.b - ((H - PAD.t - PAD.b) * v) / max;
  el(
    "polyline",
    { class: "line", points: points.map((p, i) => `${PAD.l + i * step},${y(p.y)}`).join(" ") },
    s,
  );
  points.forEach((p, i) => {
    const c = el("circle", { class: "dot", cx: PAD.l + i * step, cy: y(p.y), r: 1.8 }, s);
    el("title", {}, c, `${p.x}: ${fmt(p.y)}`);
  });
  xEnds(s, points);
  return s;
}

function xEnds(s, points) {
  if (points.length === 0) return;
  el("text", { x: PAD.l, y: H - PAD.b + 12 }, s, String(points[0].x));
  el(
    "text",
    { x: W - PAD.r, y: H - PAD.b + 12, "text-anchor": "end" },
    s,
    String(points[points.length - 1].x),
  );
}

/** Paired horizontal bars per row {label, a, b} (shares in 0..1): a blue, b orange. */
export function pairedShares(rows, aLabel, bLabel) {
  const rowH = 30;
  const h = rows.length * rowH + 22;
  const s = svg(W, h);
  const x0 = 104;
  const span = W - x0 - 50;
  rows.forEach((r, i) => {
    const y = 6 + i * rowH;
    el("text", { class: "node-label", x: 4, y: y + 16 }, s, r.label);
    el("rect", { class: "bar", x: x0, y, width: Math.max(1, span * r.a), height: 11 }, s);
    el("text", { x: x0 + span * r.a + 4, y: y + 10 }, s, `${(r.a * 100).toFixed(0)}%`);
    if (r.b !== undefined) {
      el("rect", { class: "bar alt", x: x0, y: y + 13, width: Math.max(1, span * r.b), height: 11 }, s);
      el("text", { x: x0 + span * r.b + 4, y: y + 23 }, s, `${(r.b * 100).toFixed(0)}%`);
    }
  });
  el("rect", { class: "bar", x: x0, y: h - 12, width: 10, height: 10 }, s);
  el("text", { x: x0 + 14, y: h - 3 }, s, aLabel);
  if (rows.some((r) => r.b !== undefined)) {
    el("rect", { class: "bar alt", x: x0 + 130, y: h - 12, width: 10, height: 10 }, s);
    el("text", { x: x0 + 144, y: h - 3 }, s, bLabel);
  }
  return s;
}
