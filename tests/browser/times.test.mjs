// The time column (issue 13): local, UTC or "ago", kept in the address; live lines' own
// stamps read from their text in the common forms, else their arrival marked with `~`.

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

scenario("live lines' stamps are read from their text and shown in UTC, local time or as ago", async (fx) => {
  const file = fx.write("app.log", "first\n");
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(viewerUrl(server, file, "?time=1&clock=utc"));
  await waitLive(page);
  await waitLineCount(page, 1);
  assert.equal(await page.inputValue("#clock"), "utc");
  const json = ['{"ts":"2026-11-28T10:00:09.5Z","msg":"json iso"}', '{"time":1795860010,"msg":"json epoch"}'];
  fs.appendFileSync(file, [...LIVE, ...json].join("\n") + "\n");
  await waitLineCount(page, 1 + LIVE.length + json.length);
  // A JSON line's time is its object's time key (a stamp, or epoch seconds).
  const jsonTimes = await page.$$eval("#log .line.json", (els) => els.map((e) => e.dataset.t));
  assert.deepEqual(jsonTimes, ["10:00:09.500Z", new Date(1795860010 * 1000).toISOString().slice(11, 23) + "Z"]);

  let t = await times(page);
  assert.equal(t[LIVE[0]], "10:00:01.250Z");
  assert.equal(t[LIVE[1]], "10:00:02.000Z");
  assert.equal(t[LIVE[2]], "03:14:00.000Z");
  assert.match(t[LIVE[5]], /^~\d\d:\d\d:\d\d\.\d{3}Z$/, "no stamp: its arrival, marked");

  // Local: a stamp without a zone reads as written.
  await page.selectOption("#clock", "local");
  assert.equal(new URL(page.url()).searchParams.get("clock"), null);
  t = await times(page);
  assert.equal(t[LIVE[3]], "10:00:03.500");
  assert.equal(t[LIVE[4]], "03:14:05.000");
  const local = await page.evaluate(() => {
    const d = new Date(Date.UTC(2026, 10, 28, 10, 0, 1, 250));
    const p = (n, w = 2) => String(n).padStart(w, "0");
    return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
  });
  assert.equal(t[LIVE[0]], local);

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
