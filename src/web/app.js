// logview page, the entry module and its wiring (the page loads `/_logview/app.js`, the name the
// server tests pin): the file browser (at `/` and at directory paths) and the viewer (at
// a file's path, or of several at `/_logview/merge?path=A&path=B`), chosen by the address; in-page navigation; keyboard shortcuts (/, Space,
// Home, End, n / N for the search's matches, Esc to leave the filter box or stop a search, ?
// for the list of shortcuts).
//
// Safety rule: log lines arrive as HTML the server has already escaped, and only they are
// ever assigned with innerHTML (one line per element, in viewer/rows.js). Everything else
// (file names, paths, error texts, filter matches) goes through textContent or text nodes.

import { decodePath, fetchList, hrefFor, mergedPaths, HttpError } from "./api.js";
import { el, showError, setMode, setWhere, currentMode } from "./dom.js";
import { rootGroups, showBrowser, setupBrowser } from "./browser.js";
import { openViewer, openMerged, stopViewer, setupViewer, jumpToEnd, jumpToStart, togglePause, whenOpened } from "./viewer/viewer.js";
import { cancelSearch, closeSearch, searchShown, stepMatch } from "./viewer/search.js";
import { OPTION_KEYS } from "./viewer/options.js";

let routeGen = 0;

/**
 * The page came as the answer to a missing or forbidden file: the server put its reason into
 * it (and the HTTP status, which the navigation timing tells). Used by the first route only.
 */
let refusal = document.querySelector('meta[name="logview-refusal"]')?.content ?? null;

function refusalStatus() {
  const status = performance.getEntriesByType("navigation")[0]?.responseStatus;
  if (status) return status;
  return /no such|not found|missing/i.test(refusal) ? 404 : 403;
}

/** Shows the refusal; a missing file is waited for and shown once it appears. */
function showRefusal(path) {
  const reason = refusal;
  refusal = null;
  const status = refusalStatus();
  const parent = path.slice(0, path.lastIndexOf("/")) || "/";
  showError(`${status} ${reason}`.trim());
  if (status === 404) {
    openViewer({ path, parent }, { waitMissing: true });
    whenOpened(() => showError(null));
  } else {
    setMode(null);
    setWhere(path, hrefFor(parent));
  }
}

function navigate(href) {
  if (href === location.pathname + location.search) return;
  history.pushState(null, "", href);
  route();
}

/** The address last shown (without its `#L…` part, which the viewer follows by itself). */
let routed = null;

/**
 * What names the view in the address: its path and query, but not the files a merged view
 * hides nor the viewer's options (filter, level, …).
 */
function routeKey() {
  const q = new URLSearchParams(location.search);
  q.delete("hide");
  for (const key of OPTION_KEYS) q.delete(key);
  return location.pathname + "?" + q;
}

/** Shows what the current URL names: the roots, a directory, a file or a merged view. */
async function route() {
  const here = routeKey();
  if (here === routed && currentMode() === "viewer") return;
  routed = here;
  const gen = ++routeGen;
  stopViewer();
  showError(null);
  const merged = mergedPaths();
  if (merged !== null) return routeMerged(merged);
  const path = decodePath(location.pathname);
  if (path === null) {
    setMode(null);
    return showError("400 malformed path in the address");
  }
  if (refusal !== null && path !== "/") return showRefusal(path);
  refusal = null;
  try {
    if (path === "/") {
      const groups = await rootGroups();
      if (gen === routeGen) showBrowser(null, null, groups, rootGroups);
      return;
    }
    const info = await fetchList(path);
    if (gen !== routeGen) return;
    const dirGroups = (info) => [{ heading: null, entries: info.entries, truncated: info.truncated }];
    if (info.type === "file") openViewer(info);
    else showBrowser(info.path, info.parent, dirGroups(info), async () => dirGroups(await fetchList(path)));
  } catch (err) {
    if (gen !== routeGen) return;
    setMode(null);
    setWhere(path, hrefFor(null));
    showError(err instanceof HttpError ? err.message : `cannot reach the server (${err.message})`);
  }
}

function routeMerged(paths) {
  if (paths.length === 0 || paths.some((p) => !p.startsWith("/"))) {
    setMode(null);
    setWhere("merged view", hrefFor(null));
    return showError("400 a merged view needs absolute paths: /_logview/merge?path=/dir/a.log&path=/dir/b.log");
  }
  openMerged(paths);
}

/** Plain left clicks on in-page links navigate without reloading. */
function interceptLinks(container) {
  container.addEventListener("click", (e) => {
    const a = e.target.closest("a[href]");
    if (!a || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(a.getAttribute("href"));
  });
}

function onKey(e) {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
  const target = e.target instanceof Element ? e.target : document.body;
  const typing = target.closest("input, textarea, select, [contenteditable]");
  const mode = currentMode();
  if (e.key === "?" && !typing) {
    e.preventDefault();
    return showHelp(el.help.hidden);
  }
  if (e.key === "Escape" && !el.help.hidden) {
    e.preventDefault();
    return showHelp(false);
  }
  if (e.key === "/" && !typing) {
    const box = mode === "viewer" ? el.filter : mode === "browser" ? el.filesFilter : null;
    if (box) {
      e.preventDefault();
      box.focus();
      box.select();
    }
    return;
  }
  if (mode !== "viewer") return;
  if (e.key === "Escape") {
    // Esc stops a running search (even from the filter box), else leaves the filter box (its
    // text stays), else closes the search's results.
    if (cancelSearch()) {
      e.preventDefault();
    } else if (target === el.filter) {
      e.preventDefault();
      el.log.focus();
    } else if (!typing && searchShown()) {
      e.preventDefault();
      closeSearch();
    }
    return;
  }
  if ((e.key === "n" || e.key === "N") && !typing && stepMatch(e.key === "n" ? 1 : -1)) {
    e.preventDefault();
    return;
  }
  if (e.key === " " && !target.closest("input, textarea, select, button, a, label, [contenteditable]")) {
    e.preventDefault();
    togglePause();
  } else if (e.key === "End" && !typing) {
    e.preventDefault();
    jumpToEnd();
  } else if (e.key === "Home" && !typing) {
    e.preventDefault();
    jumpToStart();
  }
}

/** The list of keyboard shortcuts (`?`): shown, or hidden with the focus back where it was. */
let helpReturn = null;
function showHelp(on) {
  if (on === !el.help.hidden) return;
  el.help.hidden = !on;
  if (on) {
    helpReturn = document.activeElement;
    el.helpClose.focus();
  } else {
    helpReturn?.focus?.();
    helpReturn = null;
  }
}

setupBrowser(navigate);
el.helpClose.addEventListener("click", () => showHelp(false));
setupViewer();
interceptLinks(el.browser);
interceptLinks(el.top);
document.addEventListener("keydown", onKey);
window.addEventListener("popstate", route);
el.home.href = hrefFor(null);
route();
