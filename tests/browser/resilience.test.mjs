// The viewer under stress: server restarts, a fast writer against the line cap, rotation,
// truncation, and a file that disappears.

import assert from "node:assert/strict";
import fs from "node:fs";
import { scenario, waitFor, waitLive, waitLineCount, lineTexts, encodePath } from "./helpers.mjs";

function viewerUrl(server, file) {
  return server.url.replace(/\/$/, "") + encodePath(file);
}

function waitState(page, state) {
  return waitFor(page, `status ${state}`, (s) => document.getElementById("status").dataset.state === s, state);
}

const numbered = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}`);

scenario("after a server restart the page resumes without losing or repeating lines", async (fx) => {
  const file = fx.write("restart.log", numbered(1, 20).join("\n") + "\n");
  const first = await fx.server();
  const page = await fx.page();
  await page.goto(viewerUrl(first, file));
  await waitLive(page);
  await waitLineCount(page, 20);
  // Tag the shown lines: after the restart they must still be the same elements.
  await page.$$eval("#log .line", (els) => els.forEach((e) => (e.dataset.before = "1")));

  await first.stop();
  await waitState(page, "reconnecting");
  assert.match(await page.textContent("#status"), /reconnecting in \d+s/);
  fs.appendFileSync(file, numbered(21, 25).join("\n") + "\n");

  const second = await fx.server({ port: first.port });
  await waitLineCount(page, 25);
  await waitLive(page);
  fs.appendFileSync(file, numbered(26, 30).join("\n") + "\n");
  await waitLineCount(page, 30);

  const expected = fs.readFileSync(file, "utf8").trimEnd().split("\n");
  assert.deepEqual(await lineTexts(page), expected);
  assert.equal(await page.$$eval("#log .line[data-before]", (els) => els.length), 20, "the old lines stayed");
  assert.equal(await page.$$eval("#log .marker", (els) => els.length), 0, "a resume is seamless");
  assert.ok(second.port === first.port);
});

scenario("a file that disappears while the server is down closes with the reason", async (fx) => {
  const file = fx.write("doomed.log", "still here\n");
  const first = await fx.server();
  const page = await fx.page();
  await page.goto(viewerUrl(first, file));
  await waitLive(page);
  await first.stop();
  await waitState(page, "reconnecting");
  fs.rmSync(file);
  await fx.server({ port: first.port });
  await waitState(page, "closed");
  assert.equal(await page.textContent("#status"), "closed: 404 no such file");
  assert.deepEqual(await lineTexts(page), ["still here"], "the lines seen stay");
});

scenario("the line cap holds under a fast writer", async (fx) => {
  const file = fx.write("fast.log", "");
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(viewerUrl(server, file));
  await waitLive(page);

  await page.fill("#cap", "500");
  await page.press("#cap", "Enter");
  assert.equal(await page.evaluate(() => localStorage.getItem("logview.cap")), "500");

  const total = 20000;
  const chunk = 2500;
  for (let from = 1; from <= total; from += chunk) {
    const lines = Array.from({ length: chunk }, (_, i) => `${String(from + i).padStart(6, "0")} \x1b[32mINFO\x1b[0m request served in ${(from + i) % 97} ms`);
    fs.appendFileSync(file, lines.join("\n") + "\n");
  }
  const last = `${String(total).padStart(6, "0")} INFO request served in ${total % 97} ms`;
  await waitFor(page, "the last line", (last) => document.querySelector("#log > :last-child > :last-child")?.textContent === last, last, 30000);

  const count = await page.$$eval("#log .line", (els) => els.length);
  assert.ok(count <= 500, `${count} lines kept with a cap of 500`);
  assert.ok(count >= 250, `${count} lines kept: the view is not emptied`);
  assert.ok(await page.isVisible("#dropped"));
  const dropped = Number(await page.getAttribute("#dropped", "data-count"));
  assert.equal(dropped + count, total, "every line is shown or counted as dropped");
  assert.match(await page.textContent("#dropped"), /19,500 older lines dropped/);
  // The kept lines are the newest, in order.
  const texts = await lineTexts(page);
  const numbers = texts.map((t) => Number(t.slice(0, 6)));
  assert.deepEqual(numbers, Array.from({ length: count }, (_, i) => total - count + 1 + i));

  // The setting survives a reload.
  await page.reload();
  await waitLive(page);
  assert.equal(await page.inputValue("#cap"), "500");
});

scenario("rotation and truncation show marker lines and the new lines", async (fx) => {
  const file = fx.write("rotating.log", "old 1\nold 2\n");
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(viewerUrl(server, file));
  await waitLive(page);
  await waitLineCount(page, 2);

  fs.renameSync(file, file + ".1");
  fs.writeFileSync(file, "new 1\n");
  await waitFor(page, "the rotation marker", () => document.querySelector("#log .marker.rotated") !== null);
  await waitLineCount(page, 3);
  fs.appendFileSync(file, "new 2\n");
  await waitLineCount(page, 4);
  assert.deepEqual(await lineTexts(page), ["old 1", "old 2", "new 1", "new 2"]);
  const order = await page.$$eval("#log .line, #log .marker", (els) => els.map((e) => (e.classList.contains("marker") ? "marker" : e.textContent)));
  assert.deepEqual(order, ["old 1", "old 2", "marker", "new 1", "new 2"]);
  assert.match(await page.textContent("#log .marker"), /rotated/);

  fs.truncateSync(file, 0);
  await waitFor(page, "the truncation marker", () => document.querySelector("#log .marker.truncated") !== null);
  fs.appendFileSync(file, "after truncation\n");
  await waitLineCount(page, 5);
  assert.equal((await lineTexts(page))[4], "after truncation");

  // Markers are not filtered away.
  await page.fill("#filter", "new");
  await waitFor(page, "filtered view", () => [...document.querySelectorAll("#log .line")].filter((e) => e.checkVisibility()).length === 2);
  assert.equal(await page.$$eval("#log .marker", (els) => els.filter((e) => e.checkVisibility()).length), 2);
});

scenario("scrolling up stops following; jump to end resumes it", async (fx) => {
  const file = fx.write("scroll.log", numbered(1, 300).join("\n") + "\n");
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(viewerUrl(server, file));
  await waitLive(page);
  await waitLineCount(page, 300);
  const atEnd = () => {
    const log = document.getElementById("log");
    return log.scrollHeight - log.scrollTop - log.clientHeight < 8;
  };
  await waitFor(page, "the view at the end", atEnd);
  assert.ok(!(await page.isVisible("#jump")));

  await page.mouse.move(600, 400);
  await page.mouse.wheel(0, -600);
  await waitFor(page, "the jump control", () => !document.getElementById("jump").hidden);
  const lineInView = () => {
    const r = document.getElementById("log").getBoundingClientRect();
    return document.elementFromPoint(r.left + 40, r.top + r.height / 2)?.closest(".line")?.textContent;
  };
  const before = await page.evaluate(lineInView);
  assert.match(before, /^line \d+$/);
  fs.appendFileSync(file, numbered(301, 310).join("\n") + "\n");
  await waitLineCount(page, 310);
  assert.equal(await page.evaluate(lineInView), before, "the view stays where the user put it");
  assert.ok(!(await page.evaluate(atEnd)));
  assert.match(await page.textContent("#jump"), /\b10 new\b/);

  await page.click("#jump");
  await waitFor(page, "the view at the end again", atEnd);
  fs.appendFileSync(file, numbered(311, 400).join("\n") + "\n");
  await waitLineCount(page, 400);
  await waitFor(page, "following again", atEnd);

  // The End key does the same.
  await page.mouse.wheel(0, -600);
  await waitFor(page, "the jump control", () => !document.getElementById("jump").hidden);
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press("End");
  await waitFor(page, "the end after End", atEnd);
  assert.ok(!(await page.isVisible("#jump")));
});

scenario("a file replaced while the server was down shows a gap marker", async (fx) => {
  const file = fx.write("replaced.log", numbered(1, 3).join("\n") + "\n");
  const first = await fx.server();
  const page = await fx.page();
  await page.goto(viewerUrl(first, file));
  await waitLive(page);
  await waitLineCount(page, 3);
  await first.stop();
  await waitState(page, "reconnecting");
  fs.renameSync(file, file + ".old");
  fs.writeFileSync(file, "fresh 1\nfresh 2\n");
  await fx.server({ port: first.port });
  await waitFor(page, "the gap marker", () => document.querySelector("#log .marker.gap") !== null);
  await waitLineCount(page, 5);
  await waitLive(page);
  assert.match(await page.textContent("#log .marker.gap"), /file changed while disconnected; some lines may be missing/);
  const order = await page.$$eval("#log .line, #log .marker", (els) => els.map((e) => (e.classList.contains("marker") ? "marker" : e.textContent)));
  assert.deepEqual(order, ["line 1", "line 2", "line 3", "marker", "fresh 1", "fresh 2"]);
});

scenario("a page refused for lack of client places says so and gets in when one frees", async (fx) => {
  const file = fx.write("busy.log", "only line\n");
  const server = await fx.server({ args: ["--max-clients", "1"] });
  const first = await fx.page();
  await first.goto(viewerUrl(server, file));
  await waitLive(first);

  const second = await fx.page();
  await second.goto(viewerUrl(server, file));
  await waitFor(second, "the busy reason", () => /too many clients/.test(document.getElementById("status").textContent));
  assert.equal(await second.getAttribute("#status", "data-state"), "reconnecting");

  await first.close();
  await second.click("#status"); // retry now instead of waiting out the back-off
  await waitLive(second);
  await waitLineCount(second, 1);
  assert.deepEqual(await lineTexts(second), ["only line"]);
});
