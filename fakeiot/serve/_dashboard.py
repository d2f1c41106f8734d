"""The dashboard at ``/`` of ``fakeiot serve``: one self-contained page (no build step, no CDN)
that polls ``/_fakeiot/api/overview`` and drives the control API."""

from __future__ import annotations

PAGE = b"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>fakeiot</title>
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
  #calls { font-family: ui-monospace, monospace; font-size: 12px; white-space: pre-wrap;
           margin: 0; max-height: 260px; overflow: auto; }
  .empty { color: #6b7280; font-style: italic; }
</style>
</head>
<body>
<header>
  <h1>fakeiot</h1>
  <span>time: <strong id="now">-</strong> <span id="clockkind"></span></span>
  <label>advance <input id="seconds" type="number" value="60" min="0" style="width:7em"> s</label>
  <button id="advance">Advance clock</button>
  <button id="reset">Reset</button>
  <span id="message" role="status"></span>
</header>
<main>
  <section>
    <h2>OceanConnect applications</h2>
    <table id="apps"><thead><tr><th>appId</th><th>secret</th><th>name</th></tr></thead>
    <tbody></tbody></table>
  </section>
  <section>
    <h2>OceanConnect devices</h2>
    <table id="devices"><thead><tr><th>deviceId</th><th>nodeId</th><th>status</th>
      <th>activated</th><th>verify code expires in</th><th></th></tr></thead><tbody></tbody></table>
  </section>
  <section id="enos-section" hidden>
    <h2>EnOS organisations and devices</h2>
    <table id="orgs"><thead><tr><th>orgId</th><th>accessKey</th><th>secretKey</th></tr></thead>
    <tbody></tbody></table>
    <table id="enos-devices"><thead><tr><th>assetId</th><th>productKey</th><th>deviceKey</th>
      <th>status</th><th></th></tr></thead><tbody></tbody></table>
  </section>
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
function cell(row, text, cls) {
  const td = row.insertCell(); td.textContent = text === null || text === undefined ? "" : text;
  if (cls) td.className = cls; return td;
}
function button(td, label, onClick) {
  const b = document.createElement("button"); b.textContent = label;
  b.addEventListener("click", onClick); td.appendChild(b);
}
function fill(id, rows, render, empty) {
  const body = document.querySelector("#" + id + " tbody"); body.replaceChildren();
  if (!rows.length) { const r = body.insertRow(); const td = cell(r, empty, "empty");
                      td.colSpan = 6; return; }
  rows.forEach((item) => render(body.insertRow(), item));
}
function countdown(seconds) {
  if (seconds === null) return "never";
  const s = Math.round(seconds); return s >= 3600 ? (s / 3600).toFixed(1) + " h" : s + " s";
}
function refresh() {
  api("overview").then((o) => {
    document.getElementById("now").textContent = new Date(o.now * 1000).toISOString();
    document.getElementById("clockkind").textContent = o.manualClock ? "(manual)" : "(real)";
    fill("apps", o.oceanconnect.apps, (r, a) => { cell(r, a.appId); cell(r, a.secret);
                                                  cell(r, a.name); }, "no applications");
    fill("devices", o.oceanconnect.devices, (r, d) => {
      cell(r, d.deviceId); cell(r, d.nodeId);
      cell(r, d.status + "/" + d.statusDetail, d.status); cell(r, String(d.activated));
      cell(r, d.state === "registered" ? countdown(d.expiresIn) : "");
      const td = cell(r, "");
      if (d.status === "ONLINE" || d.status === "ABNORMAL")
        button(td, "Disconnect", () => act("oceanconnect/devices/disconnect",
                                           {deviceId: d.deviceId}));
      else
        button(td, "Connect", () => act("oceanconnect/devices/connect",
                                        {nodeId: d.nodeId, verifyCode: d.verifyCode}));
    }, "no devices");
    const enos = o.enos;
    document.getElementById("enos-section").hidden = !enos;
    if (enos) {
      fill("orgs", enos.orgs, (r, g) => { cell(r, g.orgId); cell(r, g.accessKey);
                                          cell(r, g.secretKey); }, "no organisations");
      fill("enos-devices", enos.devices, (r, d) => {
        cell(r, d.assetId); cell(r, d.productKey); cell(r, d.deviceKey);
        cell(r, d.status, d.status);
        const td = cell(r, "");
        if (d.status === "online")
          button(td, "Logout", () => act("enos/devices/logout",
                                         {productKey: d.productKey, deviceKey: d.deviceKey}));
        else if (d.status !== "disable")
          button(td, "Login", () => act("enos/devices/login", {productKey: d.productKey,
                 deviceKey: d.deviceKey, deviceSecret: d.deviceSecret}));
      }, "no devices");
    }
    document.getElementById("calls").textContent = o.calls.join("\\n") || "no calls yet";
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
