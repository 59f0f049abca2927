// Compressed (.gz) members of a rotated family: opened from the listing, their lines shown and
// the status saying they are not followed; a damaged one ends with a marker giving the reason.

import assert from "node:assert/strict";
import zlib from "node:zlib";
import { scenario, waitFor, lineTexts } from "./helpers.mjs";

const numbered = (name, n) => Array.from({ length: n }, (_, i) => `${name} line ${i + 1}`).join("\n") + "\n";

function waitState(page, state) {
  return waitFor(page, `status ${state}`, (s) => document.getElementById("status").dataset.state === s, state);
}

scenario("a compressed member opens from the listing, shown but not followed; a damaged one says why", async (fx) => {
  fx.write("app.log", "today\n");
  fx.write("app.log.1", "yesterday\n");
  fx.write("app.log.2.gz", zlib.gzipSync(numbered("old <b>two</b>", 30)));
  // A gzip cut short: the lines before the cut can be read, then the stream ends too early.
  const whole = zlib.gzipSync(numbered("older", 5000), { level: 1 });
  fx.write("app.log.3.gz", whole.subarray(0, Math.floor(whole.length / 2)));
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(server.url);
  await page.click("#files button.family");
  await page.click("#files tr.member a:text-is('app.log.2.gz')");
  await waitState(page, "compressed");
  assert.equal(await page.textContent("#status"), "not followed (compressed)");
  await waitFor(page, "the member's lines", () => document.querySelectorAll("#log .line").length === 30);
  const texts = await lineTexts(page);
  assert.equal(texts[0], "old <b>two</b> line 1");
  assert.equal(texts[29], "old <b>two</b> line 30");
  assert.equal(await page.$$eval("#log b", (b) => b.length), 0, "markup stays text");
  assert.equal(await page.$$eval("#log .marker", (m) => m.length), 0, "an intact file has no marker");

  // Back in the listing the family stays unfolded.
  await page.goBack();
  await page.click("#files tr.member a:text-is('app.log.3.gz')");
  await waitFor(page, "the damage marker", () => document.querySelector("#log .marker.damaged") !== null);
  await waitState(page, "compressed");
  const marker = await page.textContent("#log .marker.damaged");
  assert.match(marker, /file is damaged: \S/);
  const order = await page.$$eval("#log .line, #log .marker", (els) => els.map((e) => (e.classList.contains("marker") ? "marker" : "line")));
  assert.equal(order[order.length - 1], "marker", "the marker ends the history");
  assert.ok(order.length > 1, "the lines before the damage are shown");
  assert.match((await lineTexts(page))[0], /^older line \d+$/);
});
