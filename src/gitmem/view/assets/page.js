// gitmem view: the page's behaviour. Memory text goes into the page as text nodes only (el() and
// textContent); nothing here parses markup (no innerHTML, no insertAdjacentHTML, no document.write).
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("gitmem-data").textContent);
  const SVG = "http://www.w3.org/2000/svg";
  const PAGE = 200;
  const sessions = DATA.sessions;
  const decisions = DATA.decisions;
  const byDecision = new Map(decisions.map((d) => [d.id, d]));

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(typeof c === "string" ? document.createTextNode(c) : c);
    return node;
  }
  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  }
  const day = (s) => (s || "").slice(0, 10);
  const when = (s) => (s || "").slice(0, 16).replace("T", " ");
  const person = (a) => (a || "unknown").replace(/\s*<[^>]*>\s*$/, "");
  const count = (n, word) => n + " " + (n === 1 ? word : word + "s");   // "1 session", "2 sessions"

  // -- search: the CLI's tokenization (gitmem.index.query.query_terms): letter-and-digit runs, lower-cased,
  // identifiers also as their camel-case words, stopwords and one-character words dropped, word* a prefix.
  const STOP = new Set(DATA.search.stopwords);
  const MIN_PREFIX = DATA.search.minPrefix;
  const RUN = /[\p{L}\p{N}]+/gu;
  function camel(word) {
    const cuts = [0];
    for (let i = 1; i < word.length; i++) {
      const a = word[i - 1], b = word[i], n = word[i + 1] || "";
      const lower = (c) => c !== c.toUpperCase() || /\p{N}/u.test(c);
      const upper = (c) => c !== c.toLowerCase();
      if (lower(a) && upper(b)) cuts.push(i);
      else if (upper(a) && upper(b) && n && n !== n.toUpperCase()) cuts.push(i);
    }
    if (cuts.length === 1) return [];
    cuts.push(word.length);
    const out = [];
    for (let i = 0; i + 1 < cuts.length; i++) out.push(word.slice(cuts[i], cuts[i + 1]).toLowerCase());
    return out;
  }
  // A session's words as one string " w1 w2 ... " (built once, on the first search): a word is found with
  // includes(" w "), a prefix with includes(" w"); much quicker to build and to scan than a Set per session.
  const NON_WORD = /[^\p{L}\p{N}]+/gu;
  const CAMEL_WORDS = /[\p{L}\p{N}]*?(?:[\p{Ll}\p{N}]\p{Lu}|\p{Lu}\p{Lu}\p{Ll})[\p{L}\p{N}]*/gu;
  function tokens(text, into) {
    if (!text) return;
    into.push(text.replace(NON_WORD, " ").toLowerCase());
    const identifiers = text.match(CAMEL_WORDS);
    if (identifiers) for (const w of identifiers) into.push(camel(w).join(" "));
  }
  function queryTerms(text) {
    const terms = [];
    for (const word of text.split(/\s+/)) {
      const runs = (word.toLowerCase().match(RUN) || []);
      if (!runs.length || (runs.length === 1 && (STOP.has(runs[0]) || runs[0].length < 2))) continue;
      const prefix = word.endsWith("*") && runs[runs.length - 1].length >= MIN_PREFIX;
      const forms = [runs];
      const parts = camel(word.replace(/[^\p{L}\p{N}]/gu, ""));
      if (parts.length) forms.push(parts, [parts.join("")]);
      terms.push({ forms, prefix });
    }
    return terms;
  }
  function termMatches(hay, term) {
    return term.forms.some((runs) => runs.every((r, i) =>
      hay.includes(term.prefix && i === runs.length - 1 ? " " + r : " " + r + " ")));
  }
  const wordCache = new Map();
  function sessionWords(s) {
    let hay = wordCache.get(s.id);
    if (hay === undefined) {
      const out = [];
      for (const t of [s.title, s.request, s.author, s.branch, s.agent]) tokens(t, out);
      for (const list of [s.investigated, s.learned, s.completed, s.deadEnds, s.nextSteps, s.tags, s.filesRead, s.filesModified]) {
        if (list) for (const t of list) tokens(t, out);
      }
      for (const d of s.decisions || []) { tokens(d.title, out); tokens(d.decision, out); tokens(d.rationale, out); for (const a of d.alternatives) tokens(a, out); }
      for (const o of s.obs) { tokens(o[2], out); tokens(o[3], out); tokens(o[5], out); for (const f of o[4]) tokens(f, out); }
      hay = " " + out.join(" ") + " ";
      wordCache.set(s.id, hay);
    }
    return hay;
  }

  // -- files: path -> sessions (summary's files, observations' files) and decisions (decided in Python)
  const fileSessions = new Map();
  function noteFile(path, i) {
    let list = fileSessions.get(path);
    if (!list) fileSessions.set(path, (list = []));
    if (list[list.length - 1] !== i) list.push(i);
  }
  sessions.forEach((s, i) => {
    for (const p of [...(s.filesModified || []), ...(s.filesRead || [])]) noteFile(p, i);
    for (const o of s.obs) for (const p of o[4]) noteFile(p, i);
  });
  for (const p of Object.keys(DATA.fileDecisions)) if (!fileSessions.has(p)) fileSessions.set(p, []);
  function sessionFiles(s) {
    const set = new Set([...(s.filesModified || []), ...(s.filesRead || [])]);
    for (const o of s.obs) for (const p of o[4]) set.add(p);
    return set;
  }
  function coversFile(s, want) {
    const folder = want.endsWith("/");
    for (const p of sessionFiles(s)) if (folder ? p.startsWith(want) : (p === want || p.endsWith("/" + want))) return true;
    return false;
  }

  // -- header, tabs --------------------------------------------------------------------------------------------
  document.getElementById("heading").textContent = "gitmem: " + DATA.repository;
  document.getElementById("summary").textContent = count(sessions.length, "session") + ", " +
    count(decisions.length, "decision") + "; memory ref at " + (DATA.tip || "(none)").slice(0, 10) + ", page written " + when(DATA.generated) + " UTC";
  if (DATA.errors.length) {
    const p = document.getElementById("problems");
    p.hidden = false;
    p.textContent = "Left out (run `gitmem check` or `gitmem doctor`): " + DATA.errors.join("; ");
  }
  const tabs = document.querySelectorAll("#tabs button");
  const drawn = {};
  function showTab(name) {
    for (const b of tabs) b.classList.toggle("active", b.dataset.tab === name);
    for (const s of document.querySelectorAll("section.tab")) s.hidden = s.id !== name;
    if (!drawn[name]) { drawn[name] = true; ({ decisions: drawDecisions, files: drawFiles, activity: drawActivity })[name]?.(); }
  }
  for (const b of tabs) b.addEventListener("click", () => showTab(b.dataset.tab));

  // -- timeline -------------------------------------------------------------------------------------------------
  const $ = (id) => document.getElementById(id);
  function fillSelect(id, values) {
    const counts = new Map();
    for (const v of values) if (v) counts.set(v, (counts.get(v) || 0) + 1);
    for (const [v, n] of [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) $(id).append(el("option", { value: v }, v + " (" + n + ")"));
  }
  fillSelect("f-author", sessions.map((s) => person(s.author)));
  fillSelect("f-agent", sessions.map((s) => s.agent));
  fillSelect("f-branch", sessions.map((s) => s.branch));

  function list(title, items) {
    if (!items || !items.length) return null;
    return el("div", {}, el("h4", {}, title), el("ul", {}, ...items.map((t) => el("li", {}, t))));
  }
  function sessionBody(s) {
    const body = el("div", { class: "body" });
    body.append(el("p", { class: "muted" }, "session " + s.id + (s.start ? ", " + when(s.start) + " to " + when(s.date) : "") +
      (s.summarizer ? ", summarized by " + s.summarizer : "")));
    if (s.request) body.append(el("p", {}, el("b", {}, "Asked: "), s.request));
    for (const [t, items] of [["Learned", s.learned], ["Done", s.completed], ["Investigated", s.investigated],
      ["Tried, did not work", s.deadEnds], ["Next steps", s.nextSteps], ["Files modified", s.filesModified]]) {
      const part = list(t, items);
      if (part) body.append(part);
    }
    if (s.decisions && s.decisions.length) {
      body.append(el("h4", {}, "Decisions"), el("ul", {}, ...s.decisions.map((d) => el("li", {}, el("b", {}, d.title),
        d.decision ? " " + d.decision : "", d.rationale ? " Why: " + d.rationale : ""))));
    }
    if (s.obs.length) {
      const rows = s.obs.map((o) => el("li", {}, (o[0] || "").slice(11, 19) + "  " + o[1] + (o[2] ? " " + o[2] : "") +
        (o[5] ? "  $ " + o[5] : "") + (o[3] ? "  " + o[3] : "") + (o[4].length ? "  [" + o[4].join(", ") + "]" : "") +
        (o[6] ? "  -> " + o[6] : "")));
      body.append(el("h4", {}, "Observations (" + s.obsTotal + ")"), el("ol", { class: "obs" }, ...rows));
    }
    if (s.obsTotal > s.obs.length) body.append(el("p", { class: "muted" }, count(s.obsTotal - s.obs.length, "more observation") +
      ": gitmem show " + s.id.slice(0, 8)));
    return body;
  }
  function sessionItem(s) {
    const details = el("details", { "data-id": s.id },
      el("summary", {}, el("span", {}, when(s.date)), el("span", { class: "author" }, person(s.author)),
        el("span", { class: "muted" }, s.agent || ""), el("span", { class: "muted" }, s.branch || ""),
        el("span", { class: "title" }, s.title)));
    details.addEventListener("toggle", () => { if (details.open && details.childNodes.length === 1) details.append(sessionBody(s)); });
    return el("li", {}, details);
  }
  let matches = [], shown = 0;
  function filtered() {
    const q = queryTerms($("q").value), author = $("f-author").value, agent = $("f-agent").value,
      branch = $("f-branch").value, file = $("f-file").value.trim(), from = $("f-from").value, to = $("f-to").value;
    return sessions.filter((s) => (!author || person(s.author) === author) && (!agent || s.agent === agent) &&
      (!branch || s.branch === branch) && (!from || day(s.date) >= from) && (!to || day(s.date) <= to) &&
      (!file || coversFile(s, file)) && (!q.length || q.every((t) => termMatches(sessionWords(s), t))));
  }
  function showMore() {
    const next = matches.slice(shown, shown + PAGE);
    $("sessions").append(...next.map(sessionItem));
    shown += next.length;
    $("more").hidden = shown >= matches.length;
    $("count").textContent = matches.length + " of " + count(sessions.length, "session") + (shown < matches.length ? ", " + shown + " shown" : "");
  }
  function refresh() {
    matches = filtered();
    shown = 0;
    $("sessions").replaceChildren();
    showMore();
  }
  let timer = 0;
  for (const id of ["q", "f-file"]) $(id).addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(refresh, 150); });
  for (const id of ["f-author", "f-agent", "f-branch", "f-from", "f-to"]) $(id).addEventListener("change", refresh);
  $("filters").addEventListener("submit", (e) => { e.preventDefault(); refresh(); });
  $("f-clear").addEventListener("click", () => { $("filters").reset(); refresh(); });
  $("more").addEventListener("click", showMore);
  function filterByFile(path) { $("f-file").value = path; showTab("timeline"); refresh(); }

  // -- decisions --------------------------------------------------------------------------------------------------
  const chip = (status) => el("span", { class: "chip s-" + status }, status);
  function decisionLink(id) {
    const d = byDecision.get(id);
    return el("a", { onclick: () => { const n = document.querySelector('#decision-list li[data-id="' + CSS.escape(id) + '"]'); if (n) n.scrollIntoView(); } },
      d ? d.title : id);
  }
  function drawGraph() {
    // nodes: decisions in a supersession chain; an edge runs from the old decision to the one that supersedes it
    const edges = [];
    for (const d of decisions) for (const old of d.supersedes) if (byDecision.has(old)) edges.push([old, d.id]);
    const ids = [...new Set(edges.flat())];
    if (!ids.length) return el("p", { class: "muted" }, "No decision supersedes another yet.");
    const layer = new Map(ids.map((id) => [id, 0]));
    for (let round = 0; round < ids.length; round++) for (const [a, b] of edges) if (layer.get(b) <= layer.get(a)) layer.set(b, layer.get(a) + 1);
    const rows = new Map();
    const pos = new Map();
    const ordered = ids.slice().sort((a, b) => (byDecision.get(a).date < byDecision.get(b).date ? -1 : 1));
    for (const id of ordered) {
      const x = layer.get(id);
      const y = rows.get(x) || 0;
      rows.set(x, y + 1);
      pos.set(id, [20 + x * 260, 14 + y * 54]);
    }
    const W = 20 + (Math.max(...layer.values()) + 1) * 260, H = 14 + Math.max(...rows.values()) * 54;
    const root = svg("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "decisions and what superseded them" });
    const defs = svg("defs");
    const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" });
    marker.append(svg("path", { d: "M0,0 L10,5 L0,10 z" }));
    defs.append(marker);
    root.append(defs);
    for (const [a, b] of edges) {
      const [x1, y1] = pos.get(a), [x2, y2] = pos.get(b);
      const line = svg("path", { class: "edge", "data-from": a, "data-to": b, "marker-end": "url(#arrow)",
        d: "M" + (x1 + 220) + "," + (y1 + 18) + " C" + (x1 + 240) + "," + (y1 + 18) + " " + (x2 - 20) + "," + (y2 + 18) + " " + x2 + "," + (y2 + 18) });
      line.append(svg("title", {}, "superseded by"));
      root.append(line);
    }
    for (const id of ids) {
      const d = byDecision.get(id), [x, y] = pos.get(id);
      const g = svg("g", { class: "node " + d.status, "data-id": id, transform: "translate(" + x + "," + y + ")" });
      g.append(svg("rect", { width: 220, height: 36, rx: 5 }), svg("title", {}, d.title + " (" + d.status + ", " + d.date + ")"));
      g.append(svg("text", { x: 8, y: 15 }, d.title.length > 34 ? d.title.slice(0, 33) + "…" : d.title));
      g.append(svg("text", { x: 8, y: 29, class: "s-" + d.status }, d.status + " · " + d.date));
      root.append(g);
    }
    return root;
  }
  function drawDecisions() {
    $("graph").append(drawGraph());
    for (const d of decisions) {
      const li = el("li", { "data-id": d.id }, el("div", {}, chip(d.status), el("b", {}, d.title), el("span", { class: "muted" }, "  " + d.date + "  " + d.id)));
      if (d.supersededBy.length) li.append(el("div", {}, "superseded by ", ...d.supersededBy.map(decisionLink)));
      if (d.supersedes.length) li.append(el("div", {}, "supersedes ", ...d.supersedes.map(decisionLink)));
      if (d.files.length) li.append(el("div", { class: "muted" }, "files: ", ...d.files.map((f) => el("a", { onclick: () => filterByFile(f) }, f + " "))));
      if (d.body) li.append(el("p", { class: "dbody" }, d.body));
      li.append(el("div", { class: "muted" }, d.path));
      $("decision-list").append(li);
    }
  }

  // -- files --------------------------------------------------------------------------------------------------
  const allFiles = [...fileSessions.keys()].sort((a, b) => fileSessions.get(b).length - fileSessions.get(a).length || (a < b ? -1 : 1));
  function fileDetail(path) {
    const folder = path.endsWith("/");
    const paths = folder ? allFiles.filter((p) => p.startsWith(path)) : [path];
    const ids = new Set(), idx = new Set();
    for (const p of paths) { for (const id of DATA.fileDecisions[p] || []) ids.add(id); for (const i of fileSessions.get(p) || []) idx.add(i); }
    const ds = decisions.filter((d) => ids.has(d.id));
    const ss = [...idx].sort((a, b) => a - b).map((i) => sessions[i]);
    const out = [el("h2", {}, path), el("h4", {}, "Decisions (" + ds.length + ")")];
    out.push(el("ol", {}, ...ds.map((d) => el("li", {}, chip(d.status), d.date + "  " + d.id + "  ", el("b", {}, d.title),
      d.supersededBy.length ? el("span", { class: "muted" }, "  superseded by " + d.supersededBy.join(", ")) : null))));
    out.push(el("h4", {}, "Sessions (" + ss.length + ")"), el("ol", {}, ...ss.slice(0, 200).map((s) =>
      el("li", {}, when(s.date) + "  " + person(s.author) + "  " + (s.branch || "") + "  ", el("b", {}, s.title), "  " + s.id.slice(0, 8)))));
    out.push(el("a", { onclick: () => filterByFile(path) }, "show these sessions in the timeline"));
    $("file-detail").replaceChildren(...out);
  }
  function drawFiles() {
    const q = $("file-q").value.trim();
    const hits = (q ? allFiles.filter((p) => p.includes(q)) : allFiles).slice(0, 500);
    if (q.endsWith("/")) hits.unshift(q);
    $("file-list").replaceChildren(...hits.map((p) => {
      const li = el("li", { "data-path": p, title: p }, p + "  (" + (fileSessions.get(p) || []).length + ")");
      li.addEventListener("click", () => { for (const x of $("file-list").children) x.classList.remove("sel"); li.classList.add("sel"); fileDetail(p); });
      return li;
    }));
  }
  $("file-q").addEventListener("input", drawFiles);

  // -- activity: sessions per author per week ----------------------------------------------------------------------
  function weekOf(date) {
    const d = new Date(day(date) + "T00:00:00Z");
    if (isNaN(d)) return "";
    d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
    return d.toISOString().slice(0, 10);
  }
  function drawActivity() {
    const counts = new Map(), totals = new Map(), weeks = new Set();
    for (const s of sessions) {
      const w = weekOf(s.date), a = person(s.author);
      if (!w) continue;
      weeks.add(w);
      counts.set(a + "\n" + w, (counts.get(a + "\n" + w) || 0) + 1);
      totals.set(a, (totals.get(a) || 0) + 1);
    }
    const cols = [...weeks].sort().slice(-52);
    const authors = [...totals].sort((a, b) => b[1] - a[1]).slice(0, 20).map((x) => x[0]);
    if (!cols.length) { $("chart").append(el("p", { class: "muted" }, "No dated sessions.")); return; }
    const max = Math.max(1, ...cols.flatMap((w) => authors.map((a) => counts.get(a + "\n" + w) || 0)));
    const cell = 16, left = 170, top = 40, W = left + cols.length * cell + 60, H = top + authors.length * cell + 10;
    const root = svg("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "sessions per author and week" });
    cols.forEach((w, j) => { if (j % 4 === 0) root.append(svg("text", { x: left + j * cell, y: top - 8 }, w.slice(5))); });
    authors.forEach((a, i) => {
      root.append(svg("text", { x: 0, y: top + i * cell + 12 }, a.length > 24 ? a.slice(0, 23) + "…" : a));
      cols.forEach((w, j) => {
        const n = counts.get(a + "\n" + w) || 0;
        const r = svg("rect", { class: "cell", x: left + j * cell, y: top + i * cell, width: cell - 2, height: cell - 2, rx: 2,
          fill: n ? "rgba(31,111,235," + (0.2 + 0.8 * n / max).toFixed(2) + ")" : "#eef1f4", "data-count": n });
        r.append(svg("title", {}, a + ", week of " + w + ": " + count(n, "session")));
        root.append(r);
      });
      root.append(svg("text", { x: left + cols.length * cell + 6, y: top + i * cell + 12 }, String(totals.get(a))));
    });
    $("chart").append(root);
  }

  refresh();
  // every session's words, built in slices while the page is idle, so that the first search is quick
  let warm = 0;
  setTimeout(function warmUp() {
    const end = Math.min(sessions.length, warm + 500);
    for (; warm < end; warm++) sessionWords(sessions[warm]);
    if (warm < sessions.length) setTimeout(warmUp, 0);
  }, 0);
})();
