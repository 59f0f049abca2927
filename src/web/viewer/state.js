// The viewer's shared state: the file shown, the row window and how it relates to the live
// end, the settings. Plain data; the modules beside it own the behaviour.

export const DEFAULT_CAP = 10000;
export const MIN_CAP = 10;
export const MAX_CAP = 1000000;
/** Pixels from the bottom that still count as "at the end". */
export const END_SLACK = 8;

/**
 * Lines flow: text frame -> `staged` (until the server confirms their position) ->
 * `queue` (waiting for the next animation frame, or held while paused) -> `rows` (in the
 * DOM, at most `cap`).
 */
export const view = {
  path: null,
  staged: [],
  queue: [],
  /** The rows in the DOM, in file order: {node, line, html, text, hit, marked, ...}. */
  rows: [],
  cap: DEFAULT_CAP,
  paused: false,
  waiting: 0,
  follow: true,
  unseen: 0,
  dropped: 0,
  seq: 0,
  matcher: null,
  /** Rows before this index still wait for the current filter (applied in slices). */
  filterPos: 0,
  raf: 0,
};
