// Figures, not assertions: a 10-million-line file (about 600 MB) opened at `#L5000000`, then
// scrolled back through 100,000 lines with PageUp. Prints how long the line took to show
// (before and after the server's line index is complete), the longest gap between frames and
// the frames with nothing on screen while scrolling, and the page's JS heap and row count.
// Opt-in: LOGVIEW_MEASURE=1 (it writes the file into the fixture's temporary root).

import assert from "node:assert/strict";
import fs from "node:fs";
import { scenario, waitFor, encodePath } from "./helpers.mjs";

const LINES = 10_000_000;
const TARGET = 5_000_000;
const BACK = 100_000;

/** `NNNNNNNN payload…` lines, 60 bytes each, written in large blocks. */
function writeBigFile(path) {
  const fd = fs.openSync(path, "w");
  const block = 100_000;
  const pad = " measuring logview with a long file, one of many lines";
  for (let from = 1; from <= LINES; from += block) {
    let s = "";
    for (let n = from; n < from + block; n++) s += String(n).padStart(8, "0") + pad.slice(0, 51) + "\n";
    fs.writeSync(fd, s);
  }
  fs.closeSync(fd);
}

async function openAtTarget(page, url) {
  await page.goto("about:blank");
  const start = Date.now();
  await page.goto(`${url}#L${TARGET}`);
  await waitFor(page, `line ${TARGET}`, (t) => document.querySelector("#log .line.target")?.dataset.n === String(t), TARGET, 60000);
  return Date.now() - start;
}

async function indexed(page, file) {
  const api = `/_logview/api/lines?path=${encodeURIComponent(file)}&from=0&lines=1`;
  return page.evaluate(async (api) => (await (await fetch(api)).json()).indexed, api);
}

const run = process.env.LOGVIEW_MEASURE === "1" ? scenario : (name) => console.log(`# skipped (LOGVIEW_MEASURE=1 runs it): ${name}`);

run("figures: #L5000000 in a 10-million-line file, then PageUp through 100,000 lines", async (fx) => {
  const made = Date.now();
  const file = fx.root + "/ten-million.log";
  writeBigFile(file);
  console.log(`# wrote ${(fs.statSync(file).size / 1e6).toFixed(0)} MB in ${Date.now() - made} ms`);
  const server = await fx.server();
  const page = await fx.page({ width: 1200, height: 1600 });
  const url = server.url.replace(/\/$/, "") + encodePath(file);

  const cold = await openAtTarget(page, url);
  const waited = Date.now();
  let ready = await indexed(page, file);
  while (!ready && Date.now() - waited < 30000) {
    await new Promise((r) => setTimeout(r, 250));
    ready = await indexed(page, file);
  }
  const warm = await openAtTarget(page, url);
  console.log(`# #L${TARGET}: ${cold} ms first, ${warm} ms once indexed (index ${ready ? "complete" : "still incomplete"} after ${Date.now() - waited} ms more)`);
  const heapBefore = await page.evaluate(() => performance.memory.usedJSHeapSize);

  // Frames are watched in the page: the longest gap, and frames without a line in the middle.
  await page.evaluate(() => {
    const w = (window.__watch = { last: performance.now(), maxGap: 0, blank: 0, frames: 0, on: true });
    const log = document.getElementById("log");
    const tick = (now) => {
      w.maxGap = Math.max(w.maxGap, now - w.last);
      w.last = now;
      w.frames++;
      // Looked at after the frame was rendered: blocks coming into view are laid out by then.
      setTimeout(() => {
        const r = log.getBoundingClientRect();
        if (!document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2)?.closest(".line")) w.blank++;
      }, 0);
      if (w.on) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await page.locator("#log").focus();
  const scrolled = Date.now();
  let presses = 0;
  let top = TARGET;
  const goal = TARGET - BACK;
  while (top > goal && Date.now() - scrolled < 45000) {
    for (let i = 0; i < 20; i++) await page.keyboard.press("PageUp");
    presses += 20;
    // The line in the middle of the view (kept from the last look while a block is not painted).
    const mid = await page.evaluate(() => {
      const r = document.getElementById("log").getBoundingClientRect();
      const n = document.elementFromPoint(r.left + 40, r.top + r.height / 2)?.closest(".line")?.dataset.n;
      return n ? Number(n) : null;
    });
    if (mid !== null) top = mid;
  }
  const took = Date.now() - scrolled;
  const watch = await page.evaluate(() => {
    window.__watch.on = false;
    return window.__watch;
  });
  const after = await page.evaluate(() => ({ heap: performance.memory.usedJSHeapSize, rows: document.querySelectorAll("#log .line").length }));
  console.log(`# PageUp x${presses} in ${took} ms: from line ${TARGET} to ${top} (${TARGET - top} lines back)`);
  console.log(`# frames: ${watch.frames}, longest gap ${watch.maxGap.toFixed(0)} ms, frames with no line in the middle: ${watch.blank}`);
  console.log(`# JS heap ${(heapBefore / 1e6).toFixed(1)} MB before, ${(after.heap / 1e6).toFixed(1)} MB after; ${after.rows} rows in the DOM`);
  assert.ok(top < TARGET, "scrolling moved back");
}, { timeout: 180000 });
