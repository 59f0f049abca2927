// logview page: the file browser (at `/` and at directory paths) and the live viewer (at a
// file's path). Plain script, no dependencies, loaded under a strict CSP.
//
// Safety rule: log lines arrive as HTML the server has already escaped, and only they are
// ever assigned with innerHTML (one line per element). Everything else (file names, paths,
// error texts, filter matches) goes through textContent or text nodes.
"use strict";

(() => {
  /** The server's URL prefix (`--base-path`), from the meta tag the server fills in. */
  const BASE = (document.querySelector('meta[name="logview-base"]') || {}).content || "";
  const API = BASE + "/_logview/api/list";
  const DEFAULT_CAP = 10000;
  const MIN_CAP = 10;
  const MAX_CAP = 1000000;
  const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
  const FILTER_DELAY_MS = 100;
  /** Rows per block in #log: appending or dropping lines lays out one block, not them all. */
  const CHUNK_ROWS = 200;
  /** Pixels from the bottom that still count as "at the end". */
  const END_SLACK = 8;

  const $ = (id) => document.getElementById(id);
  const el = {
    top: $("top"), home: $("home"), up: $("up"), where: $("where"), error: $("error"),
    browser: $("browser"), files: $("files"), filesFilter: $("files-filter"),
    filesCount: $("files-count"), filesEmpty: $("files-empty"),
    viewer: $("viewer"), status: $("status"), filter: $("filter"), filterCount: $("filter-count"),
    pause: $("pause"), pending: $("pending-count"), wrap: $("wrap"), numbers: $("numbers"),
    times: $("times"), cap: $("cap"), clear: $("clear"), dropped: $("dropped"), log: $("log"),
    jump: $("jump"),
  };

  // ---------------------------------------------------------------- small helpers

  const store = {
    get(key, fallback) {
      try {
        const v = localStorage.getItem("logview." + key);
        return v === null ? fallback : v;
      } catch {
        return fallback;
      }
    },
    set(key, value) {
      try {
        localStorage.setItem("logview." + key, String(value));
      } catch {
        // Storage disabled: settings just do not persist.
      }
    },
  };

  /** Decodes a URL path into a file system path, or null when it is malformed. */
  function decodePath(pathname) {
    if (BASE && (pathname === BASE || pathname.startsWith(BASE + "/"))) {
      pathname = pathname.slice(BASE.length);
    }
    try {
      const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
      return "/" + parts.join("/");
    } catch {
      return null;
    }
  }

  /** The page URL of a file system path (each segment percent-encoded). */
  function hrefFor(path) {
    if (!path) return BASE + "/";
    return BASE + "/" + path.split("/").filter(Boolean).map(encodeURIComponent).join("/");
  }

  function baseName(path) {
    const parts = path.split("/").filter(Boolean);
    return parts.length ? parts[parts.length - 1] : "/";
  }

  const pad = (n, w = 2) => String(n).padStart(w, "0");

  function formatSize(bytes) {
    if (bytes < 1024) return bytes + " B";
    const units = ["KiB", "MiB", "GiB", "TiB"];
    let v = bytes;
    let i = -1;
    do {
      v /= 1024;
      i++;
    } while (v >= 1024 && i < units.length - 1);
    return (v < 10 ? v.toFixed(1) : Math.round(v)) + " " + units[i];
  }

  function formatDate(secs) {
    const d = new Date(secs * 1000);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }

  function formatClock(ms) {
    const d = new Date(ms);
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  }

  const formatCount = (n) => n.toLocaleString("en-US");

  function show(node, visible) {
    node.hidden = !visible;
  }

  /** A refusal from the server: status plus its plain-text reason. */
  class HttpError extends Error {
    constructor(status, text) {
      super(`${status} ${text}`.trim());
      this.status = status;
    }
  }

  async function fetchList(path) {
    const url = path ? `${API}?path=${encodeURIComponent(path)}` : API;
    const res = await fetch(url, { cache: "no-store" });
    if (!res.ok) throw new HttpError(res.status, (await res.text()).trim());
    return res.json();
  }

  // ---------------------------------------------------------------- routing

  let routeGen = 0;
  let mode = null; // "browser" | "viewer" | null

  function navigate(href) {
    if (href === location.pathname + location.search) return;
    history.pushState(null, "", href);
    route();
  }

  /** Shows what the current URL names: the roots, a directory or a file. */
  async function route() {
    const gen = ++routeGen;
    stopViewer();
    showError(null);
    const path = decodePath(location.pathname);
    if (path === null) {
      setMode(null);
      return showError("400 malformed path in the address");
    }
    try {
      if (path === "/") {
        const groups = await rootGroups();
        if (gen === routeGen) showBrowser(null, null, groups);
        return;
      }
      const info = await fetchList(path);
      if (gen !== routeGen) return;
      if (info.type === "file") openViewer(info);
      else showBrowser(info.path, info.parent, [{ heading: null, entries: info.entries, truncated: info.truncated }]);
    } catch (err) {
      if (gen !== routeGen) return;
      setMode(null);
      setWhere(path, null);
      showError(err instanceof HttpError ? err.message : `cannot reach the server (${err.message})`);
    }
  }

  function setMode(m) {
    mode = m;
    show(el.browser, m === "browser");
    show(el.viewer, m === "viewer");
    document.body.dataset.mode = m || "none";
  }

  function setWhere(path, parent) {
    el.where.textContent = path || "All roots";
    show(el.up, path !== null);
    el.up.href = hrefFor(parent);
  }

  function showError(text) {
    el.error.textContent = text || "";
    show(el.error, !!text);
  }

  /** Plain left clicks on in-page links navigate without reloading. */
  function interceptLinks(container) {
    container.addEventListener("click", (e) => {
      const a = e.target.closest("a[href]");
      if (!a || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      navigate(a.getAttribute("href"));
    });
  }

  // ---------------------------------------------------------------- file browser

  const browse = { groups: [], sort: store.get("sort", "name"), desc: store.get("desc", "0") === "1" };

  /** At `/`: the content of every root directory; roots that are files are listed as such. */
  async function rootGroups() {
    const roots = await fetchList(null);
    const files = roots.entries.filter((e) => e.type === "file");
    const dirs = roots.entries.filter((e) => e.type === "dir");
    const groups = await Promise.all(
      dirs.map(async (d) => {
        try {
          const info = await fetchList(d.path);
          return { heading: d.path, entries: info.entries, truncated: info.truncated };
        } catch (err) {
          return { heading: d.path, entries: [], error: err.message };
        }
      }),
    );
    if (files.length) groups.unshift({ heading: "Files", entries: files });
    return groups;
  }

  function showBrowser(path, parent, groups) {
    setMode("browser");
    setWhere(path, parent);
    document.title = path ? `${path} — logview` : "logview";
    browse.groups = groups;
    el.filesFilter.value = "";
    renderFiles();
  }

  function compareEntries(a, b) {
    if (a.type !== b.type) return a.type === "dir" ? -1 : 1;
    let c = 0;
    if (browse.sort === "size") c = a.size - b.size;
    else if (browse.sort === "mtime") c = a.mtime - b.mtime;
    if (c === 0) c = a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: "base" });
    return browse.desc ? -c : c;
  }

  function cell(tag, className, text) {
    const c = document.createElement(tag);
    c.className = className;
    if (text !== undefined) c.textContent = text;
    return c;
  }

  function entryRow(entry) {
    const tr = document.createElement("tr");
    tr.className = "entry " + entry.type;
    tr.dataset.name = entry.name.toLowerCase();
    const name = cell("td", "name");
    const a = document.createElement("a");
    a.href = hrefFor(entry.path);
    a.textContent = entry.type === "dir" ? entry.name + "/" : entry.name;
    a.title = entry.path;
    name.append(a);
    const size = cell("td", "size", entry.type === "dir" ? "" : formatSize(entry.size));
    size.title = entry.type === "dir" ? "" : formatCount(entry.size) + " bytes";
    const mtime = cell("td", "mtime", formatDate(entry.mtime));
    mtime.title = new Date(entry.mtime * 1000).toString();
    tr.append(name, size, mtime);
    return tr;
  }

  function groupRow(text, href) {
    const tr = cell("tr", "group");
    const th = cell("th", "");
    th.colSpan = 3;
    if (href) {
      const a = document.createElement("a");
      a.href = href;
      a.textContent = text;
      th.append(a);
    } else {
      th.textContent = text;
    }
    tr.append(th);
    return tr;
  }

  function noteRow(text) {
    const tr = cell("tr", "note");
    const td = cell("td", "muted", text);
    td.colSpan = 3;
    tr.append(td);
    return tr;
  }

  function renderFiles() {
    for (const body of el.files.querySelectorAll("tbody")) body.remove();
    for (const b of el.files.querySelectorAll("th button")) {
      const on = b.dataset.sort === browse.sort;
      b.parentElement.setAttribute("aria-sort", on ? (browse.desc ? "descending" : "ascending") : "none");
    }
    for (const g of browse.groups) {
      const body = document.createElement("tbody");
      if (g.heading) body.append(groupRow(g.heading, g.heading === "Files" ? null : hrefFor(g.heading)));
      for (const e of [...g.entries].sort(compareEntries)) body.append(entryRow(e));
      if (g.error) body.append(noteRow(g.error));
      if (g.truncated) body.append(noteRow("Only the first entries are listed: this directory holds more."));
      el.files.append(body);
    }
    filterFiles();
  }

  function filterFiles() {
    const q = el.filesFilter.value.trim().toLowerCase();
    let shown = 0;
    let total = 0;
    for (const body of el.files.tBodies) {
      let inGroup = 0;
      for (const tr of body.querySelectorAll("tr.entry")) {
        const hit = !q || tr.dataset.name.includes(q);
        tr.hidden = !hit;
        total++;
        if (hit) inGroup++;
      }
      shown += inGroup;
      // A root whose entries are all filtered out is hidden with them.
      body.hidden = !!q && inGroup === 0;
    }
    el.filesCount.textContent = q ? `${shown} of ${total}` : `${total} ${total === 1 ? "entry" : "entries"}`;
    show(el.filesEmpty, shown === 0);
  }

  function setupBrowser() {
    interceptLinks(el.files);
    el.filesFilter.addEventListener("input", filterFiles);
    el.filesFilter.addEventListener("keydown", (e) => {
      if (e.key !== "Enter") return;
      const first = el.files.querySelector("tr.entry:not([hidden]) a");
      if (first) navigate(first.getAttribute("href"));
    });
    for (const b of el.files.querySelectorAll("th button")) {
      b.addEventListener("click", () => {
        if (browse.sort === b.dataset.sort) browse.desc = !browse.desc;
        else [browse.sort, browse.desc] = [b.dataset.sort, b.dataset.sort === "mtime"];
        store.set("sort", browse.sort);
        store.set("desc", browse.desc ? "1" : "0");
        renderFiles();
      });
    }
  }

  // ---------------------------------------------------------------- viewer state

  /**
   * Lines flow: text frame -> `staged` (until the server confirms their position) ->
   * `queue` (waiting for the next animation frame, or held while paused) -> `rows` (in the
   * DOM, at most `cap`, in blocks of CHUNK_ROWS rows; `tail` is the last block).
   */
  const view = {
    path: null,
    staged: [],
    queue: [],
    rows: [],
    tail: null,
    tailRows: 0,
    cap: DEFAULT_CAP,
    paused: false,
    waiting: 0,
    follow: true,
    unseen: 0,
    dropped: 0,
    seq: 0,
    matcher: null,
    /** Rows before this index still wait for the current filter (applied in slices). */
    filterPos: 0,
    filterJob: 0,
    raf: 0,
    filterTimer: 0,
  };

  /** The WebSocket and its reconnection. */
  const conn = {
    ws: null,
    gen: 0,
    pos: null,
    opened: false,
    stopped: true,
    attempt: 0,
    timer: 0,
    ticker: 0,
    retryAt: 0,
    reason: "",
  };

  function readCap() {
    const n = parseInt(store.get("cap", String(DEFAULT_CAP)), 10);
    return Number.isFinite(n) ? Math.min(MAX_CAP, Math.max(MIN_CAP, n)) : DEFAULT_CAP;
  }

  function openViewer(info) {
    setMode("viewer");
    setWhere(info.path, info.parent);
    document.title = `${baseName(info.path)} — logview`;
    Object.assign(view, {
      path: info.path, staged: [], queue: [], rows: [], paused: false, waiting: 0,
      follow: true, dropped: 0, seq: 0, filterPos: 0,
    });
    emptyLog();
    setPaused(false);
    setFollow(true);
    updateDropped();
    applyFilter();
    Object.assign(conn, { pos: null, stopped: false, attempt: 0 });
    connect();
  }

  function stopViewer() {
    conn.stopped = true;
    conn.gen++;
    clearTimeout(conn.timer);
    clearInterval(conn.ticker);
    if (conn.ws) conn.ws.close(1000, "page left");
    conn.ws = null;
    cancelAnimationFrame(view.raf);
    view.raf = 0;
    clearTimeout(view.filterTimer);
    clearTimeout(view.filterJob);
  }

  // ---------------------------------------------------------------- connection

  function socketUrl() {
    const q = new URLSearchParams({ format: "html", tail: "1", meta: "1" });
    const lines = new URLSearchParams(location.search).get("lines");
    if (lines && /^\d+$/.test(lines)) q.set("lines", lines);
    if (conn.pos) q.set("resume", conn.pos);
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    return `${proto}//${location.host}${hrefFor(view.path)}?${q}`;
  }

  function setStatus(state, text) {
    el.status.dataset.state = state;
    el.status.textContent = text;
    el.status.title = state === "reconnecting" ? "Click to reconnect now" : "";
  }

  function connect() {
    clearTimeout(conn.timer);
    clearInterval(conn.ticker);
    const gen = ++conn.gen;
    let ws;
    try {
      ws = new WebSocket(socketUrl());
    } catch (err) {
      return closed(`cannot connect (${err.message})`);
    }
    ws.binaryType = "arraybuffer";
    conn.ws = ws;
    conn.opened = false;
    setStatus("connecting", conn.pos ? "reconnecting…" : "connecting…");
    ws.onopen = () => {
      if (gen !== conn.gen) return;
      conn.opened = true;
      conn.attempt = 0;
      setStatus("loading", "loading…");
    };
    ws.onmessage = (e) => {
      if (gen !== conn.gen) return;
      if (typeof e.data === "string") onLines(e.data);
      else onMeta(e.data);
    };
    ws.onclose = (e) => {
      if (gen !== conn.gen) return;
      onClose(e, gen);
    };
  }

  /** A text frame: complete lines of server-escaped HTML, each ending with `\n`. */
  function onLines(text) {
    const parts = text.split("\n");
    if (parts[parts.length - 1] === "") parts.pop();
    const t = Date.now();
    for (const html of parts) view.staged.push({ kind: "line", html, t });
  }

  const decoder = new TextDecoder();

  /** A binary frame: `{"event": NAME, "pos": TOKEN}`. */
  function onMeta(data) {
    let msg;
    try {
      msg = JSON.parse(decoder.decode(data));
    } catch {
      return;
    }
    switch (msg.event) {
      case "pos":
        commitStaged();
        break;
      case "live":
        setStatus("live", "live");
        break;
      case "gap":
        enqueue(marker("gap", "file changed while disconnected; some lines may be missing"));
        break;
      case "rotated":
        enqueue(marker("rotated", "file rotated: following the new file from its start"));
        break;
      case "truncated":
        enqueue(marker("truncated", "file truncated: reading again from the start"));
        break;
      default:
        break; // "resumed" and future events only move the position.
    }
    // A position is only taken while no lines are unconfirmed: resuming from it then
    // neither repeats nor skips a line.
    if (typeof msg.pos === "string" && view.staged.length === 0) conn.pos = msg.pos;
  }

  function commitStaged() {
    for (const item of view.staged) {
      item.n = ++view.seq;
      enqueue(item);
    }
    view.staged = [];
  }

  function marker(type, text) {
    return { kind: "marker", type, text, t: Date.now() };
  }

  function onClose(e, gen) {
    // Lines without their position are dropped: a resume sends them again.
    view.staged = [];
    conn.ws = null;
    if (conn.stopped) return;
    if (!conn.opened) return whyRefused(gen);
    if (e.code === 1000) return closed(e.reason || "end of file");
    if (e.code === 1008) return closed(e.reason || "file is no longer allowed");
    const why = e.reason || (e.code === 1006 ? "connection lost" : `code ${e.code}`);
    reconnectLater(why);
  }

  /** The upgrade failed before opening; the page URL tells the HTTP status the socket hid. */
  async function whyRefused(gen) {
    let res;
    try {
      res = await fetch(hrefFor(view.path), { cache: "no-store" });
    } catch {
      if (gen === conn.gen && !conn.stopped) reconnectLater("server unreachable");
      return;
    }
    const text = res.ok ? "" : (await res.text().catch(() => "")).trim();
    if (gen !== conn.gen || conn.stopped) return;
    if (res.ok) return reconnectLater(await busyReason());
    const reason = `${res.status} ${text}`.trim();
    if (res.status === 403 || res.status === 404) return closed(reason);
    reconnectLater(reason);
  }

  /** The file is fine, so the socket itself was refused: most likely all client places are taken. */
  async function busyReason() {
    try {
      const status = await (await fetch(BASE + "/_logview/api/status", { cache: "no-store" })).json();
      if (status.clients >= status.max_clients) return "503 too many clients, try again later";
    } catch {
      // fall through
    }
    return "connection refused";
  }

  function closed(reason) {
    clearInterval(conn.ticker);
    setStatus("closed", `closed: ${reason}`);
    el.status.title = "Click to try again";
  }

  function reconnectLater(reason) {
    const delay = BACKOFF_MS[Math.min(conn.attempt, BACKOFF_MS.length - 1)];
    conn.attempt++;
    conn.retryAt = Date.now() + delay;
    conn.reason = reason;
    conn.timer = setTimeout(connect, delay);
    clearInterval(conn.ticker);
    conn.ticker = setInterval(showCountdown, 250);
    showCountdown();
  }

  function showCountdown() {
    const secs = Math.max(0, Math.ceil((conn.retryAt - Date.now()) / 1000));
    setStatus("reconnecting", `reconnecting in ${secs}s (${conn.reason})`);
  }

  /** Skips the wait when the network or the tab comes back, or on a click on the status. */
  function reconnectNow(evenIfClosed = false) {
    if (mode !== "viewer" || conn.stopped) return;
    const state = el.status.dataset.state;
    if (state === "reconnecting" || (evenIfClosed && state === "closed")) connect();
  }

  // ---------------------------------------------------------------- rendering

  function enqueue(item) {
    view.queue.push(item);
    if (item.kind === "line" && view.paused) view.waiting++;
    // Frames may not run (paused, hidden tab): never hold much more than the cap.
    if (view.queue.length > 2 * view.cap) trimQueue(view.queue.length - view.cap);
    if (view.paused) updatePending();
    else scheduleFlush();
  }

  function trimQueue(n) {
    const cut = view.queue.splice(0, n);
    view.dropped += cut.filter((i) => i.kind === "line").length;
    updateDropped();
  }

  function scheduleFlush() {
    if (!view.raf && !view.paused) view.raf = requestAnimationFrame(flush);
  }

  /** Once per frame: adds every queued line in one DOM insertion, then applies the cap. */
  function flush() {
    view.raf = 0;
    if (view.paused || view.queue.length === 0) return;
    if (view.queue.length > view.cap) trimQueue(view.queue.length - view.cap);
    const items = view.queue;
    view.queue = [];
    const added = items.map(makeRow);
    dropRows(view.rows.length + added.length - view.cap);
    appendRows(added);
    for (const row of added) view.rows.push(row);
    updateDropped();
    updateFilterCount();
    if (view.follow) scrollToEnd();
    else countUnseen(added);
  }

  /** While the user looks at older lines, the jump control counts the new ones. */
  function countUnseen(rows) {
    for (const row of rows) if (row.line) view.unseen++;
    el.jump.textContent = `↓ Jump to end (${formatCount(view.unseen)} new)`;
  }

  function makeRow(item) {
    const node = document.createElement("div");
    if (item.kind === "marker") {
      node.className = "marker " + item.type;
      node.textContent = `${formatClock(item.t)}  ${item.text}`;
      return { node, line: false };
    }
    node.className = "line";
    node.innerHTML = item.html; // server-escaped HTML of exactly one line
    node.dataset.n = item.n;
    node.dataset.t = formatClock(item.t);
    const row = { node, line: true, html: item.html, text: null, hit: true, marked: false };
    if (view.matcher) filterRow(row);
    return row;
  }

  /** Adds rows at the end: what fits into the last block, then new blocks, one insertion each. */
  function appendRows(rows) {
    let i = 0;
    if (view.tail && view.tailRows < CHUNK_ROWS) {
      const frag = document.createDocumentFragment();
      for (; i < rows.length && view.tailRows < CHUNK_ROWS; i++, view.tailRows++) frag.appendChild(rows[i].node);
      view.tail.appendChild(frag);
    }
    if (i === rows.length) return;
    const frag = document.createDocumentFragment();
    for (; i < rows.length; i++) {
      if (!view.tail || view.tailRows === CHUNK_ROWS) {
        view.tail = document.createElement("div");
        view.tail.className = "chunk";
        view.tailRows = 0;
        frag.appendChild(view.tail);
      }
      view.tail.appendChild(rows[i].node);
      view.tailRows++;
    }
    el.log.appendChild(frag);
  }

  function emptyLog() {
    el.log.replaceChildren();
    view.tail = null;
    view.tailRows = 0;
    view.filterPos = 0;
  }

  /** Removes the `n` oldest rows, counting the lines among them as dropped. */
  function dropRows(n) {
    if (n <= 0) return;
    const rows = view.rows;
    n = Math.min(n, rows.length);
    if (n === 0) return;
    let lines = 0;
    for (let i = 0; i < n; i++) if (rows[i].line) lines++;
    view.filterPos = Math.max(0, view.filterPos - n);
    if (n === rows.length) {
      emptyLog();
    } else {
      const range = document.createRange();
      range.setStartBefore(rows[0].node);
      range.setEndAfter(rows[n - 1].node);
      range.deleteContents();
      // Blocks the range emptied stay behind; the last one is never among them.
      while (!el.log.firstElementChild.firstChild) el.log.firstElementChild.remove();
    }
    rows.splice(0, n);
    view.dropped += lines;
  }

  function updateDropped() {
    show(el.dropped, view.dropped > 0);
    el.dropped.dataset.count = view.dropped;
    el.dropped.textContent = `${formatCount(view.dropped)} older ${view.dropped === 1 ? "line" : "lines"} dropped (keeping the last ${formatCount(view.cap)})`;
  }

  function updatePending() {
    show(el.pending, view.paused);
    el.pending.dataset.count = view.waiting;
    el.pending.textContent = `${formatCount(view.waiting)} waiting`;
  }

  function scrollToEnd() {
    el.log.scrollTop = el.log.scrollHeight;
  }

  function setFollow(on) {
    view.follow = on;
    view.unseen = 0;
    el.jump.textContent = "↓ Jump to end";
    show(el.jump, !on);
  }

  function jumpToEnd() {
    setFollow(true);
    scrollToEnd();
  }

  function setPaused(on) {
    view.paused = on;
    el.pause.textContent = on ? "Resume" : "Pause";
    el.pause.setAttribute("aria-pressed", String(on));
    el.log.classList.toggle("paused", on);
    if (!on) {
      view.waiting = 0;
      scheduleFlush();
    }
    updatePending();
  }

  function clearView() {
    emptyLog();
    view.rows = [];
    view.dropped = 0;
    updateDropped();
    updateFilterCount();
    jumpToEnd();
  }

  function setCap(value) {
    const n = parseInt(value, 10);
    if (!Number.isFinite(n)) {
      el.cap.value = view.cap;
      return;
    }
    view.cap = Math.min(MAX_CAP, Math.max(MIN_CAP, n));
    el.cap.value = view.cap;
    store.set("cap", view.cap);
    dropRows(view.rows.length - view.cap);
    if (view.queue.length > view.cap) trimQueue(view.queue.length - view.cap);
    updateDropped();
    updateFilterCount();
  }

  // ---------------------------------------------------------------- filter

  const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

  /** `/re/flags` is a regular expression, anything else plain text; both ignore case. */
  function parseFilter(value) {
    if (value === "") return { matcher: null };
    const m = /^\/(.+)\/([a-z]*)$/s.exec(value);
    let source = escapeRegExp(value);
    let flags = "i";
    if (m) {
      source = m[1];
      flags = [...new Set(m[2].replace(/[gy]/g, "") + "i")].join("");
    }
    try {
      return { matcher: { test: new RegExp(source, flags), all: new RegExp(source, flags + "g") } };
    } catch (err) {
      return { matcher: null, error: err.message };
    }
  }

  function applyFilter() {
    clearTimeout(view.filterTimer);
    const { matcher, error } = parseFilter(el.filter.value);
    el.filter.classList.toggle("invalid", !!error);
    el.filter.setAttribute("aria-invalid", error ? "true" : "false");
    el.filter.title = error ? `Invalid regular expression: ${error}` : "";
    view.matcher = matcher;
    el.log.classList.toggle("filtered", !!matcher);
    clearTimeout(view.filterJob);
    view.filterPos = view.rows.length;
    filterSlice();
  }

  /**
   * Re-filters the shown rows, newest first, a few milliseconds at a time so that typing and
   * new lines are not held up by a large view. Rows added meanwhile are filtered on arrival.
   */
  function filterSlice() {
    view.filterJob = 0;
    const deadline = performance.now() + 10;
    while (view.filterPos > 0) {
      const row = view.rows[--view.filterPos];
      if (row.line) filterRow(row);
      if (view.filterPos % 64 === 0 && performance.now() > deadline) break;
    }
    updateFilterCount();
    if (view.follow) scrollToEnd();
    if (view.filterPos > 0) view.filterJob = setTimeout(filterSlice, 0);
  }

  /** Shows or hides one line for the current filter and marks what matched. */
  function filterRow(row) {
    if (row.marked) {
      row.node.innerHTML = row.html; // back to the server's HTML without marks
      row.marked = false;
    }
    const m = view.matcher;
    if (m) {
      if (row.text === null) row.text = row.node.textContent;
      row.hit = m.test.test(row.text);
      if (row.hit) row.marked = highlight(row.node, m.all);
    } else {
      row.hit = true;
    }
    row.node.classList.toggle("miss", !row.hit);
  }

  /** Wraps every match inside the text nodes of `root` in a <mark>; true if any. */
  function highlight(root, re) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    let any = false;
    for (const node of nodes) {
      const text = node.data;
      let frag = null;
      let last = 0;
      re.lastIndex = 0;
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        if (m[0] === "") {
          re.lastIndex++;
          continue;
        }
        frag ??= document.createDocumentFragment();
        if (m.index > last) frag.append(text.slice(last, m.index));
        const mark = document.createElement("mark");
        mark.textContent = m[0];
        frag.append(mark);
        last = m.index + m[0].length;
      }
      if (frag) {
        if (last < text.length) frag.append(text.slice(last));
        node.replaceWith(frag);
        any = true;
      }
    }
    return any;
  }

  function updateFilterCount() {
    if (!view.matcher) {
      el.filterCount.textContent = "";
      return;
    }
    let total = 0;
    let hits = 0;
    for (const r of view.rows) {
      if (!r.line) continue;
      total++;
      if (r.hit) hits++;
    }
    el.filterCount.textContent = `${formatCount(hits)} of ${formatCount(total)}`;
  }

  // ---------------------------------------------------------------- viewer controls

  function setupViewer() {
    view.cap = readCap();
    el.cap.value = view.cap;
    for (const [box, cls] of [[el.wrap, "wrap"], [el.numbers, "numbers"], [el.times, "times"]]) {
      box.checked = store.get(cls, "0") === "1";
      el.log.classList.toggle(cls, box.checked);
      box.addEventListener("change", () => {
        el.log.classList.toggle(cls, box.checked);
        store.set(cls, box.checked ? "1" : "0");
        if (view.follow) scrollToEnd();
      });
    }
    el.filter.addEventListener("input", () => {
      clearTimeout(view.filterTimer);
      view.filterTimer = setTimeout(applyFilter, FILTER_DELAY_MS);
    });
    el.filter.addEventListener("keydown", (e) => {
      if (e.key === "Enter") applyFilter();
    });
    el.pause.addEventListener("click", () => setPaused(!view.paused));
    el.clear.addEventListener("click", clearView);
    el.jump.addEventListener("click", jumpToEnd);
    el.cap.addEventListener("change", () => setCap(el.cap.value));
    el.status.addEventListener("click", () => reconnectNow(true));
    el.log.addEventListener("scroll", () => {
      const atEnd = el.log.scrollHeight - el.log.scrollTop - el.log.clientHeight <= END_SLACK;
      if (atEnd !== view.follow) setFollow(atEnd);
    }, { passive: true });
    new ResizeObserver(() => {
      if (view.follow) scrollToEnd();
    }).observe(el.log);
    window.addEventListener("online", () => reconnectNow());
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) reconnectNow();
    });
  }

  // ---------------------------------------------------------------- keyboard

  function onKey(e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    const target = e.target instanceof Element ? e.target : document.body;
    const typing = target.closest("input, textarea, select, [contenteditable]");
    if (e.key === "/" && !typing) {
      const box = mode === "viewer" ? el.filter : mode === "browser" ? el.filesFilter : null;
      if (box) {
        e.preventDefault();
        box.focus();
        box.select();
      }
      return;
    }
    if (mode !== "viewer") return;
    if (e.key === " " && !target.closest("input, textarea, select, button, a, label, [contenteditable]")) {
      e.preventDefault();
      setPaused(!view.paused);
    } else if (e.key === "End" && !typing) {
      e.preventDefault();
      jumpToEnd();
    }
  }

  // ---------------------------------------------------------------- start

  setupBrowser();
  setupViewer();
  interceptLinks(el.top);
  document.addEventListener("keydown", onKey);
  window.addEventListener("popstate", route);
  el.home.href = hrefFor(null);
  route();
})();
