// Searching the whole file (the search API, newest match first): the results panel filled as
// the answer streams in (a batch per animation frame, at most MAX_SHOWN rendered), its count
// and progress, "older matches", cancelling (Esc), opening a match's place in the file (with
// the first line of the entry a match inside a stack trace belongs to), and
// moving from match to match (n / N). With "search older files too" the rotated family is
// searched (`family=1`): a match in an older member names it, and opens that member's page at
// its line. Result text and paths are plain text from the API: they are only ever set with
// text nodes, and the matches are <mark> elements made here.

import { el, show, formatCount, baseName } from "../dom.js";
import { streamSearch, fetchLines, hrefFor, HttpError } from "../api.js";
import { view } from "./state.js";
import { dateTimeText } from "./times.js";
import { knownOlder, olderOf } from "./family.js";

/** Matching lines asked for per request. */
const PAGE = 500;
/** Results rendered in the panel; later ones are kept (n / N reach them) but not shown. */
const MAX_SHOWN = 2000;
/** Results rendered per animation frame. */
const PER_FRAME = 250;

/** How the viewer is told: `openAt(anchor, options)`, `searched(query or null)`. */
const actions = { openAt: async () => false, searched() {} };

const s = {
  /** Changes with every new search: answers of an older one are ignored. */
  gen: 0,
  /** `{q?, regex?, level?}` of the search shown, or null. */
  query: null,
  /** The search covers the file's older members too (`family=1`). */
  family: false,
  results: [],
  /** Results waiting for the next frame. */
  pending: [],
  shown: 0,
  raf: 0,
  /** "idle" | "running" | "done" | "cancelled" | "error" */
  state: "idle",
  ctrl: null,
  /** Where the next page starts (`before=`: an offset, or of a family search a token; null: the end of the file), if `more`. */
  next: null,
  /** There is more to search: older matches, or the rest of a page cut short. */
  more: false,
  /** Results before the page being fetched. */
  pageFrom: 0,
  scanned: 0,
  total: 0,
  waiting: false,
  elapsed: 0,
  error: "",
  /** The result opened last (n / N move from it), -1 for none. */
  current: -1,
  /** A result index to open once the page being fetched brought it. */
  wanted: null,
};

const escapeRegExp = (str) => str.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The filter box's value as search parameters: `/re/flags` is a regex, anything else literal. */
export function queryOf(value) {
  if (value === "") return null;
  const m = /^\/(.+)\/([a-z]*)$/s.exec(value);
  return m ? { q: m[1], regex: "1" } : { q: value };
}

export function setupSearch(a) {
  Object.assign(actions, a);
  el.searchFile.addEventListener("click", () => startSearch(el.filter.value));
  el.searchCancel.addEventListener("click", cancelSearch);
  el.searchClose.addEventListener("click", closeSearch);
  el.searchFamily.addEventListener("change", () => {
    if (s.query) startSearch(el.filter.value);
  });
  el.searchMore.addEventListener("click", () => {
    if (s.more) fetchPage(s.next);
  });
  el.searchResults.addEventListener("click", (e) => {
    const li = e.target instanceof Element ? e.target.closest("li[data-i]") : null;
    if (li) openResult(Number(li.dataset.i));
  });
}

/**
 * Searches the whole file for `value` (the filter's syntax) at the level selector's level and
 * above (a level alone: every line of that level); neither closes the panel.
 */
export function startSearch(value) {
  let query = queryOf(value);
  if (view.level) query = { ...query, level: view.level };
  if (!query || !view.path) return closeSearch();
  reset();
  s.query = query;
  show(el.search, true);
  actions.searched(query);
  // Ticked, it searches the family at once (of a file without older members: the file).
  s.family = el.searchFamily.checked;
  offerFamily();
  fetchPage(null);
}

/**
 * Offers "search older files too" only for a file with an older member (asked in the
 * background when not known yet; a ticked box stays in view meanwhile).
 */
function offerFamily() {
  const choice = el.searchFamily.closest("label");
  const path = view.path;
  const older = knownOlder(path);
  if (older !== undefined) return show(choice, !!older);
  show(choice, el.searchFamily.checked);
  olderOf(path).then((o) => view.path === path && show(choice, !!o), () => {});
}

/** The results' times again (the clock changed, or time passed for "ago"). */
export function relabelResults() {
  for (const t of el.searchResults.querySelectorAll(".time[data-ms]")) t.textContent = dateTimeText(Number(t.dataset.ms));
}

/** Stops a running search; true if one was running. */
export function cancelSearch() {
  if (s.state !== "running") return false;
  s.ctrl?.abort();
  s.ctrl = null;
  s.state = "cancelled";
  s.wanted = null;
  cutShort();
  updateStatus();
  return true;
}

/** Stops and forgets the search, hides the panel. */
export function closeSearch() {
  const had = s.query !== null;
  reset();
  show(el.search, false);
  if (had) actions.searched(null);
}

/** The panel is open. */
export const searchShown = () => !el.search.hidden;

function reset() {
  s.ctrl?.abort();
  cancelAnimationFrame(s.raf);
  Object.assign(s, {
    gen: s.gen + 1, query: null, family: false, results: [], pending: [], shown: 0, raf: 0, state: "idle", ctrl: null,
    next: null, more: false, pageFrom: 0, scanned: 0, total: 0, waiting: false, elapsed: 0, error: "", current: -1, wanted: null,
  });
  el.searchResults.replaceChildren();
  updateStatus();
}

/**
 * A page ended early: going on resumes before its last result (none is sent twice); when that
 * is in an older member, whose offsets only a `next` token can name, the page is asked again.
 */
function cutShort() {
  const last = s.results[s.results.length - 1];
  if (s.results.length > s.pageFrom && !inMember(last)) s.next = last.offset;
  else if (s.results.length > s.pageFrom) dropPage();
  s.more = s.next !== 0;
}

/** Forgets the results of the page under way. */
function dropPage() {
  s.results.length = s.pageFrom;
  s.pending = s.pending.filter((i) => i < s.pageFrom);
  for (const li of el.searchResults.querySelectorAll("li[data-i]")) if (Number(li.dataset.i) >= s.pageFrom) li.remove();
  s.shown = el.searchResults.childElementCount;
  if (s.current >= s.pageFrom) s.current = -1;
}

/** The result is in an older member of the file (a family search's). */
const inMember = (r) => typeof r.path === "string" && r.path !== view.path;

/** Asks for the next page of matches: the newest ones before `before` (null: the end). */
async function fetchPage(before) {
  if (s.state === "running" || !s.query) return;
  const gen = s.gen;
  const ctrl = new AbortController();
  Object.assign(s, { ctrl, state: "running", next: before, more: false, pageFrom: s.results.length, scanned: 0, total: 0, waiting: false, error: "" });
  updateStatus();
  const params = { ...s.query, limit: String(PAGE) };
  if (s.family) params.family = "1";
  if (before !== null) params.before = String(before);
  try {
    await streamSearch(view.path, params, ctrl.signal, (item) => {
      if (gen === s.gen && !ctrl.signal.aborted) onItem(item);
    });
    if (gen !== s.gen || ctrl.signal.aborted) return;
    // An answer cut short (no "done") is treated as an error rather than the end of the file.
    if (s.state === "running") {
      s.state = "error";
      s.error = "the search ended early";
      cutShort();
    }
  } catch (err) {
    if (gen !== s.gen || ctrl.signal.aborted) return;
    s.state = "error";
    s.error = err instanceof HttpError ? err.reason || err.message : `search failed (${err.message})`;
    cutShort();
  }
  s.ctrl = null;
  updateStatus();
  const wanted = s.wanted;
  s.wanted = null;
  if (wanted !== null && s.results[wanted]) openResult(wanted);
}

function onItem(item) {
  if (item.type === "match") {
    const i = s.results.length;
    s.results.push(item);
    if (s.shown + s.pending.length < MAX_SHOWN) s.pending.push(i);
    schedule();
  } else if (item.type === "progress") {
    s.scanned = item.scanned;
    s.total = item.total;
    s.waiting = !!item.waiting;
    schedule();
  } else if (item.type === "done") {
    s.state = "done";
    s.next = item.next ?? null;
    // A page that ends with the file's first line has nothing older either.
    s.more = s.next !== null && s.next !== 0;
    s.scanned = s.total = item.scanned;
    s.elapsed = item.elapsed_ms;
    schedule();
  }
}

function schedule() {
  if (!s.raf) s.raf = requestAnimationFrame(flush);
}

/** Once per frame: renders a batch of the results that arrived, and the status. */
function flush() {
  s.raf = 0;
  const batch = s.pending.splice(0, PER_FRAME);
  if (batch.length) {
    const frag = document.createDocumentFragment();
    for (const i of batch) frag.append(resultNode(s.results[i], i));
    el.searchResults.append(frag);
    s.shown += batch.length;
  }
  updateStatus();
  if (s.pending.length) schedule();
}

function updateStatus() {
  const n = s.results.length;
  const count = `${formatCount(n)} ${n === 1 ? "match" : "matches"}`;
  const pct = s.total > 0 ? `scanned ${Math.floor((100 * s.scanned) / s.total)}%` : "scanning";
  let text = "";
  if (s.state === "running") text = s.waiting ? `waiting for a free scan slot · ${count}` : `${pct} · ${count}`;
  else if (s.state === "done") text = s.more ? `${count} · older matches remain` : `${count} · ${s.family ? "every file" : "whole file"} searched`;
  else if (s.state === "cancelled") text = `cancelled · ${count}`;
  else if (s.state === "error") text = `${s.error} · ${count}`;
  el.searchStatus.textContent = text;
  el.searchStatus.dataset.state = s.state;
  el.searchStatus.dataset.count = n;
  show(el.searchCancel, s.state === "running");
  show(el.searchMore, s.state !== "running" && s.more && s.query !== null);
  const hidden = n - Math.min(n, MAX_SHOWN);
  show(el.searchNote, hidden > 0);
  el.searchNote.textContent = hidden > 0 ? `Showing the first ${formatCount(MAX_SHOWN)} matches; n / N go on through the other ${formatCount(hidden)}.` : "";
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Byte ranges within the UTF-8 of `text` as string index ranges, sorted, without overlaps. */
export function charRanges(text, ranges) {
  let out = ranges;
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(text)) {
    const bytes = encoder.encode(text);
    const at = (b) => decoder.decode(bytes.subarray(0, b)).length;
    out = ranges.map(([a, b]) => [at(a), at(b)]);
  }
  out = out.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const kept = [];
  for (const r of out) if (!kept.length || r[0] >= kept[kept.length - 1][1]) kept.push(r);
  return kept;
}

/** A terminal escape sequence (CSI, as loggers colour with; or a two-byte one), or another control character but tab. */
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]?|[\x00-\x08\x0a-\x1f\x7f]/g;

/**
 * `text` as the file's page shows it, without escape sequences and control characters, and
 * `ranges` (string indexes into `text`) moved onto it; a range left empty is dropped.
 */
export function withoutEscapes(text, ranges = []) {
  const cuts = [...text.matchAll(ESCAPES)].map((m) => [m.index, m.index + m[0].length]);
  if (!cuts.length) return { text, ranges };
  let plain = "";
  let last = 0;
  for (const [a, b] of cuts) {
    plain += text.slice(last, a);
    last = b;
  }
  plain += text.slice(last);
  // An index minus what the cuts before it removed.
  const moved = (i) => i - cuts.reduce((d, [a, b]) => d + Math.max(0, Math.min(b, i) - a), 0);
  const kept = ranges.map(([a, b]) => [moved(a), moved(b)]).filter(([a, b]) => b > a);
  return { text: plain, ranges: kept };
}

function span(className, text) {
  const node = document.createElement("span");
  node.className = className;
  node.textContent = text;
  return node;
}

/**
 * One result: number, time, the text with its matches marked; above a match inside an entry
 * (a stack trace), the entry's first line, dimmed. Text nodes only.
 */
function resultNode(r, i) {
  const li = document.createElement("li");
  li.dataset.i = i;
  li.dataset.offset = r.offset;
  if (typeof r.number === "number") li.dataset.n = r.number;
  li.title = "Open this line in the file";
  if (typeof r.entry?.text === "string") {
    li.classList.add("in-entry");
    li.append(span("entry-head", withoutEscapes(r.entry.text).text));
  }
  li.append(span("num", typeof r.number === "number" ? formatCount(r.number) : ""));
  const time = span("time", typeof r.time === "number" ? dateTimeText(r.time) : "");
  if (typeof r.time === "number") time.dataset.ms = r.time;
  li.append(time);
  if (inMember(r)) {
    const file = span("file", baseName(r.path));
    file.title = r.path;
    li.append(file);
  }
  const text = span("text", "");
  const shown = withoutEscapes(r.text, charRanges(r.text, r.ranges || []));
  let last = 0;
  for (const [a, b] of shown.ranges) {
    if (a > last) text.append(shown.text.slice(last, a));
    const mark = document.createElement("mark");
    mark.textContent = shown.text.slice(a, b);
    text.append(mark);
    last = b;
  }
  if (last < shown.text.length) text.append(shown.text.slice(last));
  li.append(text);
  if (i === s.current) li.classList.add("current");
  return li;
}

/** Opens the file's window at result `i` (its line marked, context around it, its entry's first line in view). */
function openResult(i) {
  const r = s.results[i];
  if (!r) return;
  s.current = i;
  for (const old of el.searchResults.querySelectorAll("li.current")) old.classList.remove("current");
  const li = el.searchResults.querySelector(`li[data-i="${i}"]`);
  if (li) {
    li.classList.add("current");
    li.scrollIntoView({ block: "nearest" });
  }
  if (inMember(r)) return openMember(r);
  if (typeof r.number === "number") history.replaceState(history.state, "", `#L${r.number}`);
  // A match inside an entry opens with the entry's first line in view.
  actions.openAt({ from: r.offset }, { target: "first", entry: r.entry?.offset ?? null });
}

/**
 * Opens the page of the older member result `r` is in, at its line (`#L<number>`; a number
 * the search did not know is asked from the lines API), as a link inside the page would.
 */
async function openMember(r) {
  let n = r.number;
  if (typeof n !== "number") n = (await fetchLines(r.path, { from: r.offset }, 1).catch(() => null))?.lines?.[0]?.number;
  history.pushState(null, "", hrefFor(r.path) + (typeof n === "number" ? `#L${n}` : ""));
  dispatchEvent(new PopStateEvent("popstate"));
}

/**
 * n (`delta` 1): the next older match; N (-1): the next newer one. Past the last result
 * loaded, the next page is fetched first. False when there is no search to move in.
 */
export function stepMatch(delta) {
  if (s.query === null) return false;
  const i = s.current < 0 ? (delta > 0 ? 0 : -1) : s.current + delta;
  if (i < 0) return true;
  if (i < s.results.length) openResult(i);
  else if (s.state === "running") s.wanted = i;
  else if (s.more && s.state !== "error") {
    s.wanted = i;
    fetchPage(s.next);
  }
  return true;
}
