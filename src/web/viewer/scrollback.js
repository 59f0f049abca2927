// The loaded window onto the file, beyond what the live stream brought: loading older lines
// when the reader scrolls up (to line 1), newer ones when the window stops short of the live
// end, opening the window anywhere (first line, a line number, a time, a byte offset), going
// back to the live end, and keeping the rows bounded by dropping those far from the view.
// Rows from the stream learn their offsets, numbers and times from the lines API here too.
// Above line 1 of a rotated file the window goes on into its older members, newest first, with
// a boundary marker between two members (family.js); their rows are loaded, dropped and loaded
// again like the file's own, each asked from its own member.
// A merged view has no window (the lines API takes one file): its rows are the stream's only.

import { HttpError } from "../api.js";
import { el, showError, baseName } from "../dom.js";
import { view } from "./state.js";
import {
  makeRow, appendRows, prependRows, dropFirst, dropFrom, emptyLog, setEdge, numberAround,
  setOffset, setNumber, setTime, setMember, centerRow, setTarget,
} from "./rows.js";
import { filterRow, updateFilterCount } from "./filter.js";
import { ask, fileOf, knownOlder, olderOf, lookUpOlder, newerOf, describe, boundaryRow } from "./family.js";

/** Changes when the window is replaced: answers for an older window are ignored. */
let gen = 0;
let busy = false;
/** The banner shows an error of ours (a refused jump), cleared by the next success. */
let ownError = false;

/**
 * How the viewer hears of changes: `changed()`; `detached()`: the view left the end (the window
 * may stop short of it); `attached(heldItems)`: the window reaches the live end again.
 */
const hooks = { changed() {}, detached() {}, attached() {} };

export function setHooks(h) {
  Object.assign(hooks, h);
}

/** Lines per load: a quarter of the cap, so that loading never drops what is in view. */
export function pageSize() {
  return Math.max(20, Math.min(2000, Math.floor(view.cap / 4)));
}

/** Forgets loads under way (a new file, or a new window). */
export function resetWindow() {
  gen++;
  busy = false;
}

function learn(answer) {
  view.size = Math.max(answer.size, view.liveOffset ?? 0);
  if (typeof answer.total === "number") view.total = answer.total;
  view.indexed = !!answer.indexed;
}

/** Rows for the answer's lines that `keep` accepts; `member`: the older member they are of. */
function rowsOf(answer, keep, member = null) {
  const rows = [];
  for (const l of answer.lines) {
    if (!keep(l)) continue;
    const row = makeRow({ kind: "line", html: l.text, offset: l.offset, number: l.number ?? null, time: l.time ?? null });
    if (member) setMember(row, member);
    if (view.matcher) filterRow(row);
    rows.push(row);
  }
  return rows;
}

/**
 * Lines the live stream has not sent yet are left to it (and a last line still being written);
 * while it sends its history, the window does not reach it (afterTail), so none is left.
 */
function beforeLive(answer) {
  const live = view.inHistory ? null : view.liveOffset;
  const last = answer.lines[answer.lines.length - 1];
  return (l) => (live === null || l.offset < live) && !(answer.partial && l === last);
}

/** Numbers the run of lines around row `i` from its own number, if it has one. */
function propagate(i) {
  const row = view.rows[i];
  if (!row?.line || row.number === null) return;
  const next = numberAround(i, row.number);
  if (next !== null && view.attached) view.liveNumber = next;
}

function report(err) {
  if (err instanceof HttpError && err.status === 400) {
    showError(err.reason || err.message);
    ownError = true;
  } else {
    showError(err instanceof HttpError ? err.message : `cannot reach the server (${err.message})`);
    ownError = true;
  }
}

function succeeded() {
  if (ownError) showError(null);
  ownError = false;
}

/**
 * The edge above the first row: more to load (of its file, or an older member), or line 1 of
 * the oldest file. Whether line 1 has an older member is asked when not known yet.
 */
export function updateEdge() {
  if (view.merged) return setEdge("");
  const first = view.rows[0];
  // A boundary stays on top only when its member, the oldest, was empty.
  if (first?.type === "boundary") return setEdge(`start of ${baseName(first.member)}, the oldest file`, "start");
  if (!first || !first.line) return setEdge("");
  const older = first.offset === 0 ? knownOlder(fileOf(first)) : undefined;
  if (first.offset === 0 && older === undefined) lookUpOlder(fileOf(first), updateEdge);
  if (first.offset !== 0) setEdge(busy ? "loading older lines…" : "older lines: scroll up to load", "more");
  else if (older) setEdge(busy ? `loading ${baseName(older)}…` : `older file ${baseName(older)}: scroll up to load`, "more");
  else setEdge(first.member ? `start of ${baseName(first.member)}, the oldest file` : "start of file", "start");
}

/**
 * Gives offsets, numbers and times to the stream's rows around row `i` (the stream tells the
 * offset of the first line of each batch only): counted on from a row before it with an
 * offset, else back from one after it, else back from the end of the rows (where the window
 * stops, or the stream's position). Resolves to false when it could not.
 */
export async function enrich(i) {
  const rows = view.rows;
  let p = i;
  while (p >= 0 && rows[p].line && rows[p].offset === null) p--;
  if (p >= 0 && rows[p].line) return enrichFrom(rows[p], i - p);
  let k = i;
  while (k < rows.length && rows[k].line && rows[k].offset === null) k++;
  if (k < rows.length && rows[k].line) return enrichBefore(rows[k - 1], fileOf(rows[k]), rows[k].offset, k - p - 1);
  const end = k === rows.length ? tailEnd() : null;
  return end !== null && enrichBefore(rows[k - 1], end.file, end.offset, k - p - 1);
}

/** Fills the rows from `from` (which has an offset) on, `n` of them and some more. */
async function enrichFrom(from, n) {
  const g = gen;
  const a = await ask(fileOf(from), { from: from.offset }, Math.min(10000, n + 64));
  if (g !== gen) return false;
  if (!from.member) learn(a);
  let j = view.rows.indexOf(from);
  if (j < 0 || a.lines[0]?.offset !== from.offset) return false;
  for (const l of a.lines) {
    const row = view.rows[j++];
    if (!row?.line || (row.offset !== null && row.offset !== l.offset)) break;
    fill(row, l);
  }
  propagate(view.rows.indexOf(from));
  return true;
}

/** Fills up to `n` rows without an offset back from `last`, the line that ends at `offset` of `file`. */
async function enrichBefore(last, file, offset, n) {
  const g = gen;
  const a = await ask(file, { before: offset }, Math.min(10000, n));
  if (g !== gen) return false;
  if (file === view.path) learn(a);
  let j = view.rows.indexOf(last);
  if (j < 0) return false;
  for (let m = a.lines.length - 1; m >= 0 && j >= 0; m--, j--) {
    const row = view.rows[j];
    if (!row.line || row.offset !== null) break;
    fill(row, a.lines[m]);
  }
  propagate(view.rows.indexOf(last));
  return true;
}

/**
 * Where the line after the last row starts, `{file, offset}`: where the window stops, or
 * while it reaches the live end, the first line still queued or else the stream's position
 * (a `pos` event's offset is the end of its batch). Null when not known.
 */
function tailEnd() {
  if (!view.attached) return view.tailNext === null ? null : { file: view.tailMember ?? view.path, offset: view.tailNext };
  const queued = view.queue[0];
  const offset = queued ? (queued.kind === "line" ? queued.offset ?? null : null) : view.liveOffset;
  return offset === null ? null : { file: view.path, offset };
}

function fill(row, l) {
  if (row.offset === null) setOffset(row, l.offset);
  if (row.number === null && typeof l.number === "number") setNumber(row, l.number);
  if (row.time === null && typeof l.time === "number") setTime(row, l.time);
}

/**
 * Loads the lines before the first row (more of them when the reader is at the very top): of
 * its file, or at its file's line 1 the last ones of the next older member.
 */
export async function loadBefore() {
  if (busy || view.merged || !view.rows.length || !view.rows[0].line) return;
  const g = gen;
  busy = true;
  let added = 0;
  try {
    if (view.rows[0].offset === null && !(await enrich(0))) return;
    if (g !== gen) return;
    const first = view.rows[0];
    if (first.offset === 0 && knownOlder(fileOf(first)) === null) return;
    updateEdge();
    const n = el.log.scrollTop < el.log.clientHeight ? pageSize() : Math.ceil(pageSize() / 2);
    const stale = () => g !== gen || view.rows[0] !== first;
    const rows = first.offset === 0 ? await olderRows(first, n, stale) : await rowsBefore(first, n, stale);
    if (rows === null) return;
    prependRows(rows);
    added = rows.length;
    view.dropped = Math.max(0, view.dropped - added);
    // The last line added (above a boundary, when one was) and the old first row number their runs.
    propagate(rows[rows.length - 1].line ? rows.length - 1 : rows.length - 2);
    propagate(rows.length);
    trimBottom();
    succeeded();
  } catch (err) {
    if (g === gen) report(err);
  } finally {
    if (g === gen) settle(added);
  }
}

/** The lines of the first row's file before it; null once `stale()`. */
async function rowsBefore(first, n, stale) {
  const a = await ask(fileOf(first), { before: first.offset }, n);
  if (stale()) return null;
  if (!first.member) learn(a);
  return rowsOf(a, (l) => l.offset < first.offset, first.member ?? null);
}

/**
 * The last lines of the member older than the first row's file (whose line 1 it is), then the
 * boundary between them; an empty member is its boundary alone, and the lines come from the
 * next older one. Null when there is no older member, or once `stale()`.
 */
async function olderRows(first, n, stale) {
  const boundaries = [];
  let newer = fileOf(first);
  for (;;) {
    const older = await olderOf(newer);
    if (stale()) return null;
    if (older === null) return boundaries.length ? boundaries : null;
    const { size } = await describe(older);
    if (stale()) return null;
    boundaries.unshift(boundaryRow(older, newer));
    if (size > 0) {
      const a = await ask(older, { before: size }, n);
      return stale() ? null : [...rowsOf(a, () => true, older), ...boundaries];
    }
    newer = older;
  }
}

/** After a load at either end: the edges and counts again, and on when lines came (the reader
 *  may still be at an edge, dragging the scroll bar). */
function settle(added) {
  busy = false;
  updateEdge();
  updateFilterCount();
  hooks.changed();
  if (added) requestAnimationFrame(onScroll);
}

/**
 * Loads the lines after the last row while the window stops short of the live end: of the
 * file, or of the older member the window stops in (then past its end, the next newer one).
 */
export async function loadAfter() {
  if (busy || view.merged || view.attached || view.tailNext === null) return;
  const g = gen;
  const from = view.tailNext;
  const member = view.tailMember;
  busy = true;
  let added = 0;
  try {
    const a = await ask(member ?? view.path, { from }, pageSize());
    if (g !== gen || view.tailNext !== from || view.tailMember !== member) return;
    if (!member) learn(a);
    const rows = rowsOf(a, member ? () => true : beforeLive(a), member);
    appendRows(rows);
    added = rows.length;
    propagate(view.rows.length - rows.length);
    propagate(view.rows.length - rows.length - 1);
    if (member) added += afterMemberTail(a, member);
    else afterTail(a, rows);
    dropFirst(view.rows.length - view.cap, true);
    succeeded();
  } catch (err) {
    if (g === gen) report(err);
  } finally {
    if (g === gen) settle(added);
  }
}

/**
 * After rows from an answer were added at the end: where the window stops, or that it is
 * attached (never while the stream sends its history: its lines would come after the rows).
 */
function afterTail(a, rows) {
  // The rows kept are the answer's first lines: the others are left to the stream.
  const next = rows.length < a.lines.length ? a.lines[rows.length].offset : a.next;
  if (view.liveOffset !== null && !view.inHistory && next >= view.liveOffset) {
    view.tailNext = null;
    if (!view.attached) {
      view.attached = true;
      hooks.attached([]);
    }
  } else {
    view.tailNext = next;
    if (view.attached) {
      view.attached = false;
      hooks.detached();
    }
  }
}

/**
 * After rows of the older member `member` were added at the end: where the window stops in
 * it, or once it ended, the boundary and the start of the next newer file. Returns the rows added.
 */
function afterMemberTail(a, member) {
  if (a.next < a.size) {
    view.tailNext = a.next;
    return 0;
  }
  const newer = newerOf(member);
  appendRows([boundaryRow(member, newer)]);
  view.tailMember = newer === view.path ? null : newer;
  view.tailNext = 0;
  return 1;
}

/**
 * Keeps at most `cap` rows by dropping the last ones (the window then stops short of the end,
 * in the file or in an older member).
 */
function trimBottom() {
  const rows = view.rows;
  let c = view.cap;
  if (rows.length <= c) return;
  while (c < rows.length && !(rows[c].line && rows[c].offset !== null)) c++;
  if (c >= rows.length) return;
  view.tailMember = rows[c].member ?? null;
  view.tailNext = rows[c].offset;
  dropFrom(c);
  if (view.attached) {
    view.attached = false;
    hooks.detached();
  }
}

/** Drops rows past the cap on the side away from the reader. */
export function trim() {
  if (view.rows.length <= view.cap) return;
  const { scrollTop, scrollHeight, clientHeight } = el.log;
  // A merged view cannot load its end again: its oldest rows go.
  if (!view.merged && scrollTop + clientHeight / 2 < scrollHeight / 2) trimBottom();
  else dropFirst(view.rows.length - view.cap, true);
}

/** Empties the window for an answer that holds every line before the stream's position. */
function emptyWindow() {
  emptyLog();
  view.queue = [];
  view.tailMember = null;
}

/** Lines loaded above a target opened as the first line; above one inside an entry, more (its first line is within 200). */
const ABOVE_TARGET = 100;
const ABOVE_ENTRY = 300;

/**
 * Replaces the window with the lines at `anchor` (`{from}`, `{line}`, `{time}`); `target`:
 * the line number to mark and put in the middle ("first": the first line of the answer),
 * else the first line goes to the top; `entry`: the offset of the first line of the entry the
 * target belongs to (a stack trace's header), kept in view.
 * Resolves to true once shown; a refusal shows its reason in the banner.
 */
export async function openAt(anchor, { lines = Math.min(pageSize(), 300), target = null, entry = null } = {}) {
  const g = ++gen;
  busy = true;
  try {
    const a = await ask(view.path, anchor, lines);
    if (g !== gen) return false;
    learn(a);
    emptyWindow();
    const rows = rowsOf(a, beforeLive(a));
    appendRows(rows);
    if (rows.length && rows[0].number === null && anchor.line) setNumber(rows[0], anchor.line);
    propagate(0);
    afterTail(a, rows);
    hooks.detached();
    let i = target === null ? -1 : target === "first" ? 0 : view.rows.findIndex((r) => r.number === target);
    if (i === 0 && rows.length && rows[0].offset > 0) {
      // Some lines before the one asked for, so that it can sit in the middle.
      const b = await ask(view.path, { before: rows[0].offset }, entry === null ? ABOVE_TARGET : ABOVE_ENTRY);
      if (g !== gen) return false;
      const older = rowsOf(b, (l) => l.offset < rows[0].offset);
      prependRows(older);
      propagate(older.length);
      propagate(older.length - 1);
      i = older.length;
    }
    setTarget(i);
    if (i >= 0) showTarget(i, entry);
    else el.log.scrollTop = 0;
    succeeded();
    return true;
  } catch (err) {
    if (g === gen) report(err);
    return false;
  } finally {
    if (g === gen) {
      busy = false;
      updateEdge();
      updateFilterCount();
      hooks.changed();
    }
  }
}

/**
 * Puts row `i` in the middle of the view, or lower when the row at offset `entry` above it
 * (its entry's first line) would be above the view: that row then goes to the top.
 */
function showTarget(i, entry) {
  centerRow(i);
  const head = entry === null ? null : view.rows.find((r, j) => j < i && r.line && !r.member && r.offset === entry);
  if (head && head.node.getBoundingClientRect().top < el.log.getBoundingClientRect().top) head.node.scrollIntoView({ block: "start" });
}

/**
 * Back to the live end when the window stopped short of it: the last lines before the
 * stream's position, then what the stream sent meanwhile (held by the viewer). `keepError`:
 * the banner keeps the refusal that led here.
 */
export async function reloadEnd({ keepError = false } = {}) {
  const g = ++gen;
  busy = true;
  view.holding = [];
  const live = view.liveOffset ?? view.size;
  try {
    const a = await ask(view.path, { before: live }, pageSize());
    if (g !== gen) return;
    learn(a);
    emptyWindow();
    appendRows(rowsOf(a, (l) => l.offset < live));
    propagate(view.rows.length - 1);
    view.tailNext = null;
    view.attached = true;
    const held = view.holding;
    view.holding = null;
    hooks.attached(held, true);
    if (!keepError) succeeded();
  } catch (err) {
    if (g === gen) {
      view.holding = null;
      report(err);
    }
  } finally {
    if (g === gen) {
      busy = false;
      updateEdge();
      updateFilterCount();
      hooks.changed();
    }
  }
}

/** Loads more when the reader nears the top, or the bottom of a window short of the end. */
export function onScroll() {
  const log = el.log;
  if (view.follow || view.merged || !view.rows.length) return;
  const margin = 2 * log.clientHeight;
  if (log.scrollTop < margin) loadBefore();
  else if (!view.attached && log.scrollHeight - log.scrollTop - log.clientHeight < margin) loadAfter();
}
