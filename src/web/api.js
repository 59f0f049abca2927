// Every URL the page uses, built once here: the base path, page links, the listing, lines,
// search and timeline APIs, the WebSockets (one file, a merged view), downloads. Also how a
// refusal's reason is read from an answer, and how a streamed NDJSON answer is read.

/** The server's URL prefix (`--base-path`), from the meta tag the server fills in. */
export const BASE = (document.querySelector('meta[name="logview-base"]') || {}).content || "";

/** A refusal from the server: status plus its plain-text reason. */
export class HttpError extends Error {
  constructor(status, text) {
    super(`${status} ${text}`.trim());
    this.status = status;
    this.reason = text;
  }
}

/** Decodes a URL path into a file system path, or null when it is malformed. */
export function decodePath(pathname) {
  if (BASE && (pathname === BASE || pathname.startsWith(BASE + "/"))) {
    pathname = pathname.slice(BASE.length);
  }
  try {
    const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
    return "/" + parts.join("/");
  } catch {
    return null;
  }
}

/** `/a b/c` -> `/a%20b/c` (each segment percent-encoded). */
function encodePath(path) {
  return "/" + path.split("/").filter(Boolean).map(encodeURIComponent).join("/");
}

/** The page URL of a file system path. */
export function hrefFor(path) {
  if (!path) return BASE + "/";
  return BASE + encodePath(path);
}

/** The download of a file, encoded like its page URL. */
export function rawUrl(path) {
  return BASE + "/_logview/raw" + encodePath(path);
}

/** The merged view's route: the page with GET, its stream with a WebSocket upgrade. */
const MERGE = "/_logview/merge";

/** The query naming the files (or directories) of a merged view: `path=A&path=B`. */
function mergeQuery(paths) {
  const q = new URLSearchParams();
  for (const p of paths) q.append("path", p);
  return q;
}

/** The page URL of a merged view of `paths`; `hide`: paths whose lines it hides. */
export function mergeHref(paths, hide = []) {
  const q = mergeQuery(paths);
  for (const p of hide) q.append("hide", p);
  return `${BASE}${MERGE}?${q}`;
}

/** The paths of the merged view the address names, or null when it names none. */
export function mergedPaths() {
  if (location.pathname !== BASE + MERGE) return null;
  return new URLSearchParams(location.search).getAll("path");
}

function socketBase() {
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}`;
}

/** The WebSocket URL following `path` with the query `params`. */
export function socketUrl(path, params) {
  return `${socketBase()}${hrefFor(path)}?${new URLSearchParams(params)}`;
}

/** The WebSocket URL of the merged view of `paths` with the query `params`. */
export function mergeSocketUrl(paths, params) {
  const q = mergeQuery(paths);
  for (const [k, v] of Object.entries(params)) q.set(k, v);
  return `${socketBase()}${BASE}${MERGE}?${q}`;
}

/**
 * The reason of a refused answer: its plain-text body, or for the page itself (a missing
 * or forbidden file) the `logview-refusal` meta tag the server puts into it.
 */
export async function refusalReason(res) {
  const text = await res.text().catch(() => "");
  if (/^text\/html/i.test(res.headers.get("content-type") || "")) {
    const doc = new DOMParser().parseFromString(text, "text/html");
    return doc.querySelector('meta[name="logview-refusal"]')?.content || res.statusText || "";
  }
  return text.trim();
}

async function getJson(url) {
  const res = await fetch(url, { cache: "no-store" });
  if (!res.ok) throw new HttpError(res.status, await refusalReason(res));
  return res.json();
}

function listUrl(path) {
  const api = BASE + "/_logview/api/list";
  return path ? `${api}?path=${encodeURIComponent(path)}` : api;
}

/** A directory's entries or a file's description; the roots without a path. */
export function fetchList(path) {
  return getJson(listUrl(path));
}

/** The listing's answer for `path`, unread: its status tells whether the path may be viewed. */
export function probeList(path) {
  return fetch(listUrl(path), { cache: "no-store" });
}

/**
 * A window of lines as safe HTML. `anchor` holds exactly one of `before`, `from`, `line`,
 * `time`; `lines` is how many.
 */
export function fetchLines(path, anchor, lines = 200) {
  const q = new URLSearchParams({ path, lines: String(lines), format: "html" });
  for (const [k, v] of Object.entries(anchor)) q.set(k, String(v));
  return getJson(`${BASE}/_logview/api/lines?${q}`);
}

/**
 * Searches the whole file (`params`: q, regex, before, limit, …): calls `onItem` with each
 * object of the NDJSON answer as it streams in. Resolves when the answer ended; rejects with an
 * HttpError on a refusal, or an AbortError once `signal` aborted (which closes the connection,
 * and so stops the server's scan).
 */
export async function streamSearch(path, params, signal, onItem) {
  const q = new URLSearchParams({ path, ...params });
  const res = await fetch(`${BASE}/_logview/api/search?${q}`, { cache: "no-store", signal });
  if (!res.ok) throw new HttpError(res.status, await refusalReason(res));
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let rest = "";
  for (;;) {
    const { value, done } = await reader.read();
    rest += decoder.decode(value ?? new Uint8Array(), { stream: !done });
    const parts = rest.split("\n");
    rest = parts.pop();
    for (const part of parts) if (part.trim()) onItem(JSON.parse(part));
    if (done) break;
  }
  if (rest.trim()) onItem(JSON.parse(rest));
}

/** Lines (and matches of `params.q`, when given) per time bucket over the whole file. */
export function fetchTimeline(path, params = {}) {
  return getJson(`${BASE}/_logview/api/timeline?${new URLSearchParams({ path, ...params })}`);
}

/** The server's counters (clients, max_clients). */
export function fetchStatus() {
  return getJson(BASE + "/_logview/api/status");
}
