// The viewer of one file: opening and leaving it, feeding confirmed lines into the rows once per
// frame, following the end, pause, the line cap, and the toolbar's controls.

import { el, show, store, setMode, setWhere, baseName, formatCount } from "../dom.js";
import { hrefFor } from "../api.js";
import { view, DEFAULT_CAP, MIN_CAP, MAX_CAP, END_SLACK } from "./state.js";
import { makeRow, appendRows, emptyLog, dropFirst } from "./rows.js";
import { applyFilter, filterRow, setAfterSlice, stopFilter, updateFilterCount } from "./filter.js";
import { startConn, stopConn, reconnectNow } from "./conn.js";

const FILTER_DELAY_MS = 100;
let filterTimer = 0;

function readCap() {
  const n = parseInt(store.get("cap", String(DEFAULT_CAP)), 10);
  return Number.isFinite(n) ? Math.min(MAX_CAP, Math.max(MIN_CAP, n)) : DEFAULT_CAP;
}

/** Shows `info` (a file from the listing API) and starts following it. */
export function openViewer(info) {
  setMode("viewer");
  setWhere(info.path, hrefFor(info.parent));
  document.title = `${baseName(info.path)} — logview`;
  Object.assign(view, { path: info.path, queue: [], paused: false, waiting: 0, follow: true, dropped: 0, seq: 0 });
  emptyLog();
  setPaused(false);
  setFollow(true);
  updateDropped();
  applyFilter();
  const params = {};
  const lines = new URLSearchParams(location.search).get("lines");
  if (lines && /^\d+$/.test(lines)) params.lines = lines;
  startConn(info.path, params, { lines: onLines, event: onEvent });
}

export function stopViewer() {
  stopConn();
  cancelAnimationFrame(view.raf);
  view.raf = 0;
  clearTimeout(filterTimer);
  stopFilter();
}

function onLines(items) {
  for (const item of items) {
    item.n = ++view.seq;
    enqueue(item);
  }
}

function onEvent(msg) {
  const text = {
    gap: "file changed while disconnected; some lines may be missing",
    rotated: "file rotated: following the new file from its start",
    truncated: "file truncated: reading again from the start",
  }[msg.event];
  if (text) enqueue({ kind: "marker", type: msg.event, text, t: Date.now() });
}

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
  if (view.matcher) for (const row of added) if (row.line) filterRow(row);
  view.dropped += dropFirst(view.rows.length + added.length - view.cap);
  appendRows(added);
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

export function jumpToEnd() {
  setFollow(true);
  scrollToEnd();
}

export function togglePause() {
  setPaused(!view.paused);
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
  view.dropped += dropFirst(view.rows.length - view.cap);
  if (view.queue.length > view.cap) trimQueue(view.queue.length - view.cap);
  updateDropped();
  updateFilterCount();
}

export function setupViewer() {
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
  setAfterSlice(() => {
    if (view.follow) scrollToEnd();
  });
  el.filter.addEventListener("input", () => {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(applyFilter, FILTER_DELAY_MS);
  });
  el.filter.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      clearTimeout(filterTimer);
      applyFilter();
    }
  });
  el.pause.addEventListener("click", togglePause);
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
