// The dashboard page: subscribes to the server's state events and draws the panels. It never
// holds an API key; the session token (from the URL fragment the supervisor printed) only lets it
// ask the server for controls, and without it the page is read-only.

import { drawExperiments } from "./experiments.js";
import { drawCharts, drawEngine, drawHeadline, drawLists, drawNodes } from "./panels.js";
import { drawPos } from "./pos.js";

const TOKEN_KEY = "chainlab-dashboard-token";

function takeToken() {
  const m = /(?:^#|&)token=([0-9a-f]{64})/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, m[1]);
    history.replaceState(null, "", location.pathname);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? "";
}

const token = takeToken();
let control = false;
let last;

async function checkSession() {
  const r = await fetch("/api/session", { headers: token ? { "X-Dashboard-Token": token } : {} });
  control = r.ok && (await r.json()).control === true;
  const mode = document.getElementById("mode");
  mode.textContent = control ? "control" : "read-only";
  mode.className = control ? "badge control" : "badge";
  document.getElementById("controls").hidden = !control;
  if (last) draw(last);
}

/** Sends a control; the server checks Host, Origin and the token. */
async function act(body) {
  const out = document.getElementById("control-result");
  out.textContent = `${body.action} …`;
  const r = await fetch("/api/control", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Dashboard-Token": token },
    body: JSON.stringify(body),
  });
  const j = await r.json().catch(() => ({}));
  out.textContent = r.ok
    ? `${body.action}: ${JSON.stringify(j.result)}`
    : `${body.action} refused: ${j.error?.reason ?? r.status}`;
}

function draw(v) {
  document.getElementById("consensus").textContent = v.consensus ? `${v.consensus} testnet` : "testnet";
  drawHeadline(v);
  drawNodes(v, control, act);
  drawCharts(v);
  drawLists(v);
  drawEngine(v);
  drawPos(v);
  drawExperiments(v);
  const task = document.getElementById("task");
  if (v.task) {
    const p = v.task.running ? v.task.progress : v.task.result;
    task.textContent = `${v.task.kind} ${v.task.running ? "running" : "finished"}${v.task.error ? `: ${v.task.error}` : ""}${p ? ` — submitted ${p.submitted ?? 0}, included ${p.included ?? 0}` : ""}`;
  }
}

function connect() {
  const conn = document.getElementById("conn");
  const es = new EventSource("/events");
  es.addEventListener("open", () => {
    conn.textContent = "live";
    conn.className = "badge ok";
  });
  es.addEventListener("error", () => {
    conn.textContent = "disconnected (retrying)";
    conn.className = "badge bad";
  });
  es.addEventListener("state", (e) => {
    last = JSON.parse(e.data);
    draw(last);
  });
}

document.getElementById("partition-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const groups = document
    .getElementById("partition-groups")
    .value.split("/")
    .map((g) => g.split(",").map((x) => Number(x.trim())));
  act({ action: "partition", groups });
});
document.getElementById("heal").addEventListener("click", () => act({ action: "heal" }));
document.getElementById("load-form").addEventListener("submit", (e) => {
  e.preventDefault();
  act({
    action: "load",
    tps: Number(document.getElementById("load-tps").value),
    durationSeconds: Number(document.getElementById("load-duration").value),
  });
});

connect();
checkSession();
