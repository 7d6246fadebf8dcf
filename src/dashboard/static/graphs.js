// The fork tree (blocks by height and branch, tips labelled with their nodes) and the peer
// topology (nodes on a circle, coloured by connected component, so a partition shows as groups).
import { el, svg } from "./charts.js";

const COMPONENT_COLOURS = ["#2f6fdb", "#e8821e", "#1f9d55", "#9b59b6", "#d64545", "#16a2b8", "#8a6d3b"];

/** Draws the fork tree from view.forkTree (blocks with height, lane, status, nodes). */
export function forkTreeChart(blocks) {
  const heights = blocks.map((b) => b.height);
  const lo = Math.min(...heights);
  const hi = Math.max(...heights);
  const lanes = Math.max(...blocks.map((b) => b.lane)) + 1;
  const colW = 38;
  const laneH = 46;
  const left = 10;
  const top = 18;
  const width = Math.max(440, left * 2 + (hi - lo + 1) * colW);
  const height = top + lanes * laneH + 20;
  const s = svg(width, height, true);
  s.setAttribute(
    "data-tips",
    String(new Set(blocks.filter((b) => b.nodes.length > 0).map((b) => b.hash)).size),
  );
  const pos = new Map(
    blocks.map((b) => [
      b.hash,
      { x: left + (b.height - lo) * colW + colW / 2, y: top + b.lane * laneH + 14 },
    ]),
  );
  for (const b of blocks) {
    const p = pos.get(b.parentHash);
    const q = pos.get(b.hash);
    if (p) el("line", { class: "edge", x1: p.x, y1: p.y, x2: q.x, y2: q.y }, s);
  }
  for (const h of [lo, hi])
    el(
      "text",
      { x: pos.get(blocks.find((b) => b.height === h).hash).x, y: 10, "text-anchor": "middle" },
      s,
      `#${h}`,
    );
  for (const b of blocks) {
    const { x, y } = pos.get(b.hash);
    const r = el(
      "rect",
      {
        class: `block-${b.status}`,
        x: x - 12,
        y: y - 8,
        width: 24,
        height: 16,
        rx: 3,
        "data-status": b.status,
      },
      s,
    );
    el("title", {}, r, `#${b.height} ${b.hash.slice(0, 16)}… ${b.status}, by ${b.producer.slice(0, 20)}`);
    if (b.nodes.length > 0) {
      const label = el(
        "text",
        // The newest column's label ends at its block, so it stays inside the drawing.
        {
          class: "tip-label",
          y: y + 22,
          ...(b.height === hi ? { x: x + 12, "text-anchor": "end" } : { x, "text-anchor": "middle" }),
        },
        s,
        tipLabel(b.nodes),
      );
      el("title", {}, label, b.nodes.join(", "));
    }
  }
  return s;
}

/** Node names on a tip, short: node-0, node-1, node-2, node-5 -> "n0–2 n5". */
function tipLabel(nodes) {
  const nums = nodes.map((n) => /^node-(\d+)$/.exec(n)?.[1]).map(Number);
  if (nums.some((x) => Number.isNaN(x))) return nodes.join(" ");
  nums.sort((a, b) => a - b);
  const parts = [];
  for (let i = 0; i < nums.length; ) {
    let j = i;
    while (j + 1 < nums.length && nums[j + 1] === nums[j] + 1) j++;
    parts.push(
      j > i + 1
        ? `n${nums[i]}–${nums[j]}`
        : nums
            .slice(i, j + 1)
            .map((x) => `n${x}`)
            .join(" "),
    );
    i = j + 1;
  }
  return parts.join(" ");
}

/** Draws the topology from view.topology ({nodes, edges, components}). */
export function topologyChart(t) {
  const size = 300;
  const s = svg(size + 140, size);
  const c = size / 2;
  const radius = t.nodes.length > 1 ? c - 36 : 0;
  const colour = new Map();
  t.components.forEach((group, i) => {
    for (const n of group) colour.set(n, COMPONENT_COLOURS[i % COMPONENT_COLOURS.length]);
  });
  s.setAttribute("data-components", String(t.components.length));
  const pos = new Map(
    t.nodes.map((n, i) => {
      const a = (2 * Math.PI * i) / t.nodes.length - Math.PI / 2;
      return [n.name, { x: c + 70 + radius * Math.cos(a), y: c + radius * Math.sin(a) }];
    }),
  );
  for (const [a, b] of t.edges) {
    const p = pos.get(a);
    const q = pos.get(b);
    el("line", { class: "edge", x1: p.x, y1: p.y, x2: q.x, y2: q.y, "data-edge": `${a}|${b}` }, s);
  }
  for (const n of t.nodes) {
    const { x, y } = pos.get(n.name);
    const attrs = n.up ? { fill: colour.get(n.name) ?? "#a0a7b4" } : { class: "node-down" };
    el("circle", { cx: x, cy: y, r: 14, ...attrs }, s);
    el(
      "text",
      { class: "node-label", x, y: y + 30, "text-anchor": "middle" },
      s,
      n.up ? n.name : `${n.name} (down)`,
    );
  }
  const note =
    t.components.length > 1
      ? `${t.components.length} partitions`
      : t.components.length === 1
        ? "connected"
        : "no node up";
  el("text", { class: "node-label", x: 6, y: 16 }, s, note);
  return s;
}
