// The page's fixed elements by name, showing and hiding them, settings kept in localStorage,
// and the formatting of sizes, dates and counts. No state of its own.

const $ = (id) => document.getElementById(id);

export const el = {
  top: $("top"), home: $("home"), up: $("up"), where: $("where"), error: $("error"),
  browser: $("browser"), files: $("files"), filesFilter: $("files-filter"),
  filesCount: $("files-count"), filesEmpty: $("files-empty"), followDir: $("follow-dir"),
  pickedCount: $("picked-count"), openTogether: $("open-together"),
  viewer: $("viewer"), status: $("status"), statusSay: $("status-say"), arrivals: $("arrivals"), retry: $("retry"), filter: $("filter"), filterCount: $("filter-count"), level: $("level"),
  filterError: $("filter-error"),
  pause: $("pause"), pending: $("pending-count"), wrap: $("wrap"), numbers: $("numbers"),
  times: $("times"), clock: $("clock"), columns: $("columns"), columnsField: $("columns-field"),
  jsonKeys: $("json-keys"), cap: $("cap"), clear: $("clear"), dropped: $("dropped"), log: $("log"),
  jump: $("jump"), download: $("download"), goto: $("goto"), gotoInput: $("goto-input"),
  posTrack: $("pos-track"), posThumb: $("pos-thumb"), posText: $("pos-text"),
  searchFile: $("search-file"), search: $("search"), searchStatus: $("search-status"),
  searchCancel: $("search-cancel"), searchClose: $("search-close"), searchResults: $("search-results"),
  searchNote: $("search-note"), searchMore: $("search-more"), searchFamily: $("search-family"),
  timeline: $("timeline"), tlChart: $("tl-chart"), tlTip: $("tl-tip"),
  legend: $("legend"), legendCount: $("legend-count"), legendFiles: $("legend-files"),
  help: $("help"), helpClose: $("help-close"), options: $("options"), optionsToggle: $("options-toggle"),
};

export function show(node, visible) {
  node.hidden = !visible;
}

/** The error banner; null hides it. */
export function showError(text) {
  el.error.textContent = text || "";
  show(el.error, !!text);
}

export const store = {
  get(key, fallback) {
    try {
      const v = localStorage.getItem("logview." + key);
      return v === null ? fallback : v;
    } catch {
      return fallback;
    }
  },
  set(key, value) {
    try {
      localStorage.setItem("logview." + key, String(value));
    } catch {
      // Storage disabled: settings just do not persist.
    }
  },
};

export function baseName(path) {
  const parts = path.split("/").filter(Boolean);
  return parts.length ? parts[parts.length - 1] : "/";
}

const pad = (n, w = 2) => String(n).padStart(w, "0");

export function formatSize(bytes) {
  if (bytes < 1024) return bytes + " B";
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let i = -1;
  do {
    v /= 1024;
    i++;
  } while (v >= 1024 && i < units.length - 1);
  return (v < 10 ? v.toFixed(1) : Math.round(v)) + " " + units[i];
}

export function formatDate(secs) {
  const d = new Date(secs * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function formatClock(ms) {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export const formatCount = (n) => n.toLocaleString("en-US");

let mode = null; // "browser" | "viewer" | null

/** Which part of the page shows: the file list, the viewer, or neither. */
export function setMode(m) {
  mode = m;
  show(el.browser, m === "browser");
  show(el.viewer, m === "viewer");
  document.body.dataset.mode = m || "none";
}

export const currentMode = () => mode;

/** The header: the path shown and where the "up" link leads (`parentHref` null: no link). */
export function setWhere(path, parentHref) {
  el.where.textContent = path || "All roots";
  show(el.up, path !== null);
  el.up.href = parentHref;
}
