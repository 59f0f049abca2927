// The viewer of one file or of a merged view of several: opening and leaving it, the live
// stream's lines (appended once per frame while the window reaches the live end, else
// counted), following the end, pause, the line cap, `#L<number>` addresses, the toolbar's
// controls (the filter, level, wrap, numbers, time, clock and JSON columns kept in the
// address), clicks and copies inside the lines (fold toggles, JSON lines), the tab's title,
// and the wiring of the whole-file search, the timeline strip and the merged legend.

import { el, show, store, setMode, setWhere, baseName, formatCount } from "../dom.js";
import { hrefFor, rawUrl } from "../api.js";
import { view, DEFAULT_CAP, MIN_CAP, MAX_CAP, END_SLACK } from "./state.js";
import { makeRow, appendRows, emptyLog, dropFirst, setTarget, rowIndexAt, rowAt, selectedRows, relabelTimes, restoreRow } from "./rows.js";
import { toggleFold } from "./entries.js";
import { toggleJson, copyText, setColumns } from "./json.js";
import { applyFilter, filterRow, refilter, setAfterSlice, stopFilter, updateFilterCount } from "./filter.js";
import { startConn, stopConn, reconnectNow, fileTarget, mergeTarget } from "./conn.js";
import { setHooks, resetWindow, openAt, reloadEnd, onScroll, loadBefore, trim, updateEdge } from "./scrollback.js";
import { setupPosition, startPosition, stopPosition, updatePosition } from "./position.js";
import { setupSearch, startSearch, closeSearch, searchShown, relabelResults } from "./search.js";
import { setupTimeline, startTimeline, stopTimeline, setTimelineQuery, markTime, refresh as refreshTimeline } from "./timeline.js";
import { urlOption, setUrlOptions } from "./options.js";
import { parseLevel } from "./levels.js";
import { setupMerged, startMerged, stopMerged, learnFiles, tagRow } from "./merged.js";
import { resetFamily } from "./family.js";
import { setTitle, countArrived, seen } from "./title.js";
import { setupMenu } from "./menu.js";
import { setClock } from "./times.js";

const FILTER_DELAY_MS = 100;
/** Lines shown around the line an address names. */
const CONTEXT = 100;
let filterTimer = 0;

function readCap() {
  const n = parseInt(store.get("cap", String(DEFAULT_CAP)), 10);
  return Number.isFinite(n) ? Math.min(MAX_CAP, Math.max(MIN_CAP, n)) : DEFAULT_CAP;
}

/** The line number in the address (`#L123`), or null. */
function hashLine() {
  const m = /^#L(\d+)$/.exec(location.hash);
  return m && Number(m[1]) >= 1 ? Number(m[1]) : null;
}

/**
 * Shows `info` (`{path, parent}`) and starts following it. `waitMissing`: the file does not
 * exist yet; it is waited for.
 */
export function openViewer(info, { waitMissing = false } = {}) {
  setMode("viewer");
  setWhere(info.path, hrefFor(info.parent));
  setTitle(`${baseName(info.path)} — logview`, { fresh: true });
  el.download.href = rawUrl(info.path);
  el.log.classList.toggle("numbers", el.numbers.checked);
  begin(info.path);
  const target = hashLine();
  if (target !== null) goToLine(target);
  closeSearch();
  startConn(fileTarget(info.path), streamParams(), { lines: onLines, event: onEvent, opened: onOpened }, { waitMissing });
  startPosition();
  startTimeline();
}

/** Shows the merged view of `paths` (files or directories) and starts following it. */
export function openMerged(paths) {
  setMode("viewer");
  setTitle("merged view — logview", { fresh: true });
  startMerged(paths);
  // No line numbers in a merged view: the gutter would stay empty.
  el.log.classList.remove("numbers");
  begin(null);
  closeSearch();
  startConn(mergeTarget(paths), streamParams(), { lines: onLines, event: onEvent, opened: onOpened });
}

/** The view emptied for `path` (null: a merged view). */
function begin(path) {
  resetWindow();
  resetFamily();
  Object.assign(view, {
    path, merged: path === null, damaged: null, queue: [], paused: false, waiting: 0, follow: true,
    attached: true, dropped: 0, liveOffset: null, liveNumber: null, inHistory: false, tailNext: null,
    tailMember: null, holding: null, size: 0, total: null, indexed: false,
  });
  emptyLog();
  setPaused(false);
  setFollow(true);
  updateDropped();
  readUrlOptions();
  applyFilter();
}

/** The filter and level the address names (a reload, a shared link) go into the toolbar. */
function readUrlOptions() {
  const filter = urlOption("filter");
  if (filter !== null) el.filter.value = filter;
  const level = urlOption("level");
  if (level !== null) el.level.value = parseLevel(level) ?? "";
  view.level = parseLevel(el.level.value);
  setUrlOptions({ filter: el.filter.value, level: view.level });
}

/** The level selector: lines below it hide; the search and the timeline narrow to it. */
function setLevel(value) {
  view.level = parseLevel(value);
  setUrlOptions({ level: view.level });
  refilter();
  refreshTimeline();
  if (searchShown()) startSearch(el.filter.value);
}

/** The stream's parameters from the address (`lines=N`). */
function streamParams() {
  const params = {};
  const lines = new URLSearchParams(location.search).get("lines");
  if (lines && /^\d+$/.test(lines)) params.lines = lines;
  return params;
}

export function stopViewer() {
  stopConn();
  stopPosition();
  stopTimeline();
  closeSearch();
  resetWindow();
  cancelAnimationFrame(view.raf);
  view.raf = 0;
  clearTimeout(filterTimer);
  stopFilter();
  stopMerged();
  view.merged = false;
}

/** Opens the window at line `n`, with context, marks it and puts it in the middle. */
export async function goToLine(n) {
  view.attached = false;
  setFollow(false);
  const shown = await openAt({ line: Math.max(1, n - CONTEXT) }, { lines: 3 * CONTEXT, target: n });
  // Refused (past the end, say) with nothing shown yet: the live end instead, under the banner.
  if (!shown && view.rows.length === 0 && view.path) reloadEnd({ keepError: true });
  return shown;
}

/** A missing file being waited for appeared: the banner about it goes. */
let onOpenedOnce = null;
function onOpened() {
  if (onOpenedOnce) onOpenedOnce();
  onOpenedOnce = null;
}

export function whenOpened(fn) {
  onOpenedOnce = fn;
}

/** Confirmed lines from the stream; the first starts at the stream's last position. */
function onLines(items) {
  if (!view.inHistory) countArrived(items);
  if (view.liveOffset !== null) items[0].offset = view.liveOffset;
  if (view.liveNumber !== null) for (const item of items) item.number = view.liveNumber++;
  if (view.attached) for (const item of items) enqueue(item);
  else if (view.holding) view.holding.push(...items);
  else if (!view.inHistory) countUnseen(items.length);
}

const MARKERS = {
  gap: "file changed while disconnected; some lines may be missing",
  rotated: "file rotated: following the new file from its start",
  truncated: "file truncated: reading again from the start",
  eof: "input ended: no more lines will arrive",
  added: "new file in the directory: following it from its start",
};

/** The marker line an event shows, naming the member of a merged view it is about. */
function markerText(msg) {
  if (msg.event === "gap" && view.merged) return "files changed while disconnected; some lines may be missing";
  const text = MARKERS[msg.event];
  return text && typeof msg.file?.name === "string" ? `${msg.file.name}: ${text}` : text;
}

function onEvent(msg) {
  if (typeof msg.offset === "number") {
    view.liveOffset = msg.offset;
    view.size = Math.max(view.size, msg.offset);
  }
  if (view.merged) learnFiles(msg);
  switch (msg.event) {
    case "history":
      view.inHistory = true;
      view.liveNumber = typeof msg.number === "number" ? msg.number : null;
      break;
    case "live":
      view.inHistory = false;
      showDamaged();
      break;
    case "rotated":
    case "truncated":
      if (view.merged) break;
      // The members were renamed (or the file started again): their order is asked anew.
      resetFamily();
      view.liveNumber = 1;
      view.size = msg.offset ?? 0;
      break;
    case "gap":
      view.liveNumber = null;
      break;
    case "damaged":
      // Told after the history's lines, which may still wait for their position: shown at `live`.
      view.damaged = typeof msg.reason === "string" && msg.reason ? msg.reason : "unknown reason";
      if (!view.inHistory) showDamaged();
      break;
    default:
      break;
  }
  const text = markerText(msg);
  if (text && view.attached) enqueue({ kind: "marker", type: msg.event, text, t: Date.now(), file: msg.file?.path ?? null });
}

/** The marker at the end of a damaged compressed file's history (its reason as text). */
function showDamaged() {
  if (view.damaged === null) return;
  const text = `file is damaged: ${view.damaged}; the lines above are what could be read`;
  view.damaged = null;
  if (view.attached) enqueue({ kind: "marker", type: "damaged", text, t: Date.now(), file: null });
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

/**
 * Once per frame: adds every queued line in one DOM insertion. Following, the oldest rows
 * make room; away from the end, the rows far from the view do.
 */
function flush() {
  view.raf = 0;
  if (view.paused || view.queue.length === 0) return;
  if (view.queue.length > view.cap) trimQueue(view.queue.length - view.cap);
  const items = view.queue;
  view.queue = [];
  const added = items.map(rowOf);
  if (view.matcher) for (const row of added) if (row.line) filterRow(row);
  if (view.follow) {
    view.dropped += dropFirst(view.rows.length + added.length - view.cap);
    appendRows(added);
    scrollToEnd();
  } else {
    appendRows(added);
    countUnseen(added.filter((r) => r.line).length);
    trim();
  }
  updateEdge();
  updateDropped();
  updateFilterCount();
}

/** A queued item's row; in a merged view tagged with its file. */
function rowOf(item) {
  const row = makeRow(item);
  return view.merged ? tagRow(row, item.file ?? null) : row;
}

/** While the reader is away from the end, the jump control counts the new lines. */
function countUnseen(n) {
  view.unseen += n;
  el.jump.dataset.count = view.unseen;
  el.jump.textContent = `↓ Jump to end (${formatCount(view.unseen)} new ${view.unseen === 1 ? "line" : "lines"})`;
}

function updateDropped() {
  show(el.dropped, view.dropped > 0);
  el.dropped.dataset.count = view.dropped;
  const again = view.merged ? "" : "; scroll up to load them again";
  el.dropped.textContent = `${formatCount(view.dropped)} older ${view.dropped === 1 ? "line" : "lines"} dropped (keeping the last ${formatCount(view.cap)}${again})`;
}

function updatePending() {
  show(el.pending, view.paused);
  el.pending.dataset.count = view.waiting;
  el.pending.textContent = `${formatCount(view.waiting)} waiting`;
}

/**
 * Where scrollToEnd last put the view, and how tall the rows were then (null once the view
 * stopped following). Rows laid out after it (blocks sized from an estimate, wrapped lines, a
 * gutter) move the end away without the reader scrolling: a scroll event that finds the rows'
 * height changed and the view at or below that spot is that, not the reader leaving the end.
 */
let pinned = null;

function scrollToEnd() {
  el.log.scrollTop = el.log.scrollHeight;
  pinned = { top: el.log.scrollTop, height: el.log.scrollHeight };
}

/** The end moved away under a following view, the reader did not scroll. */
function endMovedAway() {
  return pinned !== null && el.log.scrollTop >= pinned.top && el.log.scrollHeight !== pinned.height;
}

function setFollow(on) {
  view.follow = on;
  if (!on) pinned = null;
  view.unseen = 0;
  el.jump.dataset.count = 0;
  el.jump.textContent = "↓ Jump to end";
  show(el.jump, !on);
}

/** End: the live end, following; the window is loaded again when it stopped short of it. */
export function jumpToEnd() {
  if (view.attached) {
    setFollow(true);
    scrollToEnd();
  } else {
    reloadEnd();
  }
}

/** Home: the first line of the file (of a merged view: the first line loaded). */
export function jumpToStart() {
  setFollow(false);
  if (view.merged) el.log.scrollTop = 0;
  else openAt({ from: 0 });
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
  resetWindow();
  emptyLog();
  view.dropped = 0;
  view.attached = true;
  view.tailNext = null;
  view.tailMember = null;
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
  if (view.follow) {
    view.dropped += dropFirst(view.rows.length - view.cap);
    scrollToEnd();
  } else {
    trim();
  }
  if (view.queue.length > view.cap) trimQueue(view.queue.length - view.cap);
  updateDropped();
  updateFilterCount();
}

/**
 * A click on an entry's fold toggle folds or unfolds it, one on a JSON line's compact form
 * expands it (unless it ended a selection); one in a line's number gutter puts `#L<number>`
 * into the address and marks the line.
 */
function onLogClick(e) {
  const target = e.target instanceof Element ? e.target : null;
  const fold = target?.closest("button.fold");
  if (fold) return toggleFold(rowAt(fold));
  const json = target?.closest(".json-compact");
  if (json && getSelection().isCollapsed) return toggleJson(rowAt(json));
  if (!el.log.classList.contains("numbers")) return;
  const node = e.target instanceof Element ? e.target.closest(".line") : null;
  if (!node) return;
  const gutter = parseFloat(getComputedStyle(node).paddingLeft) + parseFloat(getComputedStyle(node, "::before").width || "0");
  if (e.clientX - node.getBoundingClientRect().left > gutter) return;
  const i = view.rows.findIndex((r) => r.node === node);
  const n = view.rows[i]?.number;
  // An older member's line has its own number: no address names it.
  if (!n || view.rows[i].member) return;
  history.replaceState(history.state, "", `#L${n}`);
  setTarget(i);
}

function onLogScroll() {
  const atEnd = el.log.scrollHeight - el.log.scrollTop - el.log.clientHeight <= END_SLACK;
  if (view.follow && !atEnd && endMovedAway()) return scrollToEnd();
  const follow = atEnd && view.attached;
  if (follow !== view.follow) setFollow(follow);
  onScroll();
  updatePosition();
}

/** A copy of lines that include a JSON line gives the lines as written (the original JSON). */
function onCopy(e) {
  const rows = selectedRows();
  if (!rows.some((r) => r.json && r.obj)) return;
  e.clipboardData.setData("text/plain", copyText(rows));
  e.preventDefault();
}

/** At the top already, a wheel turn or key press upward still loads older lines. */
function pushUp() {
  if (el.log.scrollTop <= 0 && !view.follow) loadBefore();
  else if (el.log.scrollTop <= 0 && el.log.scrollHeight <= el.log.clientHeight) {
    setFollow(false);
    loadBefore();
  }
}

export function setupViewer() {
  setupMenu();
  view.cap = readCap();
  el.cap.value = view.cap;
  // Each toggle: its class on #log, its key in the address (which wins) and in the storage.
  for (const [box, cls, key, on] of [[el.wrap, "wrap", "wrap", "0"], [el.numbers, "numbers", "numbers", "1"], [el.times, "times", "time", "0"]]) {
    box.checked = (urlOption(key) ?? store.get(cls, on)) === "1";
    el.log.classList.toggle(cls, box.checked);
    box.addEventListener("change", () => {
      el.log.classList.toggle(cls, box.checked);
      store.set(cls, box.checked ? "1" : "0");
      setUrlOptions({ [key]: box.checked ? "1" : "0" });
      if (view.follow) scrollToEnd();
    });
  }
  el.level.addEventListener("change", () => setLevel(el.level.value));
  setupColumns();
  el.clock.value = setClock(urlOption("clock") ?? store.get("clock", "local"), () => {
    relabelTimes();
    relabelResults();
  });
  el.clock.addEventListener("change", () => {
    const clock = setClock(el.clock.value);
    store.set("clock", clock);
    setUrlOptions({ clock: clock === "local" ? null : clock });
  });
  setAfterSlice(() => {
    if (view.follow) scrollToEnd();
  });
  setHooks({
    changed: updatePosition,
    detached() {
      setFollow(false);
      if (view.attached) return;
      // Queued lines lie past the window's end now: counted, and loaded again from there.
      const lines = view.queue.filter((i) => i.kind === "line").length;
      view.queue = [];
      if (lines) countUnseen(lines);
    },
    attached(held, jump) {
      for (const item of held) enqueue(item);
      if (jump) {
        setFollow(true);
        scrollToEnd();
      }
    },
  });
  el.filter.addEventListener("input", () => {
    el.log.classList.remove("context");
    clearTimeout(filterTimer);
    filterTimer = setTimeout(applyFilter, FILTER_DELAY_MS);
    setUrlOptions({ filter: el.filter.value });
  });
  el.filter.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      clearTimeout(filterTimer);
      applyFilter();
      startSearch(el.filter.value);
    }
  });
  el.pause.addEventListener("click", togglePause);
  el.clear.addEventListener("click", clearView);
  el.jump.addEventListener("click", jumpToEnd);
  el.cap.addEventListener("change", () => setCap(el.cap.value));
  el.status.addEventListener("click", () => reconnectNow(true));
  el.retry.addEventListener("click", () => reconnectNow(true));
  el.log.addEventListener("scroll", onLogScroll, { passive: true });
  el.log.addEventListener("click", onLogClick);
  document.addEventListener("copy", onCopy);
  el.log.addEventListener("wheel", (e) => {
    if (e.deltaY < 0) pushUp();
  }, { passive: true });
  el.log.addEventListener("keydown", (e) => {
    if (e.key === "PageUp" || e.key === "ArrowUp") pushUp();
  });
  new ResizeObserver(() => {
    if (view.follow) scrollToEnd();
  }).observe(el.log);
  window.addEventListener("online", () => reconnectNow());
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) reconnectNow();
    seen();
  });
  window.addEventListener("hashchange", () => {
    const n = hashLine();
    if (n !== null && view.path) goToLine(n);
  });
  setupPosition({ openAt, goToLine, rowIndexAt, jumpToEnd, where: markTime });
  setupSearch({
    openAt(anchor, options) {
      el.log.classList.add("context");
      return openAway(anchor, options);
    },
    searched(query) {
      if (!query) el.log.classList.remove("context");
      setTimelineQuery(query);
    },
  });
  setupTimeline({ openAt: openAway });
  setupMerged({
    changed() {
      updateFilterCount();
      if (view.follow) scrollToEnd();
    },
  });
}

/** The JSON column picker: keys from the address, offered from the keys seen, applied to every JSON row. */
function setupColumns() {
  const offer = (key) => {
    el.columnsField.hidden = false;
    const option = document.createElement("option");
    option.value = key;
    el.jsonKeys.append(option);
  };
  el.columns.value = setColumns(urlOption("cols"), offer).join(", ");
  el.columns.addEventListener("change", () => {
    const keys = setColumns(el.columns.value);
    setUrlOptions({ cols: keys.join(",") });
    for (const row of view.rows) if (row.json && row.obj) restoreRow(row);
    refilter();
  });
}

/** Opens the window somewhere else in the file (it then stops short of the live end). */
function openAway(anchor, options) {
  setFollow(false);
  return openAt(anchor, options);
}
