// The viewer under a sustained fast writer at the default cap: it keeps up (the last line
// arrives), holds exactly the cap, and filters the full view while typing goes on. How fast
// it answers is printed as figures, not asserted: speed is measured, never a pass/fail
// condition on a shared machine.

import assert from "node:assert/strict";
import fs from "node:fs";
import { scenario, waitFor, waitLive, encodePath } from "./helpers.mjs";

const RATE = 5000; // lines per second
const SECONDS = 4;

scenario(`keeps up with ${RATE} lines/s and stays responsive`, async (fx) => {
  const file = fx.write("busy.log", "");
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(server.url.replace(/\/$/, "") + encodePath(file));
  await waitLive(page);
  assert.equal(await page.inputValue("#cap"), "10000");

  // Write RATE lines a second, in small appends, while checking how fast the page answers.
  const start = Date.now();
  let written = 0;
  let slowest = 0;
  const line = (n) => `${String(n).padStart(7, "0")} \x1b[32mINFO\x1b[0m worker=${n % 8} ${"payload ".repeat(n % 6)}done`;
  while (Date.now() - start < SECONDS * 1000) {
    const due = Math.floor(((Date.now() - start) / 1000) * RATE);
    const batch = [];
    while (written < due) batch.push(line(++written));
    if (batch.length) fs.appendFileSync(file, batch.join("\n") + "\n");
    const asked = Date.now();
    await page.evaluate(() => document.getElementById("status").dataset.state);
    slowest = Math.max(slowest, Date.now() - asked);
    await new Promise((r) => setTimeout(r, 20)); // pace the writer, not a wait for the page
  }
  const stopped = Date.now();
  const last = String(written).padStart(7, "0");
  await waitFor(page, "the last line", (last) => document.querySelector("#log > :last-child > :last-child")?.textContent.startsWith(last), last, 20000);
  const lag = Date.now() - stopped;

  const lines = await page.$$eval("#log .line", (els) => els.length);
  assert.equal(lines, 10000, "the view holds the default cap");
  assert.equal(Number(await page.getAttribute("#dropped", "data-count")), written - 10000);

  // Filtering the full view happens in slices: typing goes on meanwhile.
  const typed = Date.now();
  await page.locator("#filter").pressSequentially("worker=3", { delay: 20 });
  const typing = Date.now() - typed;
  await waitFor(page, "the filtered count", () => /^filter: [\d,]+ of 10,000 loaded lines$/.test(document.getElementById("filter-count").textContent) && document.querySelectorAll("#log .line:not(.miss)").length < 2000);
  assert.equal(await page.inputValue("#filter"), "worker=3");
  console.log(`# ${written} lines in ${SECONDS} s; slowest page answer ${slowest} ms; caught up after ${lag} ms; typing ${typing} ms`);
}, { timeout: 90000 });
