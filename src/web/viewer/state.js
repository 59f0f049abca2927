// The viewer's shared state: the file shown, the rows loaded (a window onto the file) and how
// that window relates to the live end, the settings. Plain data; the modules beside it own
// the behaviour.

export const DEFAULT_CAP = 10000;
export const MIN_CAP = 10;
export const MAX_CAP = 1000000;
/** Pixels from the bottom that still count as "at the end". */
export const END_SLACK = 8;

/**
 * Live lines flow: text frame -> confirmed by a `pos` event -> `queue` (waiting for the next
 * animation frame, or held while paused) -> `rows` (in the DOM, about `cap` at most).
 * Older or other parts of the file come from the lines API into `rows` directly.
 */
export const view = {
  /** The file shown; null in a merged view (which has no per-file window, search or timeline). */
  path: null,
  /** A merged view of several files: only the live stream's rows, tagged by file. */
  merged: false,
  /** Why a compressed file is damaged, told before its history ends (shown at its end). */
  damaged: null,
  queue: [],
  /**
   * The rows in the DOM, in file order: {node, line, offset, number, time, html, ...}; above the
   * file's line 1, rows of its older members (`member`: their path; offset, number their own).
   */
  rows: [],
  cap: DEFAULT_CAP,
  paused: false,
  waiting: 0,
  /** The view sits at the end of the file and moves with new lines. */
  follow: true,
  /** The rows end where the live stream goes on: its lines are appended. */
  attached: true,
  /** Lines that arrived while the reader was away from the end. */
  unseen: 0,
  dropped: 0,
  /** Byte offset where the stream's next line starts (null until it said). */
  liveOffset: null,
  /** The number of the stream's next line, when known. */
  liveNumber: null,
  /** Between the stream's `history` and `live` events. */
  inHistory: false,
  /** Stream lines kept while the window is reloaded at the end (else null). */
  holding: null,
  /** Offset after the last row, when the rows stop short of the live end. */
  tailNext: null,
  /** The older member of the file's rotated family `tailNext` is in (null: the file itself). */
  tailMember: null,
  /** The file as the lines API last described it. */
  size: 0,
  total: null,
  indexed: false,
  matcher: null,
  /** The level selector: lines below this level are hidden (null: every level). */
  level: null,
  /** Rows before this index still wait for the current filter (applied in slices). */
  filterPos: 0,
  raf: 0,
};
