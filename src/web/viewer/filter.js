// The line filter: text or /regex/, applied to the loaded rows in slices (newest first) and to
// rows as they arrive (entries.js shows or hides each row's whole entry); matches are marked
// inside the text nodes, never by building markup. An invalid /regex/ says why, inline.

import { el, formatCount } from "../dom.js";
import { view } from "./state.js";
import { restoreRow } from "./rows.js";
import { setMatch } from "./entries.js";

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

let job = 0;
/** Called after a slice, so that a following view stays at the end. */
let afterSlice = () => {};

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
    return { matcher: { text: value, test: new RegExp(source, flags), all: new RegExp(source, flags + "g") } };
  } catch (err) {
    return { matcher: null, error: err.message };
  }
}

export function setAfterSlice(fn) {
  afterSlice = fn;
}

/** Applies the filter box's value; an invalid /regex/ says why and keeps the last valid filter. */
export function applyFilter() {
  const { matcher, error } = parseFilter(el.filter.value);
  showInvalid(error ?? null);
  if (error) return;
  view.matcher = matcher;
  el.log.classList.toggle("filtered", !!matcher);
  refilter();
}

/** The reason a /regex/ is invalid, next to the box (as text); null clears it. */
function showInvalid(error) {
  el.filter.classList.toggle("invalid", error !== null);
  el.filter.setAttribute("aria-invalid", error !== null ? "true" : "false");
  el.filter.title = error !== null ? `Invalid regular expression: ${error}` : "";
  const kept = view.matcher ? `; still filtering by ${view.matcher.text}` : "";
  el.filterError.textContent = error !== null ? `invalid regex: ${error}${kept}` : "";
  el.filterError.hidden = error === null;
}

/** Filters every loaded row again (e.g. after rows were replaced). */
export function refilter() {
  clearTimeout(job);
  view.filterPos = view.rows.length;
  filterSlice();
}

export function stopFilter() {
  clearTimeout(job);
}

/**
 * Re-filters the shown rows, newest first, a few milliseconds at a time so that typing and
 * new lines are not held up by a large view. Rows added meanwhile are filtered on arrival.
 */
function filterSlice() {
  job = 0;
  const deadline = performance.now() + 10;
  while (view.filterPos > 0) {
    const row = view.rows[--view.filterPos];
    if (row.line) filterRow(row);
    if (view.filterPos % 64 === 0 && performance.now() > deadline) break;
  }
  updateFilterCount();
  afterSlice();
  if (view.filterPos > 0) job = setTimeout(filterSlice, 0);
}

/** Marks what matched in one line; its entry shows or hides accordingly (entries.js). */
export function filterRow(row) {
  if (row.marked) restoreRow(row);
  const m = view.matcher;
  let match = true;
  if (m) {
    if (row.text === null) row.text = row.node.textContent;
    match = m.test.test(row.text);
    if (match) row.marked = highlight(row.node, m.all);
  }
  setMatch(row, match);
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

export function updateFilterCount() {
  if (!view.matcher && !view.level) {
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
  const what = view.matcher ? "filter" : `level ${view.level}+`;
  el.filterCount.textContent = `${what}: ${formatCount(hits)} of ${formatCount(total)} loaded ${total === 1 ? "line" : "lines"}`;
}
