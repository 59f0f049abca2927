// The time column: how a line's time reads (the browser's local zone, UTC, or how long ago,
// kept in the address as `clock=`; local when absent). The time itself is the server's: the
// stream's entry marker (`data-time`) or the lines API's `time`.

export const CLOCKS = ["local", "utc", "ago"];
/** How often "ago" times move on. */
const AGO_TICK_MS = 5000;

let clock = "local";
let ticker = 0;
/** Relabels the shown times ("ago" moves on by itself). */
let relabel = () => {};

/** Sets the clock (unknown values: local); `onTick`: what relabels the times. */
export function setClock(value, onTick = relabel) {
  clock = CLOCKS.includes(value) ? value : "local";
  relabel = onTick;
  clearInterval(ticker);
  if (clock === "ago") ticker = setInterval(() => document.hidden || relabel(), AGO_TICK_MS);
  relabel();
  return clock;
}

export const currentClock = () => clock;

const pad = (n, w = 2) => String(n).padStart(w, "0");

/** `ms` as HH:MM:SS.mmm in the local zone or, with `Z`, in UTC. */
function clockText(ms, utc) {
  const d = new Date(ms);
  const [h, m, s, f] = utc
    ? [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()]
    : [d.getHours(), d.getMinutes(), d.getSeconds(), d.getMilliseconds()];
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(f, 3)}${utc ? "Z" : ""}`;
}

/** How long before `now` `ms` was: "12 s ago", "3 min ago", "2 h ago", "4 d ago". */
export function agoText(ms, now = Date.now()) {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** A time as the column shows it, for the clock chosen. */
export function timeText(ms) {
  if (clock === "ago") return agoText(ms);
  return clockText(ms, clock === "utc");
}

/** A time with its date (YYYY-MM-DD before the clock's time), for the clock chosen. */
export function dateTimeText(ms) {
  if (clock === "ago") return agoText(ms);
  const d = new Date(ms);
  const utc = clock === "utc";
  const [y, mo, day] = utc ? [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()] : [d.getFullYear(), d.getMonth(), d.getDate()];
  return `${y}-${pad(mo + 1)}-${pad(day)} ${clockText(ms, utc)}`;
}

/** The column's label: the line's own time, else `~` and when it arrived, else nothing. */
export function timeLabel(own, arrived) {
  if (own !== null) return timeText(own);
  return arrived === null ? "" : "~" + timeText(arrived);
}
