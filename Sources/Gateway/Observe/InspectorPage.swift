/// `GET /__mock/ui`: the inspector page, one self-contained HTML document (styles and script
/// inline, no network beyond the mock's own control API). It polls the journal every second and
/// shows new requests as they arrive; a row opens the entry (request and response, pretty JSON,
/// stream events with their offsets, the faults and why). Beside it: fault rules with counters
/// (add, delete), the clock (freeze, advance, resume), tasks with progress, keys with balances
/// and windows.
///
/// The admin token (`--admin-token`): the page itself holds no data and is served without it;
/// every call it makes sends `X-Mock-Admin-Token`, taken from the URL fragment
/// (`/__mock/ui#token=TOKEN`, never sent to the server or logged) or asked for with a prompt
/// when a call answers 401, and kept in the tab's session storage.
///
/// Concurrency: an immutable constant.
enum InspectorPage {
    static let bytes: [UInt8] = Array(html.utf8)

    static let html = #"""
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bytespike-mock inspector</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<style>
:root{--bg:#fafafa;--fg:#1d1d1f;--mute:#6e6e73;--line:#ddd;--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--sel:#e7f0ff}
*{box-sizing:border-box}body{margin:0;font:13px/1.4 system-ui,sans-serif;background:var(--bg);color:var(--fg)}
header{display:flex;gap:12px;align-items:center;padding:8px 12px;border-bottom:1px solid var(--line);background:#fff}
header h1{font-size:15px;margin:0}header .mute{color:var(--mute)}
main{display:grid;grid-template-columns:minmax(0,1.1fr) minmax(0,1fr);gap:0;height:calc(100vh - 41px)}
section{overflow:auto;border-right:1px solid var(--line)}
.filters{display:flex;flex-wrap:wrap;gap:6px;padding:8px;border-bottom:1px solid var(--line);background:#fff;position:sticky;top:0}
.filters input{width:104px;padding:3px 5px;font:inherit}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #eee;white-space:nowrap}
th{background:#f2f2f2;position:sticky;top:41px;font-weight:600}
tr.row{cursor:pointer}tr.row:hover{background:#f0f4fa}tr.row.sel{background:var(--sel)}
.s2{color:var(--ok)}.s4{color:var(--warn)}.s5,.s0{color:var(--bad)}
#detail{padding:8px 12px}#detail h2{font-size:14px;margin:10px 0 4px}#detail h3{font-size:13px;margin:8px 0 2px;color:var(--mute)}
pre{background:#fff;border:1px solid var(--line);padding:6px;margin:2px 0;white-space:pre-wrap;word-break:break-word;max-height:420px;overflow:auto}
.tabs{display:flex;gap:4px;padding:6px 8px;border-bottom:1px solid var(--line);background:#fff;position:sticky;top:0}
.tabs button{border:1px solid var(--line);background:#fff;padding:3px 8px;cursor:pointer}.tabs button.on{background:var(--sel)}
.panel{display:none;padding:8px 12px}.panel.on{display:block}
.kv td:first-child{color:var(--mute);padding-right:12px}
.fault{background:#fff4e5;border:1px solid #f0c36d;padding:4px 6px;margin:3px 0}
button.small{font-size:12px;padding:1px 6px}
.bar{height:6px;background:#eee;width:120px;display:inline-block;vertical-align:middle}.bar i{display:block;height:6px;background:#0969da}
</style></head>
<body>
<header><h1>bytespike-mock inspector</h1><span class="mute" id="status">connecting…</span><span class="mute" id="counts"></span></header>
<main>
<section id="left">
  <div class="filters">
    <input id="f-path" placeholder="path glob"><input id="f-surface" placeholder="surface"><input id="f-status" placeholder="status 4xx">
    <input id="f-body" placeholder="body contains"><input id="f-json" placeholder="json path=value"><input id="f-session" placeholder="session">
    <button id="f-clear" class="small">clear journal</button>
  </div>
  <table><thead><tr><th>time</th><th>method</th><th>path</th><th>status</th><th>surface</th><th>model</th><th>key</th><th>ms</th><th>events</th><th>faults</th></tr></thead>
  <tbody id="rows"></tbody></table>
</section>
<section id="right">
  <div class="tabs"><button data-tab="detail" class="on">request</button><button data-tab="faults">faults</button>
  <button data-tab="clock">clock</button><button data-tab="tasks">tasks</button><button data-tab="keys">keys</button></div>
  <div class="panel on" id="detail"><p class="mute">Select a request on the left.</p></div>
  <div class="panel" id="faults">
    <form id="fault-form"><input id="fault-spec" size="40" placeholder="e.g. 429 retry_after=1 first=1 path=/v1/chat/*">
    <button id="fault-add" type="submit">add rule</button></form>
    <p class="mute">Grammar as for --fault and X-Mock-Fault. Counters: matched / applied.</p>
    <table><thead><tr><th>id</th><th>rule</th><th>matched</th><th>applied</th><th></th></tr></thead><tbody id="fault-rows"></tbody></table>
  </div>
  <div class="panel" id="clock">
    <table class="kv" id="clock-state"></table>
    <p><button id="clock-freeze">freeze</button> <button id="clock-resume">resume</button>
    <input id="clock-seconds" size="6" value="60"> s <button id="clock-advance">advance</button></p>
  </div>
  <div class="panel" id="tasks"><table><thead><tr><th>task</th><th>model</th><th>status</th><th>progress</th></tr></thead><tbody id="task-rows"></tbody></table></div>
  <div class="panel" id="keys"><table><thead><tr><th>key</th><th>group</th><th>balance</th><th>quota used</th><th>windows</th></tr></thead><tbody id="key-rows"></tbody></table></div>
</section>
</main>
<script>
"use strict";
const frag = new URLSearchParams(location.hash.slice(1));
if (frag.get("token")) { sessionStorage.setItem("bytespike-token", frag.get("token")); history.replaceState(null, "", location.pathname); }
let token = sessionStorage.getItem("bytespike-token") || "";
const $ = id => document.getElementById(id);
const esc = s => String(s ?? "").replace(/[&<>"]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;"}[c]));
async function api(method, path, body, type) {
  for (let attempt = 0; attempt < 2; attempt++) {
    const headers = {};
    if (token) headers["X-Mock-Admin-Token"] = token;
    if (body !== undefined) headers["Content-Type"] = type || "application/json";
    const r = await fetch("/__mock/" + path, {method, headers, body: body === undefined ? undefined : (typeof body === "string" ? body : JSON.stringify(body))});
    if (r.status === 401 && attempt === 0) {
      const t = prompt("This mock needs its admin token (--admin-token):");
      if (t) { token = t; sessionStorage.setItem("bytespike-token", t); continue; }
    }
    const text = await r.text();
    let data; try { data = JSON.parse(text); } catch { data = text; }
    if (!r.ok) throw new Error((data && data.error && data.error.message) || (r.status + " " + text));
    return data;
  }
}
let since = 0, selected = null, filterKey = "";
function filterQuery() {
  const q = new URLSearchParams({capture: "false", limit: "500"});
  const add = (id, name) => { const v = $(id).value.trim(); if (v) q.append(name, v); };
  add("f-path", "path"); add("f-surface", "surface"); add("f-status", "status"); add("f-body", "body_contains"); add("f-json", "json"); add("f-session", "session");
  return q;
}
function clock(ms) { const d = new Date(ms); return d.toISOString().slice(11, 23); }
function row(e) {
  const tr = document.createElement("tr");
  tr.className = "row"; tr.dataset.id = e.id;
  const cls = "s" + String(e.status)[0];
  tr.innerHTML = `<td>${clock(e.recorded_at_ms)}</td><td>${esc(e.method)}</td><td>${esc(e.path)}</td><td class="${cls}">${e.status}</td>` +
    `<td>${esc(e.surface)}</td><td>${esc(e.model)}</td><td>${esc(e.key)}</td><td>${e.duration_ms}</td><td>${e.stream ? e.events : ""}</td>` +
    `<td>${esc(e.faults.map(f => f.rule + ":" + f.action).join(", "))}</td>`;
  tr.onclick = () => open(e.id);
  return tr;
}
async function poll() {
  const q = filterQuery();
  const key = q.toString();
  if (key !== filterKey) { filterKey = key; since = 0; $("rows").innerHTML = ""; }
  q.set("since", since);
  try {
    const j = await api("GET", "journal?" + q.toString());
    const body = $("rows");
    for (const e of j.entries) { body.insertBefore(row(e), body.firstChild); since = Math.max(since, e.index); }
    while (body.children.length > 2000) body.removeChild(body.lastChild);
    $("status").textContent = "live";
    $("counts").textContent = `${j.total} recorded · ${j.dropped} dropped · ${(j.held_bytes / 1048576).toFixed(1)} of ${(j.byte_limit / 1048576).toFixed(0)} MiB`;
  } catch (err) { $("status").textContent = "error: " + err.message; }
}
function pretty(v) { return typeof v === "string" ? v : JSON.stringify(v, null, 2); }
function headersTable(h) { return `<table class="kv">${Object.entries(h || {}).map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join("")}</table>`; }
function bodyBlock(x, cls) {
  if (x.body_format === "empty" || x.body === null || x.body === undefined) return `<p class="mute">no body</p>`;
  const cut = x.body_omitted ? ` · ${x.body_omitted} bytes left out` : "";
  return `<p class="mute">${esc(x.body_format)} · ${x.body_size} bytes · ${esc(x.content_type)}${cut}</p><pre class="${cls}">${esc(pretty(x.body))}</pre>`;
}
async function open(id) {
  selected = id;
  for (const tr of document.querySelectorAll("tr.row")) tr.classList.toggle("sel", tr.dataset.id === id);
  show("detail");
  const e = await api("GET", "journal/" + encodeURIComponent(id));
  let html = `<h2>${esc(e.method)} ${esc(e.request ? e.request.target : e.path)} → <span class="s${String(e.status)[0]}">${e.status}</span></h2>`;
  html += `<p class="mute">${esc(e.id)} · ${esc(e.surface)} · ${esc(e.model)} · key ${esc(e.key)} · attempt ${e.attempt} · ${e.duration_ms} ms${e.session ? " · session " + esc(e.session) : ""}</p>`;
  for (const f of e.faults) html += `<div class="fault"><b>${esc(f.rule)}</b> (${esc(f.origin)}, ${esc(f.stage)}): ${esc(f.action)} — ${esc(f.reason)}</div>`;
  if (e.request) html += `<h3>request headers</h3>${headersTable(e.request.headers)}<h3>request body</h3>${bodyBlock(e.request, "req-body")}`;
  const r = e.response;
  html += `<h3>response (${esc(r.written)})</h3>${headersTable(r.headers)}`;
  if (r.events) {
    html += `<h3>${r.events.length} stream events</h3><table><thead><tr><th>ms</th><th>event</th><th>data</th></tr></thead><tbody>` +
      r.events.map(v => `<tr><td>${v.ms}</td><td>${esc(v.event || "")}</td><td><pre class="event">${esc(pretty(v.data !== undefined ? v.data : (v.raw || v.comment || "")))}</pre></td></tr>`).join("") + `</tbody></table>`;
  } else {
    html += `<h3>response body</h3>${bodyBlock(r, "resp-body")}`;
  }
  $("detail").innerHTML = html;
}
function show(tab) {
  for (const b of document.querySelectorAll(".tabs button")) b.classList.toggle("on", b.dataset.tab === tab);
  for (const p of document.querySelectorAll(".panel")) p.classList.toggle("on", p.id === tab);
  if (tab === "faults") loadFaults(); if (tab === "clock") loadClock(); if (tab === "tasks") loadTasks(); if (tab === "keys") loadKeys();
}
async function loadFaults() {
  const j = await api("GET", "faults");
  $("fault-rows").innerHTML = j.faults.map(f => `<tr data-rule="${esc(f.id)}"><td>${esc(f.id)}</td><td>${esc(f.spec || f.fault || "")}</td><td>${f.matched}</td><td>${f.applied}</td>` +
    `<td><button class="small" data-delete="${esc(f.id)}">delete</button> <span class="mute">${esc(f.origin)}</span></td></tr>`).join("");
  for (const b of document.querySelectorAll("[data-delete]")) b.onclick = async () => { await api("DELETE", "faults/" + encodeURIComponent(b.dataset.delete)); loadFaults(); };
}
$("fault-form").onsubmit = async ev => {
  ev.preventDefault();
  const spec = $("fault-spec").value.trim();
  if (!spec) return;
  try { await api("POST", "faults", spec, "text/plain"); $("fault-spec").value = ""; } catch (err) { alert(err.message); }
  loadFaults();
};
async function loadClock() {
  const c = await api("GET", "clock");
  $("clock-state").innerHTML = `<tr><td>now</td><td id="clock-now">${esc(c.now_iso)}</td></tr><tr><td>frozen</td><td id="clock-frozen">${c.frozen}</td></tr><tr><td>task time scale</td><td>${c.time_scale}</td></tr>`;
}
async function clockAction(body) { await api("POST", "clock", body); loadClock(); }
$("clock-freeze").onclick = () => clockAction({action: "freeze"});
$("clock-resume").onclick = () => clockAction({action: "resume"});
$("clock-advance").onclick = () => clockAction({action: "advance", seconds: Number($("clock-seconds").value) || 0});
async function loadTasks() {
  const j = await api("GET", "tasks");
  const list = j.tasks || j.data || [];
  $("task-rows").innerHTML = list.map(t => { const pct = Number(t.progress ?? 0);
    return `<tr><td>${esc(t.task_id || t.id)}</td><td>${esc(t.model)}</td><td>${esc(t.status)}</td><td><span class="bar"><i style="width:${Math.min(100, pct)}%"></i></span> ${Math.round(pct)}%</td></tr>`; }).join("")
    || `<tr><td colspan="4" class="mute">no tasks</td></tr>`;
}
async function loadKeys() {
  const j = await api("GET", "keys");
  $("key-rows").innerHTML = j.keys.map(k => `<tr><td>${esc(k.id)}<br><span class="mute">${esc(k.masked_key)}${k.revoked ? " · revoked" : ""}</span></td><td>${esc(k.group)}</td>` +
    `<td>$${esc(k.balance_usd)}</td><td>$${esc(k.quota_used)}${Number(k.quota) > 0 ? " of $" + esc(k.quota) : ""}</td>` +
    `<td>${k.windows.map(w => `${esc(w.name)}: $${esc(w.spent_usd)} / $${esc(w.limit_usd)}`).join("<br>") || '<span class="mute">none</span>'}</td></tr>`).join("");
}
for (const b of document.querySelectorAll(".tabs button")) b.onclick = () => show(b.dataset.tab);
$("f-clear").onclick = async () => { await api("DELETE", "journal"); filterKey = ""; poll(); };
poll();
setInterval(poll, 1000);
setInterval(() => { const on = document.querySelector(".panel.on"); if (on && on.id !== "detail") show(on.id); }, 3000);
</script>
</body></html>
"""#
}
