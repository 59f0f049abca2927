// The only code that touches the DOM's rows: making a row (server-escaped HTML of exactly one
// line per element, markers as text), appending, and dropping the oldest. Rows live in blocks
// of CHUNK_ROWS so that a change lays out one block, not them all.

import { el, formatClock } from "../dom.js";
import { view } from "./state.js";

/** Rows per block in #log. */
const CHUNK_ROWS = 200;

/** The last block and how many rows it holds. */
let tail = null;
let tailRows = 0;

/** A DOM row for a queued item: `{kind: "line", html, t, n}` or `{kind: "marker", type, text, t}`. */
export function makeRow(item) {
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
  return { node, line: true, html: item.html, text: null, hit: true, marked: false };
}

/** Adds rows at the end: what fits into the last block, then new blocks, one insertion each. */
export function appendRows(rows) {
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
        tail = document.createElement("div");
        tail.className = "chunk";
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

export function emptyLog() {
  el.log.replaceChildren();
  tail = null;
  tailRows = 0;
  view.rows = [];
  view.filterPos = 0;
}

/** Removes the `n` oldest rows; returns how many lines were among them. */
export function dropFirst(n) {
  const rows = view.rows;
  n = Math.min(Math.max(n, 0), rows.length);
  if (n === 0) return 0;
  let lines = 0;
  for (let i = 0; i < n; i++) if (rows[i].line) lines++;
  view.filterPos = Math.max(0, view.filterPos - n);
  if (n === rows.length) {
    emptyLog();
    return lines;
  }
  const range = document.createRange();
  range.setStartBefore(rows[0].node);
  range.setEndAfter(rows[n - 1].node);
  range.deleteContents();
  // Blocks the range emptied stay behind; the last one is never among them.
  while (!el.log.firstElementChild.firstChild) el.log.firstElementChild.remove();
  rows.splice(0, n);
  return lines;
}
