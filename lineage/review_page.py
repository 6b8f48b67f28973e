"""The review page: a local server for ``privenance review serve`` (stdlib http.server).

It listens on 127.0.0.1 only. The URL it prints carries a token made for this start;
the first page load spends it and gets a session cookie (HttpOnly, SameSite=Strict), so
the URL cannot be used twice, and every request without the cookie (or with a Host
other than the server's own) is refused. The page is one HTML document with its CSS
and JavaScript inline: nothing is fetched from anywhere else. Each verdict is checked
and signed with the reviewer's key on the server and appended to the run's
verdicts.jsonl at once, so a review can stop and resume.
"""
from __future__ import annotations

import hmac
import json
import secrets
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from lineage import review as R
from privenance.contracts import RunRecord

MAX_BODY = 1 << 20  # a verdict is small: refuse anything bigger unread
COOKIE = "privenance_review"


class ReviewSession:
    """One reviewer's session over one run's sample."""

    def __init__(self, staged: Path, run: RunRecord | dict, sample: dict, reviews: Path, me, seed):
        self.run, self.sample, self.me, self.seed = RunRecord.of(run), sample, me, seed
        self.folder = R.review_dir(reviews, run)
        self.records = R.sampled_records(staged, run, sample)
        self.by_id = {r["_record_id"]: r for r in self.records}
        mine = [v for v in R.read_verdicts(self.folder) if v.get("binding") == sample["binding"]]
        self.verdicts = {rid: {"leaks": v["leaks"], "over_redactions": v["over_redactions"]}
                         for rid, v in R.latest(mine).items() if rid in self.by_id}
        self.lock = threading.Lock()

    def state(self) -> dict:
        return {"run_id": self.run.run_id, "reviewer": self.me.name,
                "target": self.sample["target"], "records": self.records,
                "verdicts": self.verdicts}

    def save(self, obj) -> dict:
        """Check, sign and append one verdict; ValueError when it is not valid."""
        body = R.verdict_body(obj, self.by_id)
        with self.lock:
            R.append_verdicts(self.folder, [R.sign_verdict(body, self.run, self.me, self.seed)])
            self.verdicts[body["record_id"]] = {"leaks": body["leaks"],
                                                "over_redactions": body["over_redactions"]}
            return {"reviewed": len(self.verdicts), "size": len(self.records)}


def serve(session: ReviewSession, port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    """A server for ``session`` on 127.0.0.1 (not started) and the URL to open."""
    token, cookie = secrets.token_urlsafe(24), secrets.token_urlsafe(32)
    spent = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        server_version = "privenance-review"

        def log_message(self, *args):  # no request lines on the terminal (record ids)
            pass

        def _send(self, status: int, body: bytes, ctype: str, extra: dict | None = None):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Security-Policy", "default-src 'none'; style-src "
                             "'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; "
                             "img-src data:; form-action 'none'; frame-ancestors 'none'")
            self.send_header("Referrer-Policy", "no-referrer")
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, obj) -> None:
            self._send(status, json.dumps(obj, ensure_ascii=False).encode(), "application/json")

        def _refuse(self, status=HTTPStatus.FORBIDDEN, why="forbidden: open the URL "
                    "`privenance review serve` printed") -> None:
            self._send(status, why.encode(), "text/plain; charset=utf-8")

        def _host_ok(self) -> bool:  # a DNS-rebinding page names another host
            return self.headers.get("Host") == f"127.0.0.1:{self.server.server_address[1]}"

        def _has_cookie(self) -> bool:
            for part in (self.headers.get("Cookie") or "").split(";"):
                name, _, value = part.strip().partition("=")
                if name == COOKIE and hmac.compare_digest(value, cookie):
                    return True
            return False

        def do_GET(self):
            url = urlsplit(self.path)
            if not self._host_ok():
                return self._refuse()
            if url.path == "/":
                given = parse_qs(url.query).get("t", [""])[0]
                if self._has_cookie():
                    return self._send(200, PAGE.encode(), "text/html; charset=utf-8")
                if given and hmac.compare_digest(given, token) and not spent.is_set():
                    spent.set()  # one time: the URL opens one browser session
                    return self._send(200, PAGE.encode(), "text/html; charset=utf-8", {
                        "Set-Cookie": f"{COOKIE}={cookie}; HttpOnly; SameSite=Strict; Path=/"})
                return self._refuse()
            if url.path == "/api/state" and self._has_cookie():
                return self._json(200, session.state())
            return self._refuse(HTTPStatus.NOT_FOUND if self._has_cookie() else
                                HTTPStatus.FORBIDDEN, "not found")

        def do_POST(self):
            if not (self._host_ok() and self._has_cookie()
                    and urlsplit(self.path).path == "/api/verdict"
                    and self.headers.get("Content-Type") == "application/json"):
                return self._refuse()
            length = self.headers.get("Content-Length") or ""
            length = int(length) if length.isdigit() else 0
            if not 0 < length <= MAX_BODY:
                return self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "too large")
            try:
                return self._json(200, session.save(json.loads(self.rfile.read(length))))
            except ValueError as exc:
                why = "not JSON" if isinstance(exc, json.JSONDecodeError) else str(exc)
                return self._json(400, {"error": why})

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    return server, f"http://127.0.0.1:{server.server_address[1]}/?t={token}"


PAGE = r"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>privenance review</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f0f4f8;color:#102a43}
header{background:#102a43;color:#fff;padding:12px 24px;display:flex;gap:24px;align-items:center;flex-wrap:wrap}
header h1{font-size:18px;margin:0}
#bar{flex:1;min-width:200px;height:10px;background:#334e68;border-radius:5px;overflow:hidden}
#fill{height:100%;background:#3ebd93;width:0}
main{max-width:980px;margin:20px auto;padding:0 20px}
.card{background:#fff;border-radius:8px;padding:18px 22px;box-shadow:0 1px 3px rgba(0,0,0,.12);margin-bottom:16px}
.meta{color:#627d98;font-size:13px;margin-bottom:8px}
.col{margin:12px 0}.col h3{font-size:13px;margin:0 0 4px;color:#486581;font-weight:600}
.text{white-space:pre-wrap;word-break:break-word;font:15px/1.7 ui-monospace,Menlo,Consolas,monospace;background:#f7f9fb;border:1px solid #d9e2ec;border-radius:6px;padding:10px 12px}
.rep{background:#d9e8ff;border-bottom:2px solid #2680c2;border-radius:3px}
.leak{background:#ffd6d6;outline:2px solid #e12d39;border-radius:3px}
.over{background:#fff3c4;outline:2px dashed #cb6e17;border-radius:3px}
.tools{display:flex;gap:8px;flex-wrap:wrap;align-items:center}
button{font:inherit;border:1px solid #9fb3c8;background:#fff;border-radius:6px;padding:6px 12px;cursor:pointer}
button.primary{background:#2680c2;color:#fff;border-color:#2680c2}
button.clean{background:#3ebd93;color:#fff;border-color:#27ab83}
button.danger{background:#e12d39;color:#fff;border-color:#cf1124}
kbd{font:12px ui-monospace,monospace;background:#e4e7eb;border-radius:3px;padding:0 4px;color:#102a43}
select{font:inherit;padding:5px}
#marks li{margin:3px 0}
#msg{min-height:1.5em;color:#cf1124}
.legend span{margin-right:14px;font-size:13px}
.done{color:#27ab83;font-weight:600}
</style></head><body>
<header><h1>privenance review</h1><span id="run"></span><div id="bar"><div id="fill"></div></div>
<span id="progress">loading…</span></header>
<main>
<div class="card"><div class="meta" id="meta"></div><div id="cols"></div>
<div class="legend"><span><mark class="rep">replaced</mark> by the run (operator on hover)</span>
<span><mark class="leak">still identifies</mark> (your marks)</span>
<span><mark class="over">over-redacted</mark></span></div></div>
<div class="card">
<div class="tools">
<label>Selected text is <select id="entity">
<option value="name">1 a name</option><option value="phone">2 a phone number</option>
<option value="email">3 an email</option><option value="address">4 an address</option>
<option value="id">5 an ID number</option><option value="other">6 other</option></select></label>
<button class="danger" id="leak">Mark leak <kbd>L</kbd></button>
<button id="over">Over-redacted <kbd>O</kbd></button>
<button id="undo">Undo mark <kbd>U</kbd></button></div>
<ul id="marks"></ul>
<div class="tools">
<button id="prev">Previous <kbd>P</kbd></button>
<button class="clean" id="clean">Clean, next <kbd>C</kbd></button>
<button class="primary" id="save">Save marks, next <kbd>Enter</kbd></button>
<button id="next">Skip <kbd>N</kbd></button></div>
<p id="msg"></p></div>
<p class="meta">You see only what was written, never the raw input. Your verdicts are signed
with your key and saved on the server as you go: close the page and resume any time.</p>
</main>
<script>
"use strict";
let S = null, i = 0, marks = [];
const $ = id => document.getElementById(id);
const WORDS = {name:"a name",phone:"a phone number",email:"an email",address:"an address",id:"an ID number",other:"other"};
function columns(r){return Object.keys(r).filter(k => !k.startsWith("_")).sort();}
function span(cls, text, title){const m=document.createElement("mark");m.className=cls;m.textContent=text;if(title)m.title=title;return m;}
function render(){
  const r = S.records[i], done = Object.keys(S.verdicts).length, n = S.records.length;
  $("progress").textContent = done + " of " + n + " reviewed";
  $("fill").style.width = (100*done/n) + "%";
  const v = S.verdicts[r._record_id];
  $("meta").innerHTML = "";
  $("meta").append("Record " + (i+1) + " of " + n + " · source " + r._source + " · language " + r._language + " · ",
    v ? Object.assign(document.createElement("span"),{className:"done",textContent: v.leaks.length ? "reviewed: "+v.leaks.length+" leak(s)" : "reviewed: clean"}) : "not reviewed yet");
  const cols = $("cols"); cols.innerHTML = "";
  for (const c of columns(r)) {
    const text = r[c], box = document.createElement("div"); box.className="col";
    const h = document.createElement("h3"); h.textContent = c; box.append(h);
    const t = document.createElement("div"); t.className="text"; t.dataset.column=c;
    const spans = r._replaced.filter(s => s.column===c && s.start!==null).map(s => ({...s, cls:"rep", title:s.entity+" → "+s.operator}))
      .concat(marks.filter(m => m.column===c).map(m => ({...m, cls:m.kind==="leak"?"leak":"over", title:m.kind==="leak"?WORDS[m.entity]||m.entity:"over-redacted"})));
    // paint character by character: the topmost class wins where spans overlap
    const cls = new Array(text.length).fill(null);
    for (const s of spans) for (let k=s.start;k<s.end&&k<text.length;k++) cls[k]=s;
    let k = 0;
    while (k < text.length) {
      let e = k; while (e < text.length && cls[e]===cls[k]) e++;
      const piece = text.slice(k,e);
      t.append(cls[k] ? span(cls[k].cls, piece, cls[k].title) : document.createTextNode(piece));
      k = e;
    }
    box.append(t); cols.append(box);
  }
  const ul = $("marks"); ul.innerHTML = "";
  marks.forEach((m, n) => { const li = document.createElement("li");
    li.textContent = (m.kind==="leak" ? "leak: "+(WORDS[m.entity]||m.entity) : "over-redacted") + " in " + m.column + " at " + m.start + "–" + m.end + " ";
    const b = document.createElement("button"); b.textContent="remove"; b.onclick=()=>{marks.splice(n,1);render();}; li.append(b); ul.append(li); });
}
function offsetIn(box, node, off){const rg=document.createRange();rg.selectNodeContents(box);rg.setEnd(node,off);return rg.toString().length;}
function selection(){
  const sel = window.getSelection(); if (!sel.rangeCount || sel.isCollapsed) return null;
  const rg = sel.getRangeAt(0);
  const box = (rg.startContainer.nodeType===1?rg.startContainer:rg.startContainer.parentElement).closest(".text");
  const endBox = (rg.endContainer.nodeType===1?rg.endContainer:rg.endContainer.parentElement).closest(".text");
  if (!box || box!==endBox) return null;
  const s = offsetIn(box, rg.startContainer, rg.startOffset), e = offsetIn(box, rg.endContainer, rg.endOffset);
  return e > s ? {column: box.dataset.column, start: s, end: e} : null;
}
function mark(kind){
  const s = selection();
  if (!s) { $("msg").textContent = "Select the text in one column first."; return; }
  marks.push({...s, kind, entity: $("entity").value}); window.getSelection().removeAllRanges();
  $("msg").textContent = ""; render();
}
function load(n){ i = Math.max(0, Math.min(S.records.length-1, n));
  const v = S.verdicts[S.records[i]._record_id];
  marks = v ? v.leaks.map(m => ({...m, kind:"leak", entity: toWord(m.entity)})).concat(v.over_redactions.map(m => ({...m, kind:"over"}))) : [];
  $("msg").textContent = ""; render(); }
function toWord(e){const m={PERSON:"name",PHONE_NUMBER:"phone",EMAIL_ADDRESS:"email",STREET_ADDRESS:"address",HK_ID:"id",OTHER:"other"};return m[e]||e;}
function firstOpen(from){ const n = S.records.length;
  for (let k=0;k<n;k++){const j=(from+k)%n; if(!S.verdicts[S.records[j]._record_id]) return j;} return -1; }
async function save(clean){
  const r = S.records[i];
  const body = {_record_id: r._record_id,
    leaks: clean ? [] : marks.filter(m => m.kind==="leak").map(m => ({column:m.column,start:m.start,end:m.end,entity:m.entity})),
    over_redactions: clean ? [] : marks.filter(m => m.kind==="over").map(m => ({column:m.column,start:m.start,end:m.end}))};
  const res = await fetch("/api/verdict", {method:"POST", headers:{"Content-Type":"application/json"}, body: JSON.stringify(body)});
  const out = await res.json();
  if (!res.ok) { $("msg").textContent = out.error || "not saved"; return; }
  S.verdicts[r._record_id] = {leaks: body.leaks.map(l => ({...l, entity: l.entity})), over_redactions: body.over_redactions};
  const j = firstOpen(i+1);
  if (j < 0) { load(i); $("msg").textContent = ""; $("progress").textContent = out.reviewed + " of " + out.size + " reviewed: complete"; return; }
  load(j);
}
document.addEventListener("keydown", ev => {
  if (ev.target.tagName === "SELECT" || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const k = ev.key.toLowerCase();
  if (k >= "1" && k <= "6") { $("entity").selectedIndex = +k - 1; }
  else if (k === "l") mark("leak"); else if (k === "o") mark("over");
  else if (k === "u") { marks.pop(); render(); }
  else if (k === "c") save(true); else if (k === "enter") save(false);
  else if (k === "n" || k === "arrowright") load(i+1); else if (k === "p" || k === "arrowleft") load(i-1);
  else return;
  ev.preventDefault();
});
$("leak").onclick = () => mark("leak"); $("over").onclick = () => mark("over");
$("undo").onclick = () => { marks.pop(); render(); };
$("clean").onclick = () => save(true); $("save").onclick = () => save(false);
$("next").onclick = () => load(i+1); $("prev").onclick = () => load(i-1);
// the cookie, not the token, from here on: drop the token from the address bar
history.replaceState(null, "", "/");
fetch("/api/state").then(r => r.json()).then(s => { S = s;
  $("run").textContent = "run " + s.run_id.slice(0,12) + " · reviewer " + s.reviewer + " · target ≤ " + (100*s.target.max_leak_rate) + " % at " + (100*s.target.confidence) + " %";
  const j = firstOpen(0); load(j < 0 ? 0 : j); });
</script></body></html>
"""
