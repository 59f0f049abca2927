// Searching the whole file and the timeline strip: results newest first with a count and
// "older matches" (no duplicates), opening a match, n / N, Esc cancelling a long scan, matched
// markup shown as text, the cap on rendered results, and the timeline's bars, hover and jumps.

import assert from "node:assert/strict";
import fs from "node:fs";
import { scenario, waitFor, waitLive, encodePath } from "./helpers.mjs";

function viewerUrl(server, file) {
  return server.url.replace(/\/$/, "") + encodePath(file);
}

const DAY = Date.UTC(2026, 10, 28);
const stamp = (ms) => new Date(ms).toISOString().slice(0, 19) + "Z";
const PAYLOAD = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`;

/**
 * 50,000 lines, one a second from 2026-11-28 00:00:00Z: `STAMP event I needle|hay`, with
 * `needle` on every 70th line (715 of them); the newest match carries an HTML/JS payload.
 */
function stampedFile(fx, name) {
  const lines = new Array(50000);
  for (let i = 0; i < 50000; i++) {
    const hit = i % 70 === 0;
    lines[i] = `${stamp(DAY + i * 1000)} event ${i} ${hit ? "needle" : "hay"}${i === 49980 ? " " + PAYLOAD : ""}`;
  }
  return fx.write(name, lines.join("\n") + "\n");
}
const MATCHES = Array.from({ length: 715 }, (_, k) => 49980 - 70 * k);

/** The results shown: the event number in each one's text, its number and marks. */
function results(page) {
  return page.$$eval("#search-results li", (els) =>
    els.map((e) => ({
      event: Number(/ event (\d+) /.exec(e.textContent)?.[1]),
      n: e.dataset.n,
      marks: [...e.querySelectorAll("mark")].map((m) => m.textContent),
    })),
  );
}

const searchDone = (page, count) =>
  waitFor(page, `the search done with ${count} matches`, (c) => {
    const s = document.getElementById("search-status");
    return s.dataset.state === "done" && s.dataset.count === String(c) && document.querySelectorAll("#search-results li").length === c;
  }, count);

const targetEvent = (page, ev) =>
  waitFor(page, `event ${ev} marked`, (ev) => new RegExp(` event ${ev} `).test(document.querySelector("#log .line.target")?.textContent ?? ""), ev);

/** The page of `file`, live, with a whole-file search for `query` started. */
async function searchIn(fx, file, query) {
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(viewerUrl(server, file));
  await waitLive(page);
  await page.fill("#filter", query);
  await page.press("#filter", "Enter");
  return page;
}

const openSearch = (fx) => searchIn(fx, stampedFile(fx, "stamped.log"), "NEEDLE");

scenario("search: newest first with a count; older matches give the rest once; markup is text", async (fx) => {
  const page = await openSearch(fx);
  await searchDone(page, 500);
  assert.match(await page.textContent("#search-status"), /500 matches · older matches remain/);
  let rows = await results(page);
  assert.deepEqual(rows.map((r) => r.event), MATCHES.slice(0, 500), "the 500 newest matches, newest first");
  for (const r of rows) assert.deepEqual(r.marks, ["needle"], `event ${r.event}: the match is marked`);
  for (const r of rows) if (r.n) assert.equal(Number(r.n), r.event + 1, "the line number shown is the line's");
  // The line's date and time in the time column's clock (the browser's zone: no clock= in
  // the address), and again when the clock changes.
  const local = await page.evaluate((ms) => {
    const d = new Date(ms);
    const p = (n, w = 2) => String(n).padStart(w, "0");
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
  }, DAY + 49980 * 1000);
  assert.equal(await page.textContent("#search-results li .time"), local, "the line's time");
  await page.selectOption("#clock", "utc");
  assert.equal(await page.textContent("#search-results li .time"), "2026-11-28 13:53:00.000Z", "relabelled in UTC");
  await page.selectOption("#clock", "local");

  // The payload in the newest match is text, not markup.
  const first = await page.textContent("#search-results li .text");
  assert.ok(first.includes(PAYLOAD), "the payload is shown as text");
  assert.equal(await page.locator("#search-results img, #search-results script").count(), 0, "no element injected");
  assert.equal(await page.evaluate(() => window.__pwned), undefined, "no script ran");

  await page.click("#search-more");
  await searchDone(page, 715);
  rows = await results(page);
  assert.deepEqual(rows.map((r) => r.event), MATCHES, "every match once, newest first");
  assert.match(await page.textContent("#search-status"), /715 matches · whole file searched/);
  assert.ok(await page.isHidden("#search-more"), "nothing older to ask for");
  assert.equal(await page.locator("#log img, #log script").count(), 0, "no element injected in the view");
});

scenario("search: a click opens the line in the file, marked; n / N move between matches", async (fx) => {
  const page = await openSearch(fx);
  await searchDone(page, 500);

  await page.click("#search-results li:nth-child(4)");
  await targetEvent(page, MATCHES[3]);
  const inView = await page.evaluate(() => {
    const log = document.getElementById("log").getBoundingClientRect();
    const r = document.querySelector("#log .line.target").getBoundingClientRect();
    return r.top >= log.top && r.bottom <= log.bottom;
  });
  assert.ok(inView, "the line is in view");
  // The filter (the query) leaves the other lines in view, dimmed, as context.
  const around = await page.$$eval("#log .line", (els) => els.filter((e) => getComputedStyle(e).display !== "none").length);
  assert.ok(around > 50, `context around it (${around} lines shown)`);
  assert.equal(await page.getAttribute("#search-results li.current", "data-i"), "3");

  await page.locator("#log").focus();
  await page.keyboard.press("n");
  await targetEvent(page, MATCHES[4]);
  await page.keyboard.press("Shift+N");
  await targetEvent(page, MATCHES[3]);
  await page.keyboard.press("Shift+N");
  await targetEvent(page, MATCHES[2]);
  assert.equal(await page.getAttribute("#search-results li.current", "data-i"), "2");

  // Past the last result loaded, n fetches the older ones first.
  await page.click("#search-results li:last-child");
  await targetEvent(page, MATCHES[499]);
  await page.locator("#log").focus();
  await page.keyboard.press("n");
  await targetEvent(page, MATCHES[500]);
  await searchDone(page, 715);
  assert.equal(await page.getAttribute("#search-results li.current", "data-i"), "500");

  // Typing n in the filter box types it.
  await page.focus("#filter");
  await page.keyboard.press("n");
  assert.equal(await page.inputValue("#filter"), "NEEDLEn");
});

scenario("search: Esc cancels a long scan; the progress stops", async (fx) => {
  // About 120 MB that a slow regex takes seconds to scan (no line matches it).
  const line = Buffer.from("2026-11-28T00:00:00Z some filler text to scan id=00000000 abcdefghijklmnopqrstuvwxyz\n");
  const block = Buffer.concat(new Array(10000).fill(line));
  const file = `${fx.root}/big.log`;
  const fd = fs.openSync(file, "w");
  for (let i = 0; i < 140; i++) fs.writeSync(fd, block);
  fs.closeSync(fd);
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(viewerUrl(server, file));
  await waitLive(page);
  await page.fill("#filter", "/(\\w+ ){3}\\d+qq/");
  await page.click("#search-file");
  await waitFor(page, "the scan's progress", () => {
    const s = document.getElementById("search-status");
    return s.dataset.state === "running" && /scanned \d+%/.test(s.textContent);
  });
  await page.keyboard.press("Escape");
  await waitFor(page, "cancelled", () => document.getElementById("search-status").dataset.state === "cancelled");
  const said = await page.textContent("#search-status");
  assert.match(said, /^cancelled · 0 matches$/);
  assert.equal(await page.inputValue("#filter"), "/(\\w+ ){3}\\d+qq/", "Esc kept the query");
  await page.waitForTimeout(1000); // progress objects come every 250 ms while a scan runs
  assert.equal(await page.textContent("#search-status"), said, "no progress after cancelling");
  assert.ok(await page.isHidden("#search-cancel"));
  assert.ok(await page.isVisible("#search-more"), "the search can go on");
});

scenario("search: at most 2,000 results are rendered; n / N go on past them", async (fx) => {
  const lines = [];
  for (let i = 0; i < 3000; i++) lines.push(`row ${i} match`);
  const file = fx.write("many.log", lines.join("\n") + "\n");
  const page = await searchIn(fx, file, "match");
  for (let n = 500; n < 2000; n += 500) {
    await searchDone(page, n);
    await page.click("#search-more");
  }
  await searchDone(page, 2000);
  assert.ok(await page.isHidden("#search-note"));
  for (const n of [2500, 3000]) {
    await page.click("#search-more");
    await waitFor(page, `${n} results`, (n) => {
      const s = document.getElementById("search-status");
      return s.dataset.state === "done" && s.dataset.count === String(n);
    }, n);
  }
  assert.equal(await page.locator("#search-results li").count(), 2000, "2,000 rendered");
  assert.equal(await page.textContent("#search-note"), "Showing the first 2,000 matches; n / N go on through the other 1,000.");
  assert.match(await page.textContent("#search-status"), /3,000 matches · whole file searched/);

  await page.click("#search-results li:last-child");
  await waitFor(page, "row 1000", () => document.querySelector("#log .line.target")?.textContent === "row 1000 match");
  await page.locator("#log").focus();
  await page.keyboard.press("n");
  await waitFor(page, "row 999", () => document.querySelector("#log .line.target")?.textContent === "row 999 match");
  assert.equal(await page.locator("#search-results li.current").count(), 0, "not rendered, so none is current");
  await page.keyboard.press("Shift+N");
  await waitFor(page, "row 1000 again", () => document.querySelector("#log .line.target")?.textContent === "row 1000 match");
  assert.equal(await page.getAttribute("#search-results li.current", "data-i"), "1999");

  // Esc (not in a box, nothing running) closes the results.
  await page.keyboard.press("Escape");
  assert.ok(await page.isHidden("#search"));
  assert.equal(await page.locator("#log.context").count(), 0, "the filter hides other lines again");
});

scenario("timeline: a bar per bucket, hover says its counts, a click opens that time", async (fx) => {
  const file = stampedFile(fx, "stamped.log");
  fx.write("plain.log", "no time here\nnor here\n");
  const server = await fx.server();
  const page = await fx.page();
  const answer = page.waitForResponse((r) => r.url().includes("/_logview/api/timeline?"));
  await page.goto(viewerUrl(server, file));
  const data = await (await answer).json();
  await waitLive(page);
  assert.ok(data.buckets.length > 10, `${data.buckets.length} buckets`);
  await waitFor(page, "the strip", () => !document.getElementById("timeline").hidden);
  assert.equal(await page.locator("#tl-chart rect.bar").count(), data.buckets.length, "one bar per bucket");

  const k = Math.floor(data.buckets.length / 3);
  const b = data.buckets[k];
  const bar = await page.locator("#tl-chart rect.bar").nth(k).boundingBox();
  await page.mouse.move(bar.x + bar.width / 2, bar.y + bar.height - 2);
  await waitFor(page, "the tip", () => !document.getElementById("tl-tip").hidden);
  const tip = await page.textContent("#tl-tip");
  assert.equal(tip, `${stamp(b.t).slice(0, 19).replace("T", " ")} · ${b.lines.toLocaleString("en-US")} lines`);

  await page.mouse.down();
  await page.mouse.up();
  await waitFor(page, "the bucket's first line", (t) => document.querySelector("#log .line.target")?.textContent.startsWith(t), stamp(b.t));
  // The marker follows the view: the time of the line in its middle falls in that bucket.
  await waitFor(page, "the marker at the bucket", (k) => {
    const x = Number(document.querySelector("#tl-chart line.where")?.getAttribute("x1"));
    return x > k - 0.2 && x < k + 1;
  }, k);

  // A search draws its matches as a second series.
  await page.fill("#filter", "needle");
  await page.press("#filter", "Enter");
  await waitFor(page, "matches on the strip", () => document.querySelectorAll("#tl-chart rect.hit").length > 10);
  assert.equal(await page.getAttribute("#timeline", "data-matches"), "715");

  // A file without stamps has no strip.
  await page.goto(viewerUrl(server, `${fx.root}/plain.log`));
  await waitLive(page);
  await waitFor(page, "the timeline answer", () => document.getElementById("timeline").dataset.buckets === "0");
  assert.ok(await page.isHidden("#timeline"));
});

/** The lines of a Java stack trace logged at `ms`: its header (with markup in it), 12 frames, a cause. */
function javaTrace(ms) {
  const frames = Array.from({ length: 12 }, (_, k) => `\tat com.shop.Frame${k}.call(Frame${k}.java:${k + 1})`);
  return [
    `${stamp(ms)} ERROR [main] c.s.OrderService - order 42 failed <b>${PAYLOAD}</b>`,
    "java.lang.IllegalStateException: order failed",
    ...frames,
    "Caused by: java.lang.NullPointerException: cart is null",
    "\tat com.shop.Cart.total(Cart.java:17)",
    "\t... 5 more",
  ];
}

scenario("search: a match inside a stack trace shows its entry's first line; opening it shows that line", async (fx) => {
  const filler = (from, n) => Array.from({ length: n }, (_, i) => `${stamp(DAY + (from + i) * 1000)} INFO filler ${from + i}`);
  const trace = javaTrace(DAY + 3000 * 1000);
  const file = fx.write("java.log", [...filler(0, 3000), ...trace, ...filler(3001, 3000)].join("\n") + "\n");
  const page = await searchIn(fx, file, "NullPointerException");
  await searchDone(page, 1);

  const head = page.locator("#search-results li .entry-head");
  assert.equal(await head.textContent(), trace[0], "the entry's first line, as text");
  assert.equal(await page.locator("#search-results img, #search-results script, #search-results b").count(), 0, "no element injected");
  assert.equal(await page.evaluate(() => window.__pwned), undefined, "no script ran");
  const boxes = await page.$$eval("#search-results li > span", (els) => els.map((e) => ({ cls: e.className, top: e.getBoundingClientRect().top, shown: e.offsetParent !== null })));
  const headTop = boxes.find((b) => b.cls === "entry-head").top;
  const textTop = boxes.find((b) => b.cls === "text").top;
  assert.ok(headTop < textTop, "the header is above the matching line");

  await page.click("#search-results li");
  await waitFor(page, "the match marked", () => /^Caused by: java\.lang\.NullPointerException/.test(document.querySelector("#log .line.target")?.textContent ?? ""));
  const inView = (text) => page.evaluate((text) => {
    const log = document.getElementById("log").getBoundingClientRect();
    const row = [...document.querySelectorAll("#log .line")].find((e) => e.textContent === text);
    const r = row?.getBoundingClientRect();
    return !!r && r.top >= log.top && r.bottom <= log.bottom;
  }, text);
  const lines = await page.evaluate(() => document.getElementById("log").clientHeight / document.querySelector("#log .line").getBoundingClientRect().height);
  const gap = trace.length - 3;
  assert.ok(lines > gap + 1 && lines / 2 < gap, `a view of ${lines} lines: the header ${gap} lines above the match fits, but not above the middle`);
  assert.ok(await inView(trace[0]), "the entry's first line is in view");
  assert.ok(await inView(trace[trace.length - 3]), "the match is in view");
});

scenario("search: a coloured line's result reads as the page shows it: no escape codes, its match marked", async (fx) => {
  const file = fx.write("colour.log", "plain start\n\x1b[31mERROR\x1b[0m disk \x1b[1mfull\x1b[0m on /var\x07\n");
  const page = await searchIn(fx, file, "full");
  await searchDone(page, 1);
  assert.equal(await page.textContent("#search-results li .text"), "ERROR disk full on /var");
  assert.deepEqual(await page.$$eval("#search-results li mark", (els) => els.map((e) => e.textContent)), ["full"]);
});
