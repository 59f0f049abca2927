// The timeline strip above the lines: an SVG bar chart of lines per time bucket over the whole
// file (the timeline API), the current search's matches (or the level selector's lines: its
// errors, say) as a second series, a marker where the view is, the bucket's time and counts
// on hover, and a click or drag that jumps to a bucket.
// Refreshed every REFRESH_MS while the page is visible; hidden for a file without stamps.

import { el, show, formatCount } from "../dom.js";
import { fetchTimeline } from "../api.js";
import { view } from "./state.js";

const SVG = "http://www.w3.org/2000/svg";
const REFRESH_MS = 30000;
/** Chart height in viewBox units (the width is one unit per bucket). */
const H = 100;

/** How a jump is made: `openAt(anchor, options)`. */
const actions = { openAt: async () => false };

const t = {
  gen: 0,
  timer: 0,
  /** The last answer shown, or null. */
  data: null,
  /** `{q?, regex?, level?}` of the search whose matches are drawn, or null. */
  query: null,
  /** The time of the line in the middle of the view (ms), or null. */
  where: null,
  dragging: false,
  marker: null,
};

const pad = (n) => String(n).padStart(2, "0");

/** A bucket's start as the logs write it: UTC, to the second. */
function formatStamp(ms) {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

export function startTimeline() {
  stopTimeline();
  t.data = null;
  t.query = null;
  t.where = null;
  el.tlChart.replaceChildren();
  show(el.timeline, false);
  refresh();
  t.timer = setInterval(() => {
    if (!document.hidden) refresh();
  }, REFRESH_MS);
}

export function stopTimeline() {
  clearInterval(t.timer);
  t.timer = 0;
  t.gen++;
}

/** Draws the matches of `query` (null: none) as a second series, fetched again. */
export function setTimelineQuery(query) {
  t.query = query;
  refresh();
}

/** The time of the line in the middle of the view (null: unknown): where the marker goes. */
export function markTime(ms) {
  if (ms === t.where) return;
  t.where = ms;
  placeMarker();
}

function bucketCount() {
  const width = el.viewer.clientWidth || 1200;
  return Math.max(20, Math.min(2000, Math.round(width / 8)));
}

/** Asks for the counts again (the level selector changed, or the refresh is due). */
export async function refresh() {
  if (!view.path) return;
  const gen = ++t.gen;
  const path = view.path;
  const params = { buckets: String(bucketCount()) };
  if (t.query) Object.assign(params, t.query);
  if (view.level) params.level = view.level;
  try {
    const data = await fetchTimeline(path, params);
    if (gen !== t.gen || path !== view.path) return;
    t.data = data;
    draw();
  } catch {
    // A refused or failed refresh keeps what is shown; the next one tries again.
  }
}

function rect(className, x, w, h) {
  const r = document.createElementNS(SVG, "rect");
  r.setAttribute("class", className);
  r.setAttribute("x", x);
  r.setAttribute("width", w);
  r.setAttribute("y", H - h);
  r.setAttribute("height", h);
  return r;
}

/** Lines on one scale, matches on their own (so that rare matches still show where they are). */
function draw() {
  const buckets = t.data?.buckets ?? [];
  show(el.timeline, buckets.length > 0);
  el.timeline.dataset.buckets = buckets.length;
  if (!buckets.length) return el.tlChart.replaceChildren();
  const n = buckets.length;
  el.tlChart.setAttribute("viewBox", `0 0 ${n} ${H}`);
  const maxLines = Math.max(1, ...buckets.map((b) => b.lines));
  const withMatches = buckets.some((b) => typeof b.matches === "number");
  const maxMatches = Math.max(1, ...buckets.map((b) => b.matches ?? 0));
  const frag = document.createDocumentFragment();
  buckets.forEach((b, i) => {
    const h = b.lines ? Math.max(2, (H * b.lines) / maxLines) : 0;
    frag.append(rect("bar", i + 0.08, 0.84, h));
    if (withMatches && b.matches) frag.append(rect("hit", i + 0.25, 0.5, Math.max(4, (H * b.matches) / maxMatches)));
  });
  t.marker = document.createElementNS(SVG, "line");
  t.marker.setAttribute("class", "where");
  t.marker.setAttribute("y1", 0);
  t.marker.setAttribute("y2", H);
  t.marker.setAttribute("vector-effect", "non-scaling-stroke");
  frag.append(t.marker);
  el.tlChart.replaceChildren(frag);
  el.timeline.dataset.matches = withMatches ? t.data.matches ?? "" : "";
  placeMarker();
}

function placeMarker() {
  const buckets = t.data?.buckets;
  if (!t.marker || !buckets?.length) return;
  const x = t.where === null ? null : (t.where - buckets[0].t) / t.data.width;
  const visible = x !== null && x >= 0 && x <= buckets.length;
  t.marker.style.display = visible ? "" : "none";
  if (visible) {
    t.marker.setAttribute("x1", x);
    t.marker.setAttribute("x2", x);
  }
}

/** The bucket under the pointer: its index, clamped to the chart. */
function bucketAt(e) {
  const box = el.tlChart.getBoundingClientRect();
  const n = t.data?.buckets.length ?? 0;
  return Math.min(n - 1, Math.max(0, Math.floor(((e.clientX - box.left) / box.width) * n)));
}

function showTip(e) {
  const i = bucketAt(e);
  const b = t.data?.buckets[i];
  if (!b) return;
  const parts = [formatStamp(b.t), `${formatCount(b.lines)} ${b.lines === 1 ? "line" : "lines"}`];
  if (typeof b.matches === "number") parts.push(`${formatCount(b.matches)} ${b.matches === 1 ? "match" : "matches"}`);
  el.tlTip.textContent = parts.join(" · ");
  el.tlTip.dataset.i = i;
  show(el.tlTip, true);
  // Centred on the pointer, kept within the strip.
  const box = el.timeline.getBoundingClientRect();
  const w = el.tlTip.offsetWidth;
  el.tlTip.style.left = `${Math.max(0, Math.min(box.width - w, e.clientX - box.left - w / 2))}px`;
}

/** Opens the window at bucket `i`: where its first line starts, else its time. */
function jump(i) {
  const b = t.data?.buckets[i];
  if (!b) return;
  const d = new Date(b.t);
  const time = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}Z`;
  actions.openAt(b.offset !== null && b.offset !== undefined ? { from: b.offset } : { time }, { target: "first" });
}

export function setupTimeline(a) {
  Object.assign(actions, a);
  const chart = el.tlChart;
  chart.addEventListener("pointerdown", (e) => {
    if (e.button !== 0 || !t.data) return;
    t.dragging = true;
    chart.setPointerCapture(e.pointerId);
    showTip(e);
  });
  chart.addEventListener("pointermove", showTip);
  chart.addEventListener("pointerup", (e) => {
    if (!t.dragging) return;
    t.dragging = false;
    jump(bucketAt(e));
  });
  chart.addEventListener("pointercancel", () => {
    t.dragging = false;
  });
  chart.addEventListener("pointerleave", () => {
    if (!t.dragging) show(el.tlTip, false);
  });
}
