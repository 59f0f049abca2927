// What is told of lines that arrive: the tab's title while a view is open (the file's name,
// and while the tab is in the background the lines that arrived unseen, errors counted apart:
// "(12, 2 errors) app.log"; reset when the tab shows again), and assistive technology. #log
// is a `role=log` region with aria-live off, since reading every line at thousands a second
// would drown a screen reader: instead a polite status says, at most every ANNOUNCE_MS, how
// many lines arrived since it last spoke ("240 new lines, 3 errors").

import { el } from "../dom.js";
import { levelOf } from "./levels.js";

/** Shortest time between two announcements of arrived lines. */
const ANNOUNCE_MS = 10000;

const unseen = { name: "logview", lines: 0, errors: 0 };
const unsaid = { lines: 0, errors: 0, timer: 0 };

const counted = (n, one, many) => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

function render() {
  const { name, lines, errors } = unseen;
  const err = errors ? `, ${counted(errors, "error", "errors")}` : "";
  document.title = (lines ? `(${lines.toLocaleString("en-US")}${err}) ` : "") + name;
}

/** The view's name in the title; `fresh`: a view just opened, nothing unseen or unsaid yet. */
export function setTitle(name, { fresh = false } = {}) {
  unseen.name = name;
  if (fresh) {
    Object.assign(unseen, { lines: 0, errors: 0 });
    clearTimeout(unsaid.timer);
    Object.assign(unsaid, { lines: 0, errors: 0, timer: 0 });
  }
  render();
}

/** Live stream lines (`{kind: "line", html}`) arrived: counted for the title and to be said. */
export function countArrived(items) {
  let lines = 0;
  let errors = 0;
  for (const item of items) {
    if (item.kind !== "line") continue;
    lines++;
    const level = levelOf(item.html);
    if (level === "error" || level === "fatal") errors++;
  }
  if (lines === 0) return;
  unsaid.lines += lines;
  unsaid.errors += errors;
  unsaid.timer ||= setTimeout(say, ANNOUNCE_MS);
  if (!document.hidden) return;
  unseen.lines += lines;
  unseen.errors += errors;
  render();
}

function say() {
  const { lines, errors } = unsaid;
  el.arrivals.textContent = counted(lines, "new line", "new lines") + (errors ? `, ${counted(errors, "error", "errors")}` : "");
  Object.assign(unsaid, { lines: 0, errors: 0, timer: 0 });
}

/** The tab shows again: the count goes. */
export function seen() {
  if (document.hidden || unseen.lines === 0) return;
  unseen.lines = 0;
  unseen.errors = 0;
  render();
}
