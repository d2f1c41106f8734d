"""The dashboard at ``/`` of ``fakeiot serve``: one self-contained page (no build step, no CDN)
that polls ``/_fakeiot/api/overview`` and drives the control API."""

from __future__ import annotations

PAGE = b"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>fakeiot</title>
<link rel="icon" href="/favicon.ico" type="image/svg+xml">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f5f6f8; }
  header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; gap: 16px;
           align-items: center; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0 12px 0 0; }
  main { padding: 16px 20px; display: grid; gap: 16px; }
  section { background: #fff; border-radius: 6px; padding: 12px 16px;
            box-shadow: 0 1px 2px rgba(0,0,0,.08); }
  h2 { font-size: 15px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e4e6eb;
           font-family: ui-monospace, monospace; font-size: 12px; }
  th { font-family: system-ui, sans-serif; }
  .ONLINE { color: #0a7d2c; font-weight: 600; } .OFFLINE { color: #6b7280; }
  .ABNORMAL { color: #b45309; font-weight: 600; } .inactive, .NOT_ACTIVE { color: #6b7280; }
  .online { color: #0a7d2c; font-weight: 600; } .disable { color: #b91c1c; }
  button { font: inherit; padding: 2px 10px; border-radius: 4px; border: 1px solid #9ca3af;
           background: #fff; cursor: pointer; }
  header button { border-color: #4b5563; }
  #message { color: #b91c1c; min-height: 1em; }
  h3 { font-size: 13px; margin: 10px 0 4px; color: #4b5563; }
  #faces { display: grid; gap: 16px; }
  #calls { font-family: ui-monospace, monospace; font-size: 12px; white-space: pre-wrap;
           margin: 0; max-height: 260px; overflow: auto; }
  .empty { color: #6b7280; font-style: italic; }
</style>
</head>
<body>
<header>
  <h1>fakeiot</h1>
  <span>time: <strong id="now">-</strong> <span id="clockkind"></span></span>
  <span id="clock-controls" hidden>
    <label>advance <input id="seconds" type="number" value="60" min="0" style="width:7em"> s</label>
    <button id="advance">Advance clock</button>
  </span>
  <button id="reset">Reset</button>
  <span id="message" role="status"></span>
</header>
<main>
  <div id="faces"></div>
  <section>
    <h2>Recent calls</h2>
    <pre id="calls"></pre>
  </section>
</main>
<script>
"use strict";
const token = new URLSearchParams(location.search).get("token");
const headers = {"Content-Type": "application/json"};
if (token) headers["X-Fakeiot-Token"] = token;
const api = (path, body) => fetch("/_fakeiot/api/" + path, body === undefined
  ? {headers} : {method: "POST", headers, body: JSON.stringify(body)})
  .then(async (r) => { const data = await r.json();
                       if (!r.ok) throw new Error(data.detail || data.error); return data; });
const say = (text) => { document.getElementById("message").textContent = text; };
const act = (path, body) => api(path, body).then(() => { say(""); refresh(); })
                                          .catch((e) => say(e.message));
function countdown(seconds) {
  if (seconds === null) return "never";
  const s = Math.round(seconds); return s >= 3600 ? (s / 3600).toFixed(1) + " h" : s + " s";
}
function text(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "object" && "countdown" in value) return countdown(value.countdown);
  return String(value);
}
function section(face) {
  const id = "face-" + face.name;
  let node = document.getElementById(id);
  if (!node) {
    node = document.createElement("section"); node.id = id;
    const h = document.createElement("h2"); h.textContent = face.title; node.appendChild(h);
    document.getElementById("faces").appendChild(node);
  }
  return node;
}
function table(node, faceName, spec) {
  const id = faceName + "-" + spec.id;
  let t = document.getElementById(id);
  if (!t) {
    const h = document.createElement("h3"); h.textContent = spec.title; node.appendChild(h);
    t = document.createElement("table"); t.id = id;
    const head = t.createTHead().insertRow();
    [...spec.columns, ""].forEach((c) => { const th = document.createElement("th");
                                           th.textContent = c; head.appendChild(th); });
    t.createTBody(); node.appendChild(t);
  }
  const rendered = JSON.stringify(spec.rows);
  if (t.dataset.rows === rendered) return;  // unchanged: keep the rows (and their buttons)
  t.dataset.rows = rendered;
  const body = t.tBodies[0]; body.replaceChildren();
  if (!spec.rows.length) {
    const td = body.insertRow().insertCell(); td.textContent = spec.empty;
    td.className = "empty"; td.colSpan = spec.columns.length + 1; return;
  }
  spec.rows.forEach((row) => {
    const r = body.insertRow();
    row.cells.forEach((value, i) => {
      const td = r.insertCell(); td.textContent = text(value);
      if (row.status && spec.columns[i] === "status") td.className = row.status;
    });
    const td = r.insertCell();
    (row.actions || []).forEach((a) => {
      const b = document.createElement("button"); b.textContent = a.label;
      b.addEventListener("click", () =>
        act("faces/" + faceName + "/actions/" + a.action, a.args));
      td.appendChild(b);
    });
  });
}
function callLine(c) {
  if (!c.detail) return c.line;
  const detail = typeof c.detail === "string" ? c.detail : JSON.stringify(c.detail);
  return c.line + "  (" + detail + ")";
}
function refresh() {
  api("overview").then((o) => {
    document.getElementById("now").textContent = new Date(o.now * 1000).toISOString();
    document.getElementById("clockkind").textContent = o.manualClock ? "(manual)" : "(real)";
    document.getElementById("clock-controls").hidden = !o.manualClock;
    o.faces.forEach((face) => {
      const node = section(face);
      face.tables.forEach((spec) => table(node, face.name, spec));
    });
    document.getElementById("calls").textContent =
      o.calls.map(callLine).join("\\n") || "no calls yet";
  }).catch((e) => say(e.message));
}
document.getElementById("advance").addEventListener("click", () =>
  act("clock/advance", {seconds: Number(document.getElementById("seconds").value)}));
document.getElementById("reset").addEventListener("click", () => act("reset", {}));
refresh();
setInterval(refresh, 1000);
</script>
</body>
</html>
"""

#: the dashboard's icon: a small device with a signal
FAVICON = b"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">\
<rect x="6" y="12" width="20" height="16" rx="3" fill="#1d2330"/>\
<circle cx="16" cy="20" r="3" fill="#0a7d2c"/>\
<path d="M10 8a9 9 0 0 1 12 0M13 10a5 5 0 0 1 6 0" stroke="#1d2330" stroke-width="2" fill="none"/>\
</svg>"""
