// The viewer's options kept in the address's query, so that a reload or a shared link shows the
// same view: `filter` (text or /regex/), `level`, `wrap`, `numbers`, `time` (1 or 0), and
// `clock` (utc or ago; local when absent), `cols` (JSON keys shown as columns, by commas).
// Written with replaceState, keeping the rest of the query (`lines`, a merged view's `path` and
// `hide`) and the `#L…` fragment.

/** The query keys this module owns; they do not name the view (app.js routes without them). */
export const OPTION_KEYS = ["filter", "level", "wrap", "numbers", "time", "clock", "cols"];

/** The option's value in the address, or null when it is not there. */
export function urlOption(key) {
  return new URLSearchParams(location.search).get(key);
}

/** Sets (or with null or "", removes) options in the address: `{key: value}`. */
export function setUrlOptions(values) {
  const q = new URLSearchParams(location.search);
  for (const [key, value] of Object.entries(values)) {
    if (value === null || value === "") q.delete(key);
    else q.set(key, value);
  }
  const query = q.toString();
  const href = location.pathname + (query ? "?" + query : "") + location.hash;
  if (href !== location.pathname + location.search + location.hash) history.replaceState(history.state, "", href);
}
