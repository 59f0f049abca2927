// The file browser (at `/` and at directory paths): the listing table, its sorting, its name
// filter, and its refresh (new files appear, sizes and times move, removed files go, without
// reloading: one listing request every REFRESH_MS while the listing is shown and visible),
// its filter kept in the history entry (back from a file finds it as it was left),
// and the ways into a merged view: files ticked (in any listing) and opened together, or every
// file of a directory. File names are only ever set as text.

import { fetchList, hrefFor, mergeHref } from "./api.js";
import { el, show, store, setMode, setWhere, formatSize, formatDate, formatCount, currentMode } from "./dom.js";

/** How often a shown listing is read again (the server reads each directory at most this often). */
const REFRESH_MS = 2000;

const browse = {
  groups: [],
  sort: store.get("sort", "name"),
  desc: store.get("desc", "0") === "1",
  /** Reads the shown listing again (null: nothing to refresh), and its timer. */
  reload: null,
  timer: null,
  /** Families whose members are shown (by the path of their newest file). */
  open: new Set(),
  /** Files ticked to be opened together, in the order they were ticked. */
  picked: new Set(),
};

/** How a click on a listed entry (or "open together") moves to it. */
let go = () => {};

/** At `/`: the content of every root directory; roots that are files are listed as such. */
export async function rootGroups() {
  const roots = await fetchList(null);
  const files = roots.entries.filter((e) => e.type === "file");
  const dirs = roots.entries.filter((e) => e.type === "dir");
  const groups = await Promise.all(
    dirs.map(async (d) => {
      try {
        const info = await fetchList(d.path);
        return { heading: d.path, entries: info.entries, truncated: info.truncated };
      } catch (err) {
        return { heading: d.path, entries: [], error: err.message };
      }
    }),
  );
  if (files.length) groups.unshift({ heading: "Files", entries: files });
  return groups;
}

/** Shows a listing; `reload()` reads it again (resolving to its groups) for the refresh. */
export function showBrowser(path, parent, groups, reload = null) {
  setMode("browser");
  setWhere(path, hrefFor(parent));
  document.title = path ? `${path} — logview` : "logview";
  show(el.followDir, path !== null);
  if (path !== null) el.followDir.href = mergeHref([path]);
  browse.groups = groups;
  // Back from a file: the listing's filter as it was left (kept in the history entry).
  el.filesFilter.value = history.state?.filesFilter ?? "";
  renderFiles();
  browse.reload = reload;
  clearTimeout(browse.timer);
  browse.timer = setTimeout(refresh, REFRESH_MS);
}

/** Reads the shown listing again and redraws it when anything changed (the filter stays). */
async function refresh() {
  const reload = browse.reload;
  if (!reload || currentMode() !== "browser") return;
  if (!document.hidden) {
    try {
      const groups = await reload();
      if (reload === browse.reload && JSON.stringify(groups) !== JSON.stringify(browse.groups)) {
        browse.groups = groups;
        renderFiles();
      }
    } catch {
      // The server is unreachable for a moment: the listing stays as it was.
    }
  }
  if (reload === browse.reload) browse.timer = setTimeout(refresh, REFRESH_MS);
}

function compareEntries(a, b) {
  if (a.type !== b.type) return a.type === "dir" ? -1 : 1;
  let c = 0;
  if (browse.sort === "size") c = a.size - b.size;
  else if (browse.sort === "mtime") c = a.mtime - b.mtime;
  if (c === 0) c = a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: "base" });
  return browse.desc ? -c : c;
}

function cell(tag, className, text) {
  const c = document.createElement(tag);
  c.className = className;
  if (text !== undefined) c.textContent = text;
  return c;
}

function entryRow(entry, kind = "entry") {
  const tr = document.createElement("tr");
  tr.className = kind + " " + entry.type;
  tr.dataset.name = entry.name.toLowerCase();
  const name = cell("td", "name");
  if (pickable(entry)) name.append(pickBox(entry));
  const a = document.createElement("a");
  a.href = hrefFor(entry.path);
  a.textContent = entry.type === "dir" ? entry.name + "/" : entry.name;
  a.title = entry.path;
  name.append(a);
  // Compressed members are read as they are, not followed.
  if (entry.compressed) name.append(cell("span", "muted", " (compressed)"));
  if (entry.members?.length) {
    const toggle = cell("button", "family", `+${entry.members.length} rotated`);
    toggle.type = "button";
    toggle.title = "Show or hide the older, rotated files";
    toggle.setAttribute("aria-expanded", String(browse.open.has(entry.path)));
    name.append(" ", toggle);
  }
  const size = cell("td", "size", entry.type === "dir" ? "" : formatSize(entry.size));
  size.title = entry.type === "dir" ? "" : formatCount(entry.size) + " bytes";
  const mtime = cell("td", "mtime", formatDate(entry.mtime));
  mtime.title = new Date(entry.mtime * 1000).toString();
  tr.append(name, size, mtime);
  return tr;
}

/** A file that a merged view can follow: plain, not compressed, not standard input. */
function pickable(entry) {
  return entry.type === "file" && !entry.compressed && entry.path.startsWith("/") && entry.path !== "/-";
}

function pickBox(entry) {
  const box = document.createElement("input");
  box.type = "checkbox";
  box.className = "pick";
  box.dataset.path = entry.path;
  box.checked = browse.picked.has(entry.path);
  box.setAttribute("aria-label", `Open ${entry.name} together with other ticked files`);
  return box;
}

function groupRow(text, href) {
  const tr = cell("tr", "group");
  const th = cell("th", "");
  th.colSpan = 3;
  if (href) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    // A root: every file in it, in one view.
    const all = cell("a", "follow-all", "follow every file");
    all.href = mergeHref([text]);
    all.title = "One view of every log file directly in this directory, and of files created in it later";
    th.append(a, " ", all);
  } else {
    th.textContent = text;
  }
  tr.append(th);
  return tr;
}

/** A box was ticked or unticked: the "open together" button follows the count. */
function pick(box) {
  if (box.checked) browse.picked.add(box.dataset.path);
  else browse.picked.delete(box.dataset.path);
  showPicked();
}

function showPicked() {
  const n = browse.picked.size;
  el.pickedCount.textContent = n ? `${n} ticked` : "";
  el.openTogether.disabled = n < 2;
  el.openTogether.textContent = n >= 2 ? `Open ${n} together` : "Open together";
}

function openTogether() {
  if (browse.picked.size < 2) return;
  const href = mergeHref([...browse.picked]);
  browse.picked.clear();
  showPicked();
  go(href);
}

function noteRow(text) {
  const tr = cell("tr", "note");
  const td = cell("td", "muted", text);
  td.colSpan = 3;
  tr.append(td);
  return tr;
}

function renderFiles() {
  for (const body of el.files.querySelectorAll("tbody")) body.remove();
  for (const b of el.files.querySelectorAll("th button")) {
    const on = b.dataset.sort === browse.sort;
    b.parentElement.setAttribute("aria-sort", on ? (browse.desc ? "descending" : "ascending") : "none");
  }
  for (const g of browse.groups) {
    const body = document.createElement("tbody");
    if (g.heading) body.append(groupRow(g.heading, g.heading === "Files" ? null : hrefFor(g.heading)));
    for (const e of [...g.entries].sort(compareEntries)) {
      body.append(entryRow(e));
      // A rotated family: its members follow, newest first, shown on demand.
      for (const m of e.members ?? []) {
        const row = entryRow(m, "member");
        row.hidden = !browse.open.has(e.path);
        row.dataset.family = e.path;
        body.append(row);
      }
    }
    if (g.error) body.append(noteRow(g.error));
    if (g.truncated) body.append(noteRow("Only the first entries are listed: this directory holds more."));
    el.files.append(body);
  }
  filterFiles();
}

function filterFiles() {
  const q = el.filesFilter.value.trim().toLowerCase();
  let shown = 0;
  let total = 0;
  for (const body of el.files.tBodies) {
    let inGroup = 0;
    for (const tr of body.querySelectorAll("tr.entry")) {
      const hit = !q || tr.dataset.name.includes(q);
      tr.hidden = !hit;
      total++;
      if (hit) inGroup++;
    }
    for (const tr of body.querySelectorAll("tr.member")) {
      tr.hidden = !browse.open.has(tr.dataset.family) || (!!q && !tr.dataset.name.includes(q));
    }
    shown += inGroup;
    // A root whose entries are all filtered out is hidden with them.
    body.hidden = !!q && inGroup === 0;
  }
  el.filesCount.textContent = q ? `${shown} of ${total}` : `${total} ${total === 1 ? "entry" : "entries"}`;
  show(el.filesEmpty, shown === 0);
}

/** `navigate(href)`: how a click on a listed entry moves to it. */
export function setupBrowser(navigate) {
  go = navigate;
  el.files.addEventListener("change", (e) => {
    if (e.target.matches("input.pick")) pick(e.target);
  });
  el.openTogether.addEventListener("click", openTogether);
  showPicked();
  el.files.addEventListener("click", (e) => {
    const toggle = e.target.closest("button.family");
    if (!toggle) return;
    const family = toggle.closest("tr").nextElementSibling?.dataset.family;
    if (!family) return;
    const open = !browse.open.has(family);
    if (open) browse.open.add(family);
    else browse.open.delete(family);
    toggle.setAttribute("aria-expanded", String(open));
    for (const row of el.files.querySelectorAll("tr.member")) {
      if (row.dataset.family === family) row.hidden = !open;
    }
  });
  el.filesFilter.addEventListener("input", () => {
    filterFiles();
    history.replaceState({ ...history.state, filesFilter: el.filesFilter.value }, "");
  });
  el.filesFilter.addEventListener("keydown", (e) => {
    if (e.key !== "Enter") return;
    const first = el.files.querySelector("tr.entry:not([hidden]) a");
    if (first) navigate(first.getAttribute("href"));
  });
  for (const b of el.files.querySelectorAll("th button")) {
    b.addEventListener("click", () => {
      if (browse.sort === b.dataset.sort) browse.desc = !browse.desc;
      else [browse.sort, browse.desc] = [b.dataset.sort, b.dataset.sort === "mtime"];
      store.set("sort", browse.sort);
      store.set("desc", browse.desc ? "1" : "0");
      renderFiles();
    });
  }
}
