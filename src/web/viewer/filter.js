// The line filter: text or /regex/, applied to the loaded rows in slices (newest first) and to
// rows as they arrive; matches are marked inside the text nodes, never by building markup.

import { el, formatCount } from "../dom.js";
import { view } from "./state.js";

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
    return { matcher: { test: new RegExp(source, flags), all: new RegExp(source, flags + "g") } };
  } catch (err) {
    return { matcher: null, error: err.message };
  }
}

export function setAfterSlice(fn) {
  afterSlice = fn;
}

export function applyFilter() {
  const { matcher, error } = parseFilter(el.filter.value);
  el.filter.classList.toggle("invalid", !!error);
  el.filter.setAttribute("aria-invalid", error ? "true" : "false");
  el.filter.title = error ? `Invalid regular expression: ${error}` : "";
  view.matcher = matcher;
  el.log.classList.toggle("filtered", !!matcher);
  refilter();
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

/** Shows or hides one line for the current filter and marks what matched. */
export function filterRow(row) {
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

export function updateFilterCount() {
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
  el.filterCount.textContent = `filter: ${formatCount(hits)} of ${formatCount(total)} loaded ${total === 1 ? "line" : "lines"}`;
}
