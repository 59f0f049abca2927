// The position bar (where the view is in the file: line of total, the time of the line in
// view, percent of bytes; a click or drag jumps there) and the "go to line or time" form.
// While the rows in view lack their offset or number (stream rows, an index still being
// built), it asks the lines API for them about once a second.

import { el, showError, formatCount, baseName } from "../dom.js";
import { fetchLines } from "../api.js";
import { view } from "./state.js";
import { enrich } from "./scrollback.js";

const TICK_MS = 1000;
let actions = null;
let ticker = 0;
let raf = 0;
let enriching = false;
let dragging = false;

const pad = (n) => String(n).padStart(2, "0");

/** A line's own time as it is written in logs: UTC, to the second. */
function formatStamp(ms) {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

export function startPosition() {
  clearInterval(ticker);
  ticker = setInterval(tick, TICK_MS);
  updatePosition();
}

export function stopPosition() {
  clearInterval(ticker);
  ticker = 0;
}

/** Updates the bar on the next frame (scrolling calls this often). */
export function updatePosition() {
  if (!raf) raf = requestAnimationFrame(render);
}

/**
 * The row in the middle of the view and the nearest known offset in the file at or before it
 * (none in an older member's rows).
 */
function rowInView() {
  const i = actions.rowIndexAt(0.5);
  if (i < 0) return { i, row: null, offset: null };
  let offset = null;
  for (let j = i; j >= 0 && offset === null && !view.rows[j].member; j--) offset = view.rows[j].offset ?? null;
  return { i, row: view.rows[i], offset };
}

function render() {
  raf = 0;
  if (!view.path) return;
  const { i, row, offset } = rowInView();
  const size = Math.max(view.size, view.liveOffset ?? 0);
  const parts = [];
  if (row?.member) parts.push(baseName(row.member));
  if (row?.line) {
    // An older member's line number is its own: the file's total is not its.
    const total = row.member ? 0 : Math.max(view.total ?? 0, view.attached && view.liveNumber ? view.liveNumber - 1 : 0);
    if (row.number !== null) parts.push(`line ${formatCount(row.number)}${total ? ` of ${formatCount(total)}` : ""}`);
    else parts.push("numbering…");
    if (row.time !== null) parts.push(formatStamp(row.time));
  }
  const frac = offset !== null && size > 0 ? Math.min(1, offset / size) : null;
  if (frac !== null) parts.push(`${(frac * 100).toFixed(1)}%`);
  if (!dragging) {
    el.posText.textContent = parts.join(" · ");
    // Unknown: the end, or the start above the file's line 1 (an older member's rows).
    el.posThumb.style.left = `${((frac ?? (row?.member ? 0 : 1)) * 100).toFixed(3)}%`;
  }
  actions.where?.(timeNear(i));
  el.posText.dataset.line = row?.number ?? "";
  el.posText.dataset.numbering = row?.line && row.number === null ? "1" : "";
}

/** The time of row `i`, else of the nearest stamped row before it (a stack trace's line). */
function timeNear(i) {
  for (let j = i; j >= 0 && j > i - 200; j--) if (view.rows[j]?.time != null) return view.rows[j].time;
  return null;
}

/** Fills in what the row in view lacks (offset, number), one request at a time. */
async function tick() {
  updatePosition();
  if (enriching || document.hidden) return;
  const { i, row } = rowInView();
  if (!row?.line || (row.offset !== null && row.number !== null)) return;
  enriching = true;
  try {
    await enrich(i);
  } catch {
    // The next tick tries again.
  } finally {
    enriching = false;
    updatePosition();
  }
}

function fractionAt(e) {
  const box = el.posTrack.getBoundingClientRect();
  return Math.min(1, Math.max(0, (e.clientX - box.left) / box.width));
}

function setupTrack() {
  el.posTrack.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    dragging = true;
    el.posTrack.setPointerCapture(e.pointerId);
    preview(fractionAt(e));
  });
  el.posTrack.addEventListener("pointermove", (e) => {
    if (dragging) preview(fractionAt(e));
  });
  el.posTrack.addEventListener("pointerup", (e) => {
    if (!dragging) return;
    dragging = false;
    const size = Math.max(view.size, view.liveOffset ?? 0);
    const frac = fractionAt(e);
    if (frac >= 0.999) return actions.jumpToEnd();
    actions.openAt({ from: Math.floor(frac * size) }).then(updatePosition);
  });
  el.posTrack.addEventListener("pointercancel", () => {
    dragging = false;
    updatePosition();
  });
}

function preview(frac) {
  el.posThumb.style.left = `${(frac * 100).toFixed(3)}%`;
  el.posText.textContent = `go to ${(frac * 100).toFixed(1)}%`;
}

/** A time as the lines API takes it; `HH:MM[:SS]` takes its date from the lines in view. */
async function timeParam(text) {
  const clock = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!clock) return text; // `YYYY-MM-DD HH:MM[:SS]` or RFC 3339: the server reads them
  const day = await referenceTime();
  if (day === null) throw new Error("no line with a time is loaded: give the date too (YYYY-MM-DD HH:MM)");
  const d = new Date(day);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  return `${date} ${pad(clock[1])}:${clock[2]}:${clock[3] ?? "00"}`;
}

/** The time of a line in view, else of any loaded line, else of the file's last lines. */
async function referenceTime() {
  const { i } = rowInView();
  for (let d = 0; d < view.rows.length; d++) {
    for (const j of [i - d, i + d]) if (view.rows[j]?.time != null) return view.rows[j].time;
    if (i - d < 0 && i + d >= view.rows.length) break;
  }
  const at = view.rows.find((r) => r.offset !== null && !r.member)?.offset;
  const a = await fetchLines(view.path, at != null ? { from: at } : { before: Math.max(view.size, view.liveOffset ?? 0) }, 100);
  return a.lines.find((l) => typeof l.time === "number")?.time ?? null;
}

async function submitGoto(e) {
  e.preventDefault();
  const text = el.gotoInput.value.trim();
  if (!text) return;
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < 1) return;
    history.replaceState(history.state, "", `#L${n}`);
    return actions.goToLine(n);
  }
  let time;
  try {
    time = await timeParam(text);
  } catch (err) {
    return showError(err.message);
  }
  actions.openAt({ time }, { target: "first" });
}

/**
 * `a`: the viewer's moves (`openAt`, `goToLine`, `jumpToEnd`), `rowIndexAt`, and `where(ms)`:
 * told the time of the line in the middle of the view (null: unknown).
 */
export function setupPosition(a) {
  actions = a;
  setupTrack();
  el.goto.addEventListener("submit", submitGoto);
}
