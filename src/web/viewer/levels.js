// Log levels: what the server's entry marker (`<span data-level="error" data-cont data-json
// data-time="…">` at the start of a line's HTML, after a merged view's `.src` tag) says about a
// row, read from the HTML string (no DOM reads), the row's level classes, and the level
// selector's ranks.

/** From least to most severe; the selector's "L+" keeps L and the ones after it. */
export const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"];
const RANK = new Map(LEVELS.map((l, i) => [l, i]));

/** The marker span, optionally after the `.src` tag of a merged view. */
const MARKER = /^(?:<span class="src">[^<]*<\/span>)?<span( data-[^>]*)><\/span>/;
const LEVEL_ATTR = / data-level="([a-z]+)"/;
const TIME_ATTR = / data-time="(-?\d+)"/;
/** A span the server made for the line's own ANSI colours (foreground or background). */
const OWN_COLOUR = /<span style=['"][^'"]*color/;

/** The attributes of `html`'s marker (`""` when it has none). */
function markerAttrs(html) {
  return MARKER.exec(html)?.[1] ?? "";
}

/** The marker's known level, or null. */
function levelIn(attrs) {
  const level = LEVEL_ATTR.exec(attrs)?.[1] ?? null;
  return RANK.has(level) ? level : null;
}

/** The level the marker of `html` tells (a known level name), or null: nothing else read. */
export function levelOf(html) {
  return levelIn(markerAttrs(html));
}

/** The marker's `data-time` as epoch ms, or null. */
function timeOf(attrs) {
  const t = TIME_ATTR.exec(attrs);
  return t ? Number(t[1]) : null;
}

/**
 * What the marker of `html` says: `{level, cont, json, time}` (level null when none, a known
 * level name otherwise; time: the moment of the line's stamp in epoch ms, or null), and
 * `coloured` when the line brings colours of its own.
 */
export function markerOf(html) {
  const attrs = markerAttrs(html);
  return {
    level: levelIn(attrs),
    cont: attrs.includes(" data-cont"),
    json: attrs.includes(" data-json"),
    time: timeOf(attrs),
    coloured: OWN_COLOUR.test(html),
  };
}

/**
 * Gives a line row its marker's facts (`row.level`, `row.cont`, `row.json`, `row.stamp`: the
 * server's reading of the line's stamp, which the time column shows) and the classes
 * the stylesheet colours it by: `lvl-<level>`, and `ansi` when it keeps its own colours.
 */
export function classify(row) {
  const m = markerOf(row.html);
  row.level = m.level;
  row.cont = m.cont;
  row.json = m.json;
  row.stamp = m.time;
  if (m.level) row.node.classList.add("lvl-" + m.level);
  if (m.coloured) row.node.classList.add("ansi");
  return row;
}

/** True when `level` (null: none) is shown with the selector at `min` (null: all levels). */
export function levelShown(level, min) {
  return min === null || level === null || RANK.get(level) >= RANK.get(min);
}

/** A selector value as a level name, or null for "all" and anything unknown. */
export function parseLevel(value) {
  return RANK.has(value) ? value : null;
}
