// The tab's title while a view is open: the file's name, and while the tab is in the
// background the lines that arrived unseen, errors counted apart ("(12, 2 errors) app.log").
// Reset when the tab shows again.

import { markerOf } from "./levels.js";

const unseen = { name: "logview", lines: 0, errors: 0 };

function render() {
  const { name, lines, errors } = unseen;
  const err = errors ? `, ${errors} ${errors === 1 ? "error" : "errors"}` : "";
  document.title = (lines ? `(${lines.toLocaleString("en-US")}${err}) ` : "") + name;
}

/** The view's name in the title; `fresh`: a view just opened, nothing unseen yet. */
export function setTitle(name, { fresh = false } = {}) {
  unseen.name = name;
  if (fresh) Object.assign(unseen, { lines: 0, errors: 0 });
  render();
}

/** Stream lines (`{kind: "line", html}`) arrived: counted while the tab is hidden. */
export function countArrived(items) {
  if (!document.hidden) return;
  for (const item of items) {
    if (item.kind !== "line") continue;
    unseen.lines++;
    const level = markerOf(item.html).level;
    if (level === "error" || level === "fatal") unseen.errors++;
  }
  render();
}

/** The tab shows again: the count goes. */
export function seen() {
  if (document.hidden || unseen.lines === 0) return;
  unseen.lines = 0;
  unseen.errors = 0;
  render();
}
