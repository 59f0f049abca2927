// A merged view (several files in one stream): its files, named by the server and coloured by
// the order it first named them in, the legend with a toggle per file (the hidden files are
// kept in the address as `hide=PATH`, so they survive reconnects, reloads and bookmarks), the
// header and title, and the tagging of rows by the `<span class="src">NAME: </span>` the
// server starts each line with. Names and paths are only ever set as text.

import { el, show, setWhere, baseName } from "../dom.js";
import { hrefFor } from "../api.js";
import { view } from "./state.js";
import { setTitle } from "./title.js";

/** Colours of the palette (style.css: `[data-c="N"]`); more files than this reuse them. */
const COLOURS = 8;

const merged = {
  /** The paths asked for (files or directories), as in the address. */
  paths: [],
  /** `{path, name, c, entry}` in the order the server named them; `c`: the colour. */
  files: [],
  byName: new Map(),
  /** Paths whose lines are hidden. */
  hidden: new Set(),
};

/** Told after the legend hid or showed lines. */
let onChange = () => {};

export function setupMerged({ changed }) {
  onChange = changed;
  el.legendFiles.addEventListener("change", (e) => {
    const box = e.target.closest("input[type=checkbox]");
    const file = merged.files.find((f) => f.entry?.contains(box));
    if (file) setHidden(file, !box.checked);
  });
}

/** A new merged view of `paths`; the address may name hidden files. */
export function startMerged(paths) {
  merged.paths = paths;
  merged.files = [];
  merged.byName = new Map();
  merged.hidden = new Set(new URLSearchParams(location.search).getAll("hide"));
  el.legendFiles.replaceChildren();
  el.viewer.classList.add("merged");
  show(el.legend, true);
  describe();
}

export function stopMerged() {
  el.viewer.classList.remove("merged");
  show(el.legend, false);
  el.legendFiles.replaceChildren();
  el.where.title = "";
  merged.files = [];
  merged.byName = new Map();
}

/** The files a meta event names: all of them (`history`), or one (`added`, `rotated`, …). */
export function learnFiles(msg) {
  const list = Array.isArray(msg.files) ? msg.files : msg.file ? [msg.file] : [];
  if (list.length === 0) return;
  for (const f of list) if (typeof f?.path === "string" && typeof f.name === "string") addFile(f);
  describe();
}

function addFile({ path, name }) {
  let f = merged.files.find((x) => x.path === path);
  if (!f) {
    f = { path, name, c: merged.files.length % COLOURS, entry: null };
    merged.files.push(f);
    f.entry = legendEntry(f);
    el.legendFiles.append(f.entry);
  } else if (f.name !== name) {
    // A file that joined later may have made an old name ambiguous: the server's name wins.
    if (merged.byName.get(f.name) === f) merged.byName.delete(f.name);
    f.name = name;
    f.entry.querySelector(".src").textContent = name;
  }
  merged.byName.set(name, f);
}

function legendEntry(f) {
  const label = document.createElement("label");
  label.className = "src-entry";
  label.dataset.c = f.c;
  label.title = f.path;
  const box = document.createElement("input");
  box.type = "checkbox";
  box.checked = !merged.hidden.has(f.path);
  const tag = document.createElement("span");
  tag.className = "src";
  tag.textContent = f.name;
  label.append(box, tag);
  return label;
}

/** The header, the title and the legend's count: "N files" and the names. */
function describe() {
  const n = merged.files.length;
  const names = n ? merged.files.map((f) => f.name) : merged.paths.map(baseName);
  const count = n ? `${n} ${n === 1 ? "file" : "files"}` : "merged view";
  setWhere(`${count}: ${names.join(", ")}`, hrefFor(commonDir(merged.paths)));
  el.where.title = merged.paths.join("\n");
  setTitle(`${n > 3 ? count : names.join(", ")} — logview`);
  el.legendCount.textContent = count;
}

/** The deepest directory holding every path (`/` when they share none). */
function commonDir(paths) {
  let common = null;
  for (const p of paths) {
    const dir = p.split("/").filter(Boolean).slice(0, -1);
    if (common === null) common = dir;
    let i = 0;
    while (i < common.length && i < dir.length && common[i] === dir[i]) i++;
    common = common.slice(0, i);
  }
  return common && common.length ? "/" + common.join("/") : null;
}

/**
 * Tags a row with its file (`path`, or the name its `.src` span shows): its colour, and hidden
 * while its file is. Rows of unknown files stay as they are.
 */
export function tagRow(row, path = null) {
  let f = null;
  if (path !== null) {
    f = merged.files.find((x) => x.path === path) ?? null;
  } else {
    const span = row.node.firstElementChild;
    if (span?.classList.contains("src")) f = merged.byName.get(span.textContent.replace(/: $/, "")) ?? null;
  }
  if (!f) return row;
  row.src = f.path;
  row.node.dataset.c = f.c;
  if (merged.hidden.has(f.path)) row.node.classList.add("off");
  return row;
}

function setHidden(f, hidden) {
  if (hidden) merged.hidden.add(f.path);
  else merged.hidden.delete(f.path);
  for (const row of view.rows) if (row.src === f.path) row.node.classList.toggle("off", hidden);
  // The rest of the query (the view's other options) stays.
  const q = new URLSearchParams(location.search);
  q.delete("hide");
  for (const p of merged.hidden) q.append("hide", p);
  history.replaceState(history.state, "", `${location.pathname}?${q}${location.hash}`);
  onChange();
}
