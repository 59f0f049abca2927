// JSON lines (the entry marker's `data-json`): shown compactly as `time level message key=value …`
// with the keys dimmed, or with chosen keys as columns after the message (`cols=` in the
// address), expanded on a click to the pretty-printed object, and copied as the original line. The object comes from the line's text (JSON.parse of its textContent); every
// part of it is inserted as text, never as markup.

const MESSAGE_KEYS = ["msg", "message", "@message", "event"];
/** In the server's order of preference (`text::time`), so the row shows the time the column does. */
const TIME_KEYS = ["@timestamp", "timestamp", "time", "ts"];
const LEVEL_KEYS = ["level", "severity", "lvl"];

/** Keys shown as columns after the message, in order (the rest stay `key=value`). */
let columns = [];
/** Every key seen in the JSON lines, for the column picker; `onNewKey` hears of new ones. */
const seenKeys = new Set();
let onNewKey = () => {};

/** Sets the column keys from "a, b c" (commas or spaces); returns them. */
export function setColumns(text, newKey = onNewKey) {
  columns = [...new Set(String(text ?? "").split(/[\s,]+/).filter(Boolean))];
  onNewKey = newKey;
  return columns;
}

/** Keys offered at most (a file whose keys are ids would offer without end). */
const MAX_KEYS = 200;

function learnKeys(obj) {
  for (const k of Object.keys(obj)) {
    if (seenKeys.has(k) || seenKeys.size >= MAX_KEYS) continue;
    seenKeys.add(k);
    onNewKey(k);
  }
}

/** The first of `keys` that `obj` has, or null. */
const firstKey = (obj, keys) => keys.find((k) => Object.hasOwn(obj, k)) ?? null;

/** A value as `key=value` shows it: strings bare unless they hold spaces, the rest as JSON. */
function valueText(v) {
  if (typeof v === "string") return v === "" || /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}

function span(className, text) {
  const node = document.createElement("span");
  node.className = className;
  node.textContent = text;
  return node;
}

/** The compact form of `obj`: its time, level and message first, then the other keys. */
function compact(obj) {
  const out = span("json-compact", "");
  out.title = "Click to show the whole object";
  const parts = [];
  const time = firstKey(obj, TIME_KEYS);
  const level = firstKey(obj, LEVEL_KEYS);
  const message = firstKey(obj, MESSAGE_KEYS);
  if (time !== null) parts.push(span("json-time", valueText(obj[time])));
  if (level !== null) parts.push(span("json-level", String(obj[level]).toUpperCase()));
  if (message !== null) parts.push(span("json-msg", typeof obj[message] === "string" ? obj[message] : JSON.stringify(obj[message])));
  for (const k of columns) parts.push(column(obj, k));
  for (const [k, v] of Object.entries(obj)) {
    if (k === time || k === level || k === message || columns.includes(k)) continue;
    const pair = span("json-pair", "");
    pair.append(span("k", k + "="), valueText(v));
    parts.push(pair);
  }
  parts.forEach((p, i) => out.append(...(i ? [" ", p] : [p])));
  return out;
}

/** A column cell: the key's value (empty when the line lacks it), the key in its tooltip. */
function column(obj, key) {
  const cell = span("json-col", Object.hasOwn(obj, key) ? valueText(obj[key]) : "");
  cell.title = key;
  cell.dataset.key = key;
  return cell;
}

/** The row's node after its entry marker: the line's own text (a `.src` tag comes before it). */
function afterMarker(node) {
  const marker = node.querySelector(":scope > span[data-json]");
  const rest = [];
  for (let n = marker?.nextSibling; n; n = n.nextSibling) rest.push(n);
  return { marker, rest };
}

/**
 * Shows a JSON row compactly (or expanded when `row.expanded`): its text is read once
 * (`row.text`, the line as written, for the filter and for copying) and parsed. A line that
 * does not parse as an object stays as the server sent it.
 */
export function renderJson(row) {
  const { marker, rest } = afterMarker(row.node);
  if (!marker) return;
  if (row.obj === undefined) {
    row.text = row.node.textContent;
    row.obj = parseObject(rest.map((n) => n.textContent).join(""));
    if (row.obj) learnKeys(row.obj);
  }
  if (row.obj === null) return;
  for (const n of rest) n.remove();
  row.node.classList.add("json");
  row.node.classList.toggle("json-cols", columns.length > 0);
  row.node.append(compact(row.obj));
  if (row.expanded) row.node.append(span("json-pretty", JSON.stringify(row.obj, null, 2)));
}

function parseObject(text) {
  try {
    const v = JSON.parse(text);
    return v !== null && typeof v === "object" && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

/** A click on a JSON row's compact form: the pretty-printed object shows or goes. */
export function toggleJson(row) {
  if (!row?.obj) return;
  row.expanded = !row.expanded;
  const pretty = row.node.querySelector(":scope > .json-pretty");
  if (pretty) pretty.remove();
  else row.node.append(span("json-pretty", JSON.stringify(row.obj, null, 2)));
  row.node.querySelector(":scope > .json-compact").title = row.expanded ? "Click to hide the object" : "Click to show the whole object";
}

/** The text a copy of `rows` gives: each line as written (a JSON line as its original JSON). */
export function copyText(rows) {
  return rows.map((r) => r.text ?? r.node.textContent).join("\n");
}
