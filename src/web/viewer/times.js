// The time column: how a line's time reads (the browser's local zone, UTC, or how long ago,
// kept in the address as `clock=`; local when absent), and the stamp of a live line, which
// the stream does not tell, read from the line's own text when its row is made: one anchored
// regex per row, no layout reads. Forms: ISO 8601 / RFC 3339 (with or without a zone; without
// one it is local time), `YYYY-MM-DD HH:MM:SS[.,fff]`, syslog `Nov 25 03:14:00` (this year),
// and nginx's access log `[25/Nov/2026:03:14:00 +0000]` after the client and user fields
// (a JSON line's time key is read by json.js, through stampOf).

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
export const CLOCKS = ["local", "utc", "ago"];
/** How often "ago" times move on. */
const AGO_TICK_MS = 5000;

/** A stamp at the start of a line's text, after its tags (entry marker, a merged view's tag, a colour). */
const STAMP = new RegExp(
  "^(?:<[^>]*>)*\\[?(?:" +
    // 1-8: ISO 8601 / RFC 3339 and `YYYY-MM-DD HH:MM:SS[.,fff]`, zone optional
    "(\\d{4})-(\\d\\d)-(\\d\\d)[T ](\\d\\d):(\\d\\d):(\\d\\d)(?:[.,](\\d{1,9}))?(Z|[+-]\\d\\d:?\\d\\d)?" +
    // 9-13: syslog
    "|([A-Z][a-z]{2}) {1,2}(\\d{1,2}) (\\d\\d):(\\d\\d):(\\d\\d)" +
    // 14-20: nginx access log
    "|\\S+ \\S+ \\S+ \\[(\\d\\d)/([A-Z][a-z]{2})/(\\d{4}):(\\d\\d):(\\d\\d):(\\d\\d) ([+-]\\d{4})\\]" +
    ")",
);

const int = (s) => Number(s);

/** Milliseconds of a `Z`, `+HH:MM` or `+HHMM` zone east of UTC. */
function zoneMs(zone) {
  if (zone === "Z") return 0;
  const digits = zone.replace(":", "");
  const mins = int(digits.slice(1, 3)) * 60 + int(digits.slice(3, 5));
  return (zone[0] === "-" ? -1 : 1) * mins * 60000;
}

/** A wall-clock time in `zone` (undefined: the browser's local zone) as epoch milliseconds. */
function wallClock(y, mo, d, h, mi, s, ms, zone) {
  if (zone === undefined) return new Date(y, mo, d, h, mi, s, ms).getTime();
  return Date.UTC(y, mo, d, h, mi, s, ms) - zoneMs(zone);
}

/** A syslog stamp has no year: this year's, unless that lies more than a day ahead. */
function syslogYear(mo, d) {
  const now = new Date();
  const y = now.getFullYear();
  return new Date(y, mo, d).getTime() > now.getTime() + 86400000 ? y - 1 : y;
}

/** The time a line's server HTML starts with (after its tags), as epoch ms, or null. */
export function stampOf(html) {
  const m = STAMP.exec(html);
  if (!m) return null;
  let t;
  if (m[1]) {
    const ms = m[7] ? int(m[7].slice(0, 3).padEnd(3, "0")) : 0;
    t = wallClock(int(m[1]), int(m[2]) - 1, int(m[3]), int(m[4]), int(m[5]), int(m[6]), ms, m[8]);
  } else if (m[9]) {
    const mo = MONTHS.indexOf(m[9]);
    if (mo < 0) return null;
    t = wallClock(syslogYear(mo, int(m[10])), mo, int(m[10]), int(m[11]), int(m[12]), int(m[13]), 0, undefined);
  } else {
    const mo = MONTHS.indexOf(m[15]);
    if (mo < 0) return null;
    t = wallClock(int(m[16]), mo, int(m[14]), int(m[17]), int(m[18]), int(m[19]), 0, m[20]);
  }
  return Number.isFinite(t) ? t : null;
}

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

/** The column's label: the line's own time, else `~` and when it arrived, else nothing. */
export function timeLabel(own, arrived) {
  if (own !== null) return timeText(own);
  return arrived === null ? "" : "~" + timeText(arrived);
}
