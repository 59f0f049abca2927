// The time column (issue 13): local, UTC or "ago", kept in the address; a line's own time as
// the server reads its stamp (the stream's `data-time`, the lines API's `time`: stamps without
// a zone in the server's zone), else its arrival marked with `~`.

import assert from "node:assert/strict";
import fs from "node:fs";
import { scenario, waitFor, waitLive, waitLineCount, encodePath } from "./helpers.mjs";

function viewerUrl(server, file, query = "") {
  return server.url.replace(/\/$/, "") + encodePath(file) + query;
}

/** The time column of each line, by the line's text. */
function times(page) {
  return page.$$eval("#log .line", (els) => Object.fromEntries(els.map((e) => [e.textContent, e.dataset.t])));
}

const LIVE = [
  "2026-11-28T10:00:01.250Z INFO iso zulu",
  "2026-11-28T12:00:02+02:00 INFO iso offset",
  '10.0.0.1 - - [28/Nov/2026:03:14:00 +0000] "GET / HTTP/1.1" 200 12',
  "2026-11-28 10:00:03,500 WARN zoneless comma",
  "Nov 28 03:14:05 host app[12]: syslog",
  "no stamp here",
];

/** `ms` as the time column shows it with `clock=utc`. */
const utc = (ms) => new Date(ms).toISOString().slice(11, 23) + "Z";

scenario("lines show the server's reading of their stamps, in UTC, the browser's zone or as ago", async (fx) => {
  const file = fx.write("app.log", "first\n");
  // The server's zone is 9 h east of UTC (a POSIX rule), the browser's 5 h west: a stamp
  // without a zone is the server's wall clock, whatever zone the browser is in.
  const server = await fx.server({ env: { TZ: "XXX-9" } });
  const page = await fx.page({ timezoneId: "Etc/GMT+5" });
  await page.goto(viewerUrl(server, file, "?time=1&clock=utc"));
  await waitLive(page);
  await waitLineCount(page, 1);
  assert.equal(await page.inputValue("#clock"), "utc");
  const json = ['{"ts":"2026-11-28T10:00:09.5Z","msg":"json iso"}', '{"time":1795860010,"msg":"json epoch"}'];
  fs.appendFileSync(file, [...LIVE, ...json].join("\n") + "\n");
  await waitLineCount(page, 1 + LIVE.length + json.length);
  // A JSON line's time is its object's time key (a stamp, or epoch seconds).
  const jsonTimes = await page.$$eval("#log .line.json", (els) => els.map((e) => e.dataset.t));
  assert.deepEqual(jsonTimes, ["10:00:09.500Z", utc(1795860010 * 1000)]);

  let t = await times(page);
  assert.equal(t[LIVE[0]], "10:00:01.250Z");
  assert.equal(t[LIVE[1]], "10:00:02.000Z");
  assert.equal(t[LIVE[2]], "03:14:00.000Z");
  assert.equal(t[LIVE[3]], "01:00:03.500Z", "10:00 on the server's clock (UTC+9)");
  assert.equal(t[LIVE[4]], "18:14:05.000Z", "syslog: the server's clock, the day before in UTC");
  assert.match(t[LIVE[5]], /^~\d\d:\d\d:\d\d\.\d{3}Z$/, "no stamp: its arrival, marked");

  // Streamed rows and the lines API (scrolled-back rows) tell the same times.
  const api = await page.evaluate(async (path) => {
    const r = await fetch(`/_logview/api/lines?path=${encodeURIComponent(path)}&lines=50&from=0`);
    return (await r.json()).lines.map((l) => l.time ?? null);
  }, file);
  const rows = await page.$$eval("#log .line", (els) => els.map((e) => e.dataset.t));
  assert.deepEqual(
    rows.map((r) => (r.startsWith("~") ? null : r)),
    api.map((ms) => (ms === null ? null : utc(ms))),
  );

  // Local: the browser's zone (UTC-5).
  await page.selectOption("#clock", "local");
  assert.equal(new URL(page.url()).searchParams.get("clock"), null);
  t = await times(page);
  assert.equal(t[LIVE[0]], "05:00:01.250");
  assert.equal(t[LIVE[3]], "20:00:03.500");
  assert.equal(t[LIVE[4]], "13:14:05.000");

  // Ago, kept in the address and over a reload.
  await page.selectOption("#clock", "ago");
  assert.equal(new URL(page.url()).searchParams.get("clock"), "ago");
  t = await times(page);
  assert.match(t[LIVE[5]], /^~\d+ s ago$/);
  assert.match(t[LIVE[0]], /^\d+ (s|min|h|d) ago$/);
  await page.reload();
  await waitLive(page);
  assert.equal(await page.inputValue("#clock"), "ago");
});
