// The only code that touches the DOM's rows: making a row (server-escaped HTML of exactly one
// line per element, markers as text), appending, prepending, dropping at either end, and the
// rows' file positions (byte offset, line number, time) shown in their gutter. Rows live in
// blocks of CHUNK_ROWS so that a change lays out a few blocks, not them all. The first child
// of #log is the edge: where the loaded part of the file begins.

import { el, formatClock, baseName } from "../dom.js";
import { view } from "./state.js";
import { classify } from "./levels.js";
import { linkAppended, linkPrepended, unlink, placeToggle } from "./entries.js";
import { renderJson } from "./json.js";
import { fixColours } from "./colours.js";
import { timeLabel } from "./times.js";

/** Rows per block in #log. */
const CHUNK_ROWS = 200;

/** The last block and how many rows it holds. */
let tail = null;
let tailRows = 0;
const edge = document.createElement("div");
edge.className = "edge";
/** The row of each line's node (for clicks and copies inside #log). */
const rowByNode = new WeakMap();

/** The line row that `node` (or an element inside it) belongs to, or null. */
export function rowAt(node) {
  const line = node instanceof Element ? node.closest("#log .line") : null;
  return line ? rowByNode.get(line) ?? null : null;
}

/**
 * A DOM row for `{kind: "line", html, t, offset?, number?, time?}` or
 * `{kind: "marker", type, text, t?}` (without `t`: no clock before the text); a line's entry
 * marker gives it `level`, `cont`, `json`.
 */
export function makeRow(item) {
  const node = document.createElement("div");
  if (item.kind === "marker") {
    node.className = "marker " + item.type;
    node.textContent = item.t == null ? item.text : `${formatClock(item.t)}  ${item.text}`;
    return { node, line: false, type: item.type };
  }
  node.className = "line";
  node.innerHTML = item.html; // server-escaped HTML of exactly one line
  fixColours(node, item.html);
  const row = {
    node, line: true, html: item.html, text: null, hit: true, match: true, marked: false, entry: null,
    offset: null, number: null, time: item.time ?? null, at: item.t ?? null, stamp: null,
  };
  setOffset(row, item.offset ?? null);
  setNumber(row, item.number ?? null);
  rowByNode.set(node, row);
  classify(row);
  if (row.json) renderJson(row);
  node.dataset.t = rowTime(row);
  return row;
}

/** Puts a line row's content back to the server's HTML (without marks), with its controls. */
export function restoreRow(row) {
  row.node.innerHTML = row.html; // server-escaped HTML of exactly one line
  fixColours(row.node, row.html);
  row.marked = false;
  if (row.json) renderJson(row);
  placeToggle(row);
}

export function setOffset(row, offset) {
  row.offset = offset;
  if (offset !== null) row.node.dataset.offset = offset;
}

/** Marks a row as a line of the older member `path` (its offset and number are that file's). */
export function setMember(row, path) {
  row.member = path;
  row.node.dataset.member = baseName(path);
}

export function setNumber(row, number) {
  row.number = number;
  row.node.dataset.n = number === null ? "" : number;
}

export function setTime(row, time) {
  row.time = time;
  row.at = null;
  row.node.dataset.t = rowTime(row);
}

/** The time column of a line row: its own time (told or read), else `~` and its arrival. */
const rowTime = (row) => timeLabel(row.time ?? row.stamp, row.at);

/** Every line's time column again (the clock changed, or time passed for "ago"). */
export function relabelTimes() {
  for (const row of view.rows) if (row.line) row.node.dataset.t = rowTime(row);
}

/**
 * The shown lines the page's selection covers, whole (from the line it starts in to the one it
 * ends in), or [] when it does not start and end in lines.
 */
export function selectedRows() {
  const sel = getSelection();
  if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return [];
  const range = sel.getRangeAt(0);
  const element = (n) => (n instanceof Element ? n : n.parentElement);
  const first = rowAt(element(range.startContainer));
  let last = rowAt(element(range.endContainer));
  if (!first || !last) return [];
  let i = view.rows.indexOf(first);
  let j = view.rows.indexOf(last);
  // A selection ending at the very start of a line (a triple click) does not take that line.
  if (j > i && range.endOffset === 0 && !range.endContainer.previousSibling) j--;
  return view.rows.slice(i, j + 1).filter((r) => r.line && r.hit && !r.node.classList.contains("folded"));
}

/** The edge line above the rows ("start of file", "older lines: …"); empty hides it. */
export function setEdge(text, state) {
  edge.textContent = text;
  edge.dataset.state = state || "";
  edge.hidden = !text;
}

function newChunk(n) {
  const chunk = document.createElement("div");
  chunk.className = "chunk";
  // Off-screen blocks are estimated from this before they are laid out.
  if (n !== CHUNK_ROWS) chunk.style.setProperty("--rows", n);
  return chunk;
}

/** Adds rows at the end: what fits into the last block, then new blocks, one insertion each. */
export function appendRows(rows) {
  linkAppended(rows, view.rows[view.rows.length - 1] ?? null);
  let i = 0;
  if (tail && tailRows < CHUNK_ROWS) {
    const frag = document.createDocumentFragment();
    for (; i < rows.length && tailRows < CHUNK_ROWS; i++, tailRows++) frag.appendChild(rows[i].node);
    tail.appendChild(frag);
  }
  if (i < rows.length) {
    const frag = document.createDocumentFragment();
    for (; i < rows.length; i++) {
      if (!tail || tailRows === CHUNK_ROWS) {
        tail = newChunk(CHUNK_ROWS);
        tailRows = 0;
        frag.appendChild(tail);
      }
      tail.appendChild(rows[i].node);
      tailRows++;
    }
    el.log.appendChild(frag);
  }
  for (const row of rows) view.rows.push(row);
}

/**
 * Adds rows before the first, in new blocks (full ones next to the old rows), keeping the row
 * the reader looks at where it is on the screen.
 */
export function prependRows(rows) {
  if (rows.length === 0) return;
  if (view.rows.length === 0) return appendRows(rows);
  const keep = anchor();
  const frag = document.createDocumentFragment();
  const first = rows.length % CHUNK_ROWS || CHUNK_ROWS;
  for (let i = 0; i < rows.length; ) {
    const n = i === 0 ? first : CHUNK_ROWS;
    const chunk = newChunk(n);
    for (const row of rows.slice(i, i + n)) chunk.appendChild(row.node);
    frag.appendChild(chunk);
    i += n;
  }
  edge.after(frag);
  linkPrepended(rows, view.rows[0]);
  view.rows.unshift(...rows);
  view.filterPos += rows.length;
  restore(keep);
}

/** The row at the top of the view and its distance from the view's top. */
function anchor() {
  const box = el.log.getBoundingClientRect();
  let node = document.elementFromPoint(box.left + 4, box.top + 4)?.closest("#log .line, #log .marker");
  if (!node || node.classList.contains("miss")) node = view.rows.find((r) => !r.node.classList.contains("miss"))?.node;
  return node ? { node, top: node.getBoundingClientRect().top } : null;
}

function restore(keep) {
  if (!keep || !keep.node.isConnected) return;
  el.log.scrollTop += keep.node.getBoundingClientRect().top - keep.top;
}

/** Index of the row at height `y` of the view (0 top, 1 bottom), or -1 without rows. */
export function rowIndexAt(y) {
  const box = el.log.getBoundingClientRect();
  const node = document.elementFromPoint(box.left + 4, box.top + Math.max(4, Math.min(box.height - 4, box.height * y)))?.closest("#log .line, #log .marker");
  if (!node) return view.rows.length ? (y < 0.5 ? 0 : view.rows.length - 1) : -1;
  // Rows are in order: a binary search on their position in the document.
  const rows = view.rows;
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid].node === node) return mid;
    if (rows[mid].node.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_FOLLOWING) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Scrolls so that row `i` is in the middle of the view. */
export function centerRow(i) {
  const row = view.rows[i];
  if (row) row.node.scrollIntoView({ block: "center" });
}

export function emptyLog() {
  el.log.replaceChildren(edge);
  setEdge("");
  tail = null;
  tailRows = 0;
  view.rows = [];
  view.filterPos = 0;
}

/**
 * Removes the `n` first rows (and a boundary between files they leave at the top, so that the
 * first row is a line to load older ones before); returns how many lines were among them.
 */
export function dropFirst(n, keepView = false) {
  const rows = view.rows;
  n = Math.min(Math.max(n, 0), rows.length);
  if (n === 0) return 0;
  while (n < rows.length && rows[n].type === "boundary") n++;
  let lines = 0;
  for (let i = 0; i < n; i++) {
    if (!rows[i].line) continue;
    lines++;
    unlink(rows[i]);
  }
  view.filterPos = Math.max(0, view.filterPos - n);
  if (n === rows.length) {
    emptyLog();
    return lines;
  }
  const keep = keepView ? anchor() : null;
  const range = document.createRange();
  range.setStartBefore(rows[0].node);
  range.setEndAfter(rows[n - 1].node);
  range.deleteContents();
  // Blocks the range emptied stay behind; the last one is never among them.
  while (!edge.nextElementSibling.firstChild) edge.nextElementSibling.remove();
  rows.splice(0, n);
  restore(keep);
  return lines;
}

/** Removes the rows from index `i` on; returns how many lines were among them. */
export function dropFrom(i) {
  const rows = view.rows;
  if (i <= 0) {
    const lines = rows.filter((r) => r.line).length;
    emptyLog();
    return lines;
  }
  if (i >= rows.length) return 0;
  let lines = 0;
  for (let j = i; j < rows.length; j++) {
    if (!rows[j].line) continue;
    lines++;
    unlink(rows[j]);
  }
  const range = document.createRange();
  range.setStartBefore(rows[i].node);
  range.setEndAfter(rows[rows.length - 1].node);
  range.deleteContents();
  while (!el.log.lastElementChild.firstChild && el.log.lastElementChild !== edge) el.log.lastElementChild.remove();
  tail = el.log.lastElementChild === edge ? null : el.log.lastElementChild;
  tailRows = tail ? tail.childElementCount : 0;
  rows.length = i;
  view.filterPos = Math.min(view.filterPos, i);
  return lines;
}

/**
 * Gives every line of the run of lines around row `i` (up to markers) its number, counted
 * from `number` at row `i`. Returns the number after the run's last line when the run reaches
 * the last row, else null.
 */
export function numberAround(i, number) {
  const rows = view.rows;
  let n = number;
  let j = i;
  for (; j < rows.length && rows[j].line; j++, n++) if (rows[j].number !== n) setNumber(rows[j], n);
  let m = number - 1;
  for (let k = i - 1; k >= 0 && rows[k].line && m >= 1; k--, m--) if (rows[k].number !== m) setNumber(rows[k], m);
  return j === rows.length ? n : null;
}

/** Marks the row the address names (`#L…`) and only it. */
export function setTarget(i) {
  for (const old of el.log.querySelectorAll(".line.target")) old.classList.remove("target");
  if (view.rows[i]) view.rows[i].node.classList.add("target");
}
