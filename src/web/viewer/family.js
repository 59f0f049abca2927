// The rotated family above the file's line 1: which member is older than a file (app.log ->
// app.log.1 -> app.log.2.gz …, as the lines API names it in a window that starts at offset 0),
// what a member is (its size, compressed, damaged), which file a row's offset and number refer
// to, and the boundary marker between two members. Rows of an older member carry its path as
// `member`; their offsets and numbers are that member's own, never the shown file's.

import { fetchLines } from "../api.js";
import { baseName } from "../dom.js";
import { view } from "./state.js";
import { makeRow } from "./rows.js";

/** File path -> its next older member's path (null: it has none), once an answer told. */
const olders = new Map();
/** File path -> the question under way about its older member. */
const asking = new Map();
/** Files asked about in the background. */
const lookedUp = new Set();
/** Member path -> {size, compressed, damaged}, as last asked. */
const members = new Map();

/** Forgets the family (a new file, or the file rotated: its members were renamed). */
export function resetFamily() {
  olders.clear();
  asking.clear();
  lookedUp.clear();
  members.clear();
}

/** The file a row's offset and number refer to. */
export function fileOf(row) {
  return row.member ?? view.path;
}

/** A window of `file`'s lines; an answer that starts at offset 0 tells its older member. */
export async function ask(file, anchor, lines) {
  const a = await fetchLines(file, anchor, lines);
  if (a.first === 0) olders.set(file, a.older ?? null);
  return a;
}

/** The next older member of `file` as far as known: a path, null (none), undefined (not asked). */
export function knownOlder(file) {
  return olders.get(file);
}

/** The next older member of `file` (null: none); its first line is asked when not known yet. */
export function olderOf(file) {
  if (olders.has(file)) return Promise.resolve(olders.get(file));
  if (!asking.has(file)) {
    const found = ask(file, { from: 0 }, 1).then(() => olders.get(file) ?? null);
    asking.set(file, found);
    found.finally(() => asking.delete(file)).catch(() => {});
  }
  return asking.get(file);
}

/**
 * Asks in the background, once per file, what is older than `file`, then calls `known` (a
 * failure is not asked again: scrolling up asks anew).
 */
export function lookUpOlder(file, known) {
  if (olders.has(file) || lookedUp.has(file)) return;
  lookedUp.add(file);
  olderOf(file).then(known, () => {});
}

/** The file member `path` is older than (the shown file when not known). */
export function newerOf(path) {
  for (const [file, older] of olders) if (older === path) return file;
  return view.path;
}

/** What member `path` is now: `{size, compressed, damaged}` (its size is where its end is asked). */
export async function describe(path) {
  const a = await ask(path, { from: 0 }, 1);
  const info = { size: a.size, compressed: !!a.compressed, damaged: a.damaged ?? null };
  members.set(path, info);
  return info;
}

/** The marker row between the end of member `path` (its `member`) and the start of `newer` (text only). */
export function boundaryRow(path, newer) {
  const info = members.get(path);
  const notes = [];
  if (info?.size === 0) notes.push("empty");
  if (info?.compressed) notes.push("compressed");
  if (info?.damaged) notes.push(`damaged: ${info.damaged}`);
  const name = notes.length ? `${baseName(path)} (${notes.join("; ")})` : baseName(path);
  const row = makeRow({ kind: "marker", type: "boundary", text: `── ${name} ends here · ${baseName(newer)} starts ──` });
  row.member = path;
  return row;
}
