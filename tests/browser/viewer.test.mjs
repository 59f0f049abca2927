// The viewer: history with colours, live lines, the filter, pause, and markup safety.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { scenario, waitFor, waitLive, waitLineCount, lineTexts, encodePath, visibleLines, waitVisible } from "./helpers.mjs";

function viewerUrl(server, file) {
  return server.url.replace(/\/$/, "") + encodePath(file);
}

scenario("a deep link shows the history with ANSI colours", async (fx) => {
  const file = fx.write("colours.log", "plain start\n\x1b[31mred\x1b[0m then plain\n\x1b[1;32mbold green\x1b[0m\n");
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(viewerUrl(server, file));
  await waitLive(page);
  await waitLineCount(page, 3);
  assert.deepEqual(await lineTexts(page), ["plain start", "red then plain", "bold green"]);
  assert.match(await page.title(), /colours\.log/);

  const red = await page.$eval("#log .line:nth-child(2) span", (s) => ({
    style: s.getAttribute("style"),
    text: s.textContent,
    color: getComputedStyle(s).color,
  }));
  assert.equal(red.text, "red");
  assert.match(red.style, /--lv-red/);
  const [r, g, b] = red.color.match(/\d+/g).map(Number);
  assert.ok(r > 150 && r > g + 80 && r > b + 80, `computed colour ${red.color} is red`);
  const plain = await page.$eval("#log .line", (l) => getComputedStyle(l).color);
  assert.notEqual(plain, red.color);
  const mono = await page.$eval("#log", (l) => getComputedStyle(l).fontFamily);
  assert.match(mono, /mono/i);
});

scenario("a line appended to the file appears live", async (fx) => {
  const file = fx.write("live.log", "first\n");
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(viewerUrl(server, file));
  await waitLive(page);
  await waitLineCount(page, 1);
  fs.appendFileSync(file, "second, appended\n");
  await waitLineCount(page, 2);
  fs.appendFileSync(file, "third ");
  fs.appendFileSync(file, "in two writes\n");
  await waitLineCount(page, 3);
  assert.deepEqual(await lineTexts(page), ["first", "second, appended", "third in two writes"]);
});

scenario("the filter hides other lines and marks matches; /regex/ works", async (fx) => {
  const file = fx.write(
    "filter.log",
    ["alpha Error one", "beta info two", "\x1b[31mgamma ERROR\x1b[0m three error", "delta debug"].join("\n") + "\n",
  );
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(viewerUrl(server, file));
  await waitLive(page);
  await waitLineCount(page, 4);

  // Plain text, case-insensitive, history lines included.
  await page.fill("#filter", "error");
  await waitVisible(page, "lines with 'error'", ["alpha Error one", "gamma ERROR three error"]);
  const marks = await page.$$eval("#log .line mark", (ms) => ms.map((m) => m.textContent));
  assert.deepEqual(marks, ["Error", "ERROR", "error"]);
  assert.equal(await page.$$eval("#log .line:not(.miss) span mark", (ms) => ms.length), 1, "marks go inside colour spans");

  // New lines are filtered as they arrive.
  fs.appendFileSync(file, "epsilon error late\nzeta nothing\n");
  await waitLineCount(page, 6);
  await waitVisible(page, "the late match", ["alpha Error one", "gamma ERROR three error", "epsilon error late"]);

  // A regular expression.
  await page.fill("#filter", "/^(beta|delta)\\b/");
  await waitVisible(page, "regex matches", ["beta info two", "delta debug"]);
  assert.deepEqual(await page.$$eval("#log .line mark", (ms) => ms.map((m) => m.textContent)), ["beta", "delta"]);
  assert.equal(await page.getAttribute("#filter", "aria-invalid"), "false");

  // An invalid one is an error state with its reason, not an exception; the last valid filter
  // stays applied meanwhile.
  await page.fill("#filter", "/(unclosed/");
  await waitFor(page, "the invalid state", () => document.getElementById("filter").classList.contains("invalid"));
  assert.equal(await page.getAttribute("#filter", "aria-invalid"), "true");
  assert.match(await page.textContent("#filter-error"), /^invalid regex: /);
  assert.deepEqual(await visibleLines(page), ["beta info two", "delta debug"]);

  // Clearing restores every line without marks, and the text is unchanged.
  await page.fill("#filter", "");
  await waitFor(page, "the valid state", () => !document.getElementById("filter").classList.contains("invalid"));
  assert.equal((await visibleLines(page)).length, 6);
  assert.equal(await page.$$eval("#log mark", (ms) => ms.length), 0);
  assert.equal((await lineTexts(page))[2], "gamma ERROR three error");
  assert.equal(await page.$$eval("#log .line:nth-child(3) span[style]", (s) => s.length), 1, "colours survive");

  // "/" focuses the filter.
  await page.locator("#log").focus();
  await page.keyboard.press("/");
  assert.equal(await page.evaluate(() => document.activeElement.id), "filter");
});

scenario("pause holds new lines, counts them, and resume shows them in order", async (fx) => {
  const file = fx.write("pause.log", "one\ntwo\nthree\n");
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(viewerUrl(server, file));
  await waitLive(page);
  await waitLineCount(page, 3);

  await page.click("#pause");
  assert.equal(await page.getAttribute("#pause", "aria-pressed"), "true");
  const more = Array.from({ length: 7 }, (_, i) => `held ${i + 1}`);
  fs.appendFileSync(file, more.slice(0, 4).join("\n") + "\n");
  fs.appendFileSync(file, more.slice(4).join("\n") + "\n");
  await waitFor(page, "7 waiting", () => document.getElementById("pending-count").dataset.count === "7");
  assert.match(await page.textContent("#pending-count"), /\b7\b/);
  assert.ok(await page.isVisible("#pending-count"));
  assert.equal((await lineTexts(page)).length, 3, "nothing is shown while paused");

  // Space (outside inputs) resumes.
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press("Space");
  await waitLineCount(page, 10);
  assert.deepEqual(await lineTexts(page), ["one", "two", "three", ...more]);
  assert.equal(await page.getAttribute("#pause", "aria-pressed"), "false");
  assert.ok(!(await page.isVisible("#pending-count")));

  // Space typed into the filter box does not pause.
  await page.focus("#filter");
  await page.keyboard.press("Space");
  assert.equal(await page.getAttribute("#pause", "aria-pressed"), "false");
});

scenario("log content and file names are never markup", async (fx) => {
  const evil = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=2">',
    "\x1b[31m<b>bold?</b>\x1b[0m & &amp; &lt;",
  ];
  const file = fx.write("<b>evil.log", evil.join("\n") + "\n");
  fx.write("<img src=x onerror=window.__xss=3>.log", "x\n");
  const server = await fx.server();
  const page = await fx.page();

  await page.goto(server.url);
  await waitFor(page, "the listing", () => document.querySelectorAll("#files tr.entry").length === 2);
  const names = await page.$$eval("#files tr.entry td.name", (tds) => tds.map((td) => td.textContent));
  assert.deepEqual(names, ["<b>evil.log", "<img src=x onerror=window.__xss=3>.log"]);
  assert.equal(await page.$$eval("#files b, #files img", (els) => els.length), 0);

  await page.click("#files tr.entry a >> nth=0");
  await waitLive(page);
  await waitLineCount(page, 3);
  assert.deepEqual(await lineTexts(page), ["<script>window.__xss=1</script>", '<img src=x onerror="window.__xss=2">', "<b>bold?</b> & &amp; &lt;"]);
  assert.equal(await page.$$eval("#log script, #log img, #log b", (els) => els.length), 0);
  assert.match(await page.title(), /<b>evil\.log/);
  assert.equal(await page.textContent("#where"), path.join(fx.root, "<b>evil.log"));
  assert.equal(await page.$$eval("#where *", (els) => els.length), 0);

  // Highlighting works on text, so a filter cannot build markup either.
  await page.fill("#filter", "img");
  await waitFor(page, "the highlight", () => document.querySelectorAll("#log mark").length === 1);
  await page.fill("#filter", "/<.*>/");
  await waitFor(page, "three highlights", () => document.querySelectorAll("#log mark").length === 3);
  assert.equal(await page.$$eval("#log script, #log img, #log b", (els) => els.length), 0);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
});
