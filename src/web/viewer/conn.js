// The WebSocket to the followed file (or merged view): connecting, the meta events, the
// position to resume from, and reconnecting with back-off (or saying why it cannot; a
// compressed file is not followed at all). Lines reach the viewer only once the server
// confirmed their position, through the handlers given to `startConn`.

import { socketUrl, mergeSocketUrl, hrefFor, fetchStatus, refusalReason, probeList } from "../api.js";
import { el } from "../dom.js";

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];

const conn = {
  ws: null,
  gen: 0,
  /** What is followed: `{url(query), check()}` (see fileTarget and mergeTarget). */
  target: null,
  /** Extra query parameters of the socket (e.g. `lines`). */
  params: {},
  handlers: null,
  pos: null,
  staged: [],
  opened: false,
  stopped: true,
  attempt: 0,
  timer: 0,
  ticker: 0,
  retryAt: 0,
  reason: "",
  /** The server said no line will ever follow (a compressed file): no reconnecting. */
  settled: false,
};

/** One file: its page URL tells why an upgrade was refused. */
export function fileTarget(path) {
  return {
    url: (q) => socketUrl(path, q),
    check: () => fetch(hrefFor(path), { cache: "no-store" }),
  };
}

/**
 * A merged view of `paths`: the page at its URL is always served, so the listing of each path
 * tells which one is refused (the first refusal's answer, else the last good one).
 */
export function mergeTarget(paths) {
  return {
    url: (q) => mergeSocketUrl(paths, q),
    async check() {
      let res = null;
      for (const p of paths) {
        res = await probeList(p);
        if (!res.ok) return res;
      }
      return res;
    },
  };
}

/**
 * Follows `target` (fileTarget or mergeTarget). `handlers.lines(items)`: confirmed lines
 * `{kind: "line", html, t}`; `handlers.event(msg)`: every meta event (`{event, pos, offset,
 * number?}`, or `{event, pos, files | file}` of a merged view), after the lines it confirms;
 * `handlers.opened()`: the socket is open. `waitMissing`: a file that does not exist (404) is
 * waited for, like `tail -F`, instead of closing.
 */
export function startConn(target, params, handlers, { waitMissing = false } = {}) {
  stopConn();
  Object.assign(conn, { target, params, handlers, waitMissing, pos: null, staged: [], stopped: false, attempt: 0, settled: false, reason: "" });
  connect();
}

export function stopConn() {
  conn.stopped = true;
  conn.gen++;
  clearTimeout(conn.timer);
  clearInterval(conn.ticker);
  if (conn.ws) conn.ws.close(1000, "page left");
  conn.ws = null;
}

/**
 * The status line: `text` shown (in a fixed-width area, cut with an ellipsis, whole in its
 * tooltip), and `said` told to assistive tech only when it changes (a countdown's ticks are
 * not told). The retry button shows while reconnecting or closed.
 */
export function setStatus(state, text, said = text) {
  el.status.dataset.state = state;
  el.status.textContent = text;
  el.status.title = state === "reconnecting" ? `${text}: click to reconnect now` : text;
  // Also during a new attempt of a reconnect: the button neither flickers nor loses the focus.
  const retry = state === "reconnecting" || state === "closed" || (state === "connecting" && conn.reason !== "");
  if (!retry && document.activeElement === el.retry) el.log.focus();
  el.retry.hidden = !retry;
  el.retry.textContent = state === "closed" ? "Try again" : "Retry now";
  if (el.statusSay.textContent !== said) el.statusSay.textContent = said;
}

function connect() {
  clearTimeout(conn.timer);
  clearInterval(conn.ticker);
  const gen = ++conn.gen;
  const q = { format: "html", tail: "1", meta: "1", ...conn.params };
  if (conn.pos) q.resume = conn.pos;
  let ws;
  try {
    ws = new WebSocket(conn.target.url(q));
  } catch (err) {
    return closed(`cannot connect (${err.message})`);
  }
  ws.binaryType = "arraybuffer";
  conn.ws = ws;
  conn.opened = false;
  // A new attempt while reconnecting is not news: what is told stays the reason.
  setStatus("connecting", conn.pos ? "reconnecting…" : "connecting…", conn.reason ? `reconnecting (${conn.reason})` : undefined);
  ws.onopen = () => {
    if (gen !== conn.gen) return;
    conn.opened = true;
    conn.attempt = 0;
    conn.reason = "";
    conn.waitMissing = false;
    conn.handlers.opened?.();
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
  for (const html of parts) conn.staged.push({ kind: "line", html, t });
}

const decoder = new TextDecoder();

/** A binary frame: `{"event": NAME, "pos": TOKEN, "offset": BYTES}`. */
function onMeta(data) {
  let msg;
  try {
    msg = JSON.parse(decoder.decode(data));
  } catch {
    return;
  }
  if (msg.event === "pos" && conn.staged.length) {
    const items = conn.staged;
    conn.staged = [];
    conn.handlers.lines(items);
  }
  if (msg.event === "live") setStatus("live", "live");
  if (msg.event === "compressed") {
    // A .gz file is read whole and never grows: nothing to follow or to reconnect for.
    conn.settled = true;
    setStatus("compressed", "not followed (compressed)");
    el.status.title = "A compressed file is shown as it is; new lines are not followed";
  }
  // A position is only taken while no lines are unconfirmed: resuming from it then
  // neither repeats nor skips a line.
  if (typeof msg.pos === "string" && conn.staged.length === 0) conn.pos = msg.pos;
  conn.handlers.event(msg);
}

function onClose(e, gen) {
  // Lines without their position are dropped: a resume sends them again.
  conn.staged = [];
  conn.ws = null;
  if (conn.stopped || conn.settled) return;
  if (!conn.opened) return whyRefused(gen);
  if (e.code === 1000) return closed(e.reason || "end of file");
  if (e.code === 1008) return closed(e.reason || "file is no longer allowed");
  const why = e.reason || (e.code === 1006 ? "connection lost" : `code ${e.code}`);
  reconnectLater(why);
}

/** The upgrade failed before opening; the target's check tells the HTTP status the socket hid. */
async function whyRefused(gen) {
  let res;
  try {
    res = await conn.target.check();
  } catch {
    if (gen === conn.gen && !conn.stopped) reconnectLater("server unreachable");
    return;
  }
  const text = res.ok ? "" : await refusalReason(res);
  if (gen !== conn.gen || conn.stopped) return;
  if (res.ok) return reconnectLater(await busyReason());
  const reason = `${res.status} ${text}`.trim();
  if (res.status === 404 && conn.waitMissing) return reconnectLater(`waiting for the file: ${reason}`);
  // 415: a compressed file this server cannot read as lines; waiting would not change that.
  if (res.status === 403 || res.status === 404 || res.status === 415) return closed(reason);
  reconnectLater(reason);
}

/** The file is fine, so the socket itself was refused: most likely all client places are taken. */
async function busyReason() {
  try {
    const status = await fetchStatus();
    if (status.clients >= status.max_clients) return "503 too many clients, try again later";
  } catch {
    // fall through
  }
  return "connection refused";
}

function closed(reason) {
  clearInterval(conn.ticker);
  setStatus("closed", `closed: ${reason}`);
  el.status.title = `closed: ${reason}: click to try again`;
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
  setStatus("reconnecting", `reconnecting in ${secs}s (${conn.reason})`, `reconnecting (${conn.reason})`);
}

/** Skips the wait when the network or the tab comes back, or on a click on the status. */
export function reconnectNow(evenIfClosed = false) {
  if (conn.stopped) return;
  const state = el.status.dataset.state;
  if (state === "reconnecting" || (evenIfClosed && state === "closed")) connect();
}
