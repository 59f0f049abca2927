// Entries: a line and the lines that continue it (`data-cont`: a stack trace's), linked as rows
// are added at either end, and whether an entry shows: its level against the level selector
// and, with a filter, a match in any of its lines. Rows only ever show or hide with their
// entry (class `miss`); `row.hit` says whether a row shows, `row.match` whether it matched.
// Each change touches the row added or filtered, and all of an entry's rows only when the
// entry starts or stops showing. Folding: an entry's first line gets a toggle that hides the
// lines continuing it (class `folded`).

import { view } from "./state.js";
import { levelShown } from "./levels.js";

function newEntry(head) {
  return { head, rows: [], hits: 0, shown: null, folded: false };
}

/** Whether entry `e` shows for the level selector and the filter. */
function entryShown(e) {
  return levelShown(e.head.level, view.level) && (!view.matcher || e.hits > 0);
}

function showRow(row, shown) {
  row.hit = shown;
  row.node.classList.toggle("miss", !shown);
}

/** Applies `e`'s state to its rows: all of them when it changed, else to `row` only. */
function update(e, row = null) {
  const shown = entryShown(e);
  if (shown !== e.shown) {
    e.shown = shown;
    for (const r of e.rows) showRow(r, shown);
  } else if (row) {
    showRow(row, shown);
  }
}

function join(e, row) {
  row.entry = e;
  e.rows.push(row);
  if (row.match) e.hits++;
  if (row !== e.head) row.node.classList.toggle("folded", e.folded);
  if (e.rows.length >= 2) placeToggle(e.head);
}

/** Links rows added at the end (`prev`: the row before them, or null) into entries. */
export function linkAppended(rows, prev) {
  for (const row of rows) {
    if (!row.line) {
      prev = row;
      continue;
    }
    const e = row.cont && prev?.line && prev.entry ? prev.entry : newEntry(row);
    join(e, row);
    update(e, row);
    prev = row;
  }
}

/**
 * Links rows added before the first (`next`: the old first row, or null). Continuation lines
 * at the old start, which began an entry of their own, join the entry that now comes before.
 */
export function linkPrepended(rows, next) {
  linkAppended(rows, null);
  const last = rows[rows.length - 1];
  const e = next?.entry;
  if (!last?.line || !e || e.head !== next || !next.cont) return;
  const into = last.entry;
  for (const r of e.rows) join(into, r);
  placeToggle(next);
  into.shown = null;
  update(into);
}

/** Records whether `row` matched the filter, and shows or hides its entry accordingly. */
export function setMatch(row, match) {
  const e = row.entry;
  if (e && row.match !== match) e.hits += match ? 1 : -1;
  row.match = match;
  if (e) update(e, row);
}

/** A row leaves the view: its match no longer counts for its entry. */
export function unlink(row) {
  const e = row.entry;
  if (!e) return;
  if (row.match) e.hits--;
  row.entry = null;
}

/** The fold toggle of `row`'s entry was clicked. */
export function toggleFold(row) {
  if (row?.entry) setFolded(row.entry, !row.entry.folded);
}

/** Folds or unfolds the continuation lines of `e`. */
export function setFolded(e, folded) {
  e.folded = folded;
  for (const r of e.rows) if (r !== e.head) r.node.classList.toggle("folded", folded);
  placeToggle(e.head);
}

/** The entry marker span of a row's node (after a merged view's `.src` tag), or null. */
function markerSpan(node) {
  return node.querySelector(":scope > span[data-level], :scope > span[data-cont], :scope > span[data-json], :scope > span[data-time]");
}

/**
 * (Re)places the fold toggle at the start of `row`'s text when it heads an entry with
 * continuation lines; removes it otherwise. Its label is generated content: never copied.
 */
export function placeToggle(row) {
  const e = row.entry;
  let b = row.node.querySelector(":scope > button.fold");
  if (!e || e.head !== row || e.rows.length < 2) return b?.remove();
  if (!b) {
    b = document.createElement("button");
    b.type = "button";
    b.className = "fold";
    const at = markerSpan(row.node) ?? row.node.querySelector(":scope > .src");
    if (at) at.after(b);
    else row.node.prepend(b);
  }
  const n = e.rows.length - 1;
  b.dataset.n = n;
  b.setAttribute("aria-expanded", String(!e.folded));
  b.title = `${e.folded ? "Show" : "Hide"} the ${n} ${n === 1 ? "line" : "lines"} continuing this entry`;
}
