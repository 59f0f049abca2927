// The viewer as a window onto the whole file: scrolling back to line 1 while lines arrive,
// `#L` links, going to a time, new lines counted away from the end, the download link, and a
// missing file's page that waits for the file.

import assert from "node:assert/strict";
import fs from "node:fs";
import { scenario, waitFor, waitLive, lineTexts, encodePath } from "./helpers.mjs";

function viewerUrl(server, file) {
  return server.url.replace(/\/$/, "") + encodePath(file);
}

/** `line 1` … `line n`, one per line. */
function numberedFile(fx, name, n) {
  const lines = new Array(n);
  for (let i = 0; i < n; i++) lines[i] = `line ${i + 1}`;
  return fx.write(name, lines.join("\n") + "\n");
}

/** The rows in the view: their text's number, their data-n and data-offset. */
function rowFacts(page) {
  return page.$$eval("#log .line", (els) =>
    els.map((e) => ({ k: Number(/^line (\d+)$/.exec(e.textContent)?.[1]), n: e.dataset.n, offset: e.dataset.offset })),
  );
}

/** Every row is the line after the one before it; numbers and offsets agree with that. */
function assertContiguous(rows, what) {
  assert.ok(rows.length > 0, `${what}: rows`);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    assert.ok(Number.isInteger(r.k), `${what}: row ${i} is a numbered line`);
    if (i > 0) assert.equal(r.k, rows[i - 1].k + 1, `${what}: row ${i} follows row ${i - 1}`);
    if (r.n) assert.equal(Number(r.n), r.k, `${what}: row ${i} shows the file's line number`);
  }
  const offsets = rows.map((r) => r.offset).filter((o) => o !== undefined).map(Number);
  for (let i = 1; i < offsets.length; i++) assert.ok(offsets[i] > offsets[i - 1], `${what}: offsets increase`);
}

/** The row in the middle of the view, and whether a row is within the view. */
const inView = (sel) => {
  const log = document.getElementById("log").getBoundingClientRect();
  const r = document.querySelector(sel)?.getBoundingClientRect();
  return !!r && r.top >= log.top && r.bottom <= log.bottom;
};

scenario("scrolling up reaches line 1 of a 200,000-line file while lines arrive; End comes back", async (fx) => {
  const total = 200000;
  const file = numberedFile(fx, "long.log", total);
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(viewerUrl(server, file));
  await waitLive(page);
  await waitFor(page, "the last line", (t) => document.querySelector("#log > :last-child > :last-child")?.textContent === t, `line ${total}`);

  let written = total;
  const writer = setInterval(() => {
    const more = [];
    for (let i = 0; i < 20; i++) more.push(`line ${++written}`);
    fs.appendFileSync(file, more.join("\n") + "\n");
  }, 100);
  try {
    // Like dragging the scroll bar to the top, again and again.
    const start = Date.now();
    for (;;) {
      const first = await page.evaluate(() => {
        const log = document.getElementById("log");
        log.scrollTop = 0;
        return document.querySelector("#log .line")?.dataset.offset;
      });
      if (first === "0") break;
      assert.ok(Date.now() - start < 60000, "line 1 reached within a minute");
      await waitFor(page, "older lines", (f) => document.querySelector("#log .line")?.dataset.offset !== f, first);
    }
    await waitFor(page, "the start-of-file edge", () => /start of file/.test(document.querySelector("#log .edge")?.textContent));
    const rows = await rowFacts(page);
    assert.equal(rows[0].k, 1, "the first row is line 1");
    assert.equal(rows[0].offset, "0");
    assertContiguous(rows, "at the start");
    assert.ok(rows.length <= 10000 + 2000, `${rows.length} rows: bounded by the cap`);
    // Lines went on arriving: counted, not shown.
    await waitFor(page, "new lines counted", () => Number(document.getElementById("jump").dataset.count) > 0);
    assert.match(await page.textContent("#jump"), /[\d,]+ new lines/);
  } finally {
    clearInterval(writer);
  }

  // End: back to the live end, with every line up to the last one written.
  await page.locator("#log").focus();
  await page.keyboard.press("End");
  const last = `line ${written}`;
  await waitFor(page, "the last written line", (t) => document.querySelector("#log > :last-child > :last-child")?.textContent === t, last);
  await waitFor(page, "following", () => document.getElementById("jump").hidden);
  assertContiguous(await rowFacts(page), "at the end");
  fs.appendFileSync(file, `line ${written + 1}\n`);
  await waitFor(page, "a live line", (t) => document.querySelector("#log > :last-child > :last-child")?.textContent === t, `line ${written + 1}`);
}, { timeout: 120000 });

scenario("#L links: opening one shows that line marked in the middle; clicking a number sets one", async (fx) => {
  const file = numberedFile(fx, "linked.log", 200000);
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(viewerUrl(server, file) + "#L150000");
  await waitFor(page, "the marked line", () => document.querySelector("#log .line.target")?.textContent === "line 150000");
  assert.ok(await page.evaluate(inView, "#log .line.target"), "the marked line is in view");
  assert.equal(await page.getAttribute("#log .line.target", "data-n"), "150000");
  assertContiguous(await rowFacts(page), "around line 150000");
  await waitLive(page);
  assert.ok(await page.isVisible("#jump"), "away from the end");
  assert.equal(await page.textContent("#log .line.target"), "line 150000", "the live history did not replace the window");

  // A click on another line's number links to it.
  const box = await page.locator("#log .line", { hasText: /^line 150003$/ }).boundingBox();
  await page.mouse.click(box.x + 12, box.y + box.height / 2);
  await waitFor(page, "the new address", () => location.hash === "#L150003");
  assert.equal(await page.textContent("#log .line.target"), "line 150003");

  // The position bar says where the view is.
  await waitFor(page, "the position", () => /line 150,0\d\d/.test(document.getElementById("pos-text").textContent));
});

scenario("go to a time: HH:MM takes the date of the lines; a file without times says so", async (fx) => {
  const day = Date.UTC(2026, 10, 28);
  const lines = [];
  for (let i = 0; i < 1800; i++) lines.push(`${new Date(day + i * 10000).toISOString().slice(0, 19)}Z event ${i}`);
  const file = fx.write("stamped.log", lines.join("\n") + "\n");
  fx.write("plain.log", "no time here\nnor here\n");
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(viewerUrl(server, file));
  await waitLive(page);

  await page.fill("#goto-input", "02:30");
  await page.press("#goto-input", "Enter");
  await waitFor(page, "the line at 02:30", () => document.querySelector("#log .line.target")?.textContent.startsWith("2026-11-28T02:30:00Z event 900"));
  assert.ok(await page.evaluate(inView, "#log .line.target"), "in view");
  await waitFor(page, "its time in the position bar", () => /2026-11-28 02:\d\d:\d\d/.test(document.getElementById("pos-text").textContent));

  await page.fill("#goto-input", "2026-11-28 04:00:05");
  await page.press("#goto-input", "Enter");
  await waitFor(page, "the line at 04:00:10", () => document.querySelector("#log .line.target")?.textContent === "2026-11-28T04:00:10Z event 1441");

  await page.goto(viewerUrl(server, fx.root + "/plain.log"));
  await waitLive(page);
  await page.fill("#goto-input", "2026-11-28 04:00");
  await page.press("#goto-input", "Enter");
  await waitFor(page, "the refusal", () => !document.getElementById("error").hidden);
  assert.match(await page.textContent("#error"), /time/i);
});

scenario("away from the end new lines are counted; End shows them and follows", async (fx) => {
  const file = numberedFile(fx, "counted.log", 50000);
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(viewerUrl(server, file));
  await waitLive(page);
  await page.locator("#log").focus();
  await page.keyboard.press("Home");
  await waitFor(page, "line 1", () => document.querySelector("#log .line")?.textContent === "line 1" && !document.getElementById("jump").hidden);

  const more = Array.from({ length: 1234 }, (_, i) => `line ${50001 + i}`);
  fs.appendFileSync(file, more.join("\n") + "\n");
  await waitFor(page, "the count", () => /\b1,234 new lines\b/.test(document.getElementById("jump").textContent));
  assert.equal((await lineTexts(page))[0], "line 1", "the view did not move");

  await page.click("#jump");
  await waitFor(page, "the last line", () => document.querySelector("#log > :last-child > :last-child")?.textContent === "line 51234");
  await waitFor(page, "following", () => document.getElementById("jump").hidden);
  assertContiguous(await rowFacts(page), "at the end");
  fs.appendFileSync(file, "line 51235\n");
  await waitFor(page, "a live line", () => document.querySelector("#log > :last-child > :last-child")?.textContent === "line 51235");
});

scenario("the download link gives the file's bytes", async (fx) => {
  const content = Buffer.concat([Buffer.from("first ünïcode line\n\x1b[31mred\x1b[0m\n"), Buffer.from([0xff, 0xfe, 0x0a])]);
  const file = fx.write("dir with space/down load.log", content);
  const server = await fx.server({ args: ["--base-path", "/pre"] });
  const page = await fx.page();
  await page.goto(server.url.replace(/\/$/, "") + "/pre" + encodePath(file));
  await waitLive(page);
  const href = await page.getAttribute("#download", "href");
  assert.equal(href, "/pre/_logview/raw" + encodePath(file));
  const bytes = await page.evaluate(async (href) => Array.from(new Uint8Array(await (await fetch(href)).arrayBuffer())), href);
  assert.deepEqual(Buffer.from(bytes), content);
});

scenario("a missing file's page says so, then shows the file once it appears", async (fx) => {
  const file = fx.root + "/later.log";
  const server = await fx.server();
  const page = await fx.page();
  const url = viewerUrl(server, file);
  let res = await page.goto(url);
  assert.equal(res.status(), 404);
  if (!/text\/html/.test(res.headers()["content-type"] || "")) {
    // A server that still answers with plain text: its contract (the page, status 404, the
    // reason in a meta tag) is played for this one navigation; the rest is the real server.
    const html = await (await fetch(server.url)).text();
    const body = html.replace("<head>", '<head>\n<meta name="logview-refusal" content="no such file">');
    await page.route(url, (route) => route.fulfill({ status: 404, contentType: "text/html; charset=utf-8", body }), { times: 1 });
    res = await page.goto(url);
    assert.equal(res.status(), 404);
  }
  await waitFor(page, "the banner", () => /404 .*no such file/.test(document.getElementById("error").textContent));
  assert.ok(await page.isVisible("#up"), "the way up is shown");
  await waitFor(page, "waiting", () => /waiting for the file/.test(document.getElementById("status").textContent));
  fs.writeFileSync(file, "it is here\n");
  await waitLive(page);
  await waitFor(page, "the line", () => document.querySelector("#log .line")?.textContent === "it is here");
  assert.ok(!(await page.isVisible("#error")), "the banner went");
  fs.appendFileSync(file, "and live\n");
  await waitFor(page, "a live line", () => document.querySelectorAll("#log .line").length === 2);
});

scenario("the position bar jumps; Home goes to line 1; scrolling down from there reaches the live end", async (fx) => {
  const file = numberedFile(fx, "travel.log", 60000);
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(viewerUrl(server, file));
  await waitLive(page);
  await waitFor(page, "the position at the end", () => /line 59,9\d\d of 60,000 · 100\.0%/.test(document.getElementById("pos-text").textContent));

  // A click in the middle of the bar: about the middle of the file.
  const bar = await page.locator("#pos-track").boundingBox();
  await page.mouse.click(bar.x + bar.width / 2, bar.y + bar.height / 2);
  await waitFor(page, "the middle", () => {
    const k = Number(/^line (\d+)$/.exec(document.querySelector("#log .line")?.textContent)?.[1]);
    return k > 25000 && k < 35000;
  });
  await waitFor(page, "the position in the middle", () => /line 3\d,\d\d\d of 60,000 · (4|5)\d\.\d%/.test(document.getElementById("pos-text").textContent));
  assertContiguous(await rowFacts(page), "in the middle");

  // The filter says what it covers.
  await page.fill("#filter", "/7$/");
  await waitFor(page, "the filter count", () => /^filter: [\d,]+ of [\d,]+ loaded lines$/.test(document.getElementById("filter-count").textContent));
  await page.fill("#filter", "");

  await page.locator("#log").focus();
  await page.keyboard.press("Home");
  await waitFor(page, "line 1", () => document.querySelector("#log .line")?.textContent === "line 1");
  assert.match(await page.textContent("#log .edge"), /start of file/);

  // Down, like dragging the scroll bar to the bottom again and again, until it follows.
  fs.appendFileSync(file, "line 60001\n");
  const start = Date.now();
  while (!(await page.isHidden("#jump"))) {
    assert.ok(Date.now() - start < 60000, "the end reached within a minute");
    await page.evaluate(() => {
      const log = document.getElementById("log");
      log.scrollTop = log.scrollHeight;
    });
    await new Promise((r) => setTimeout(r, 50)); // paces the simulated drag, not a wait for the page
  }
  const rows = await rowFacts(page);
  assertContiguous(rows, "at the end");
  assert.equal(rows[rows.length - 1].k, 60001);
  assert.ok(rows.length <= 10000 + 2000, `${rows.length} rows: bounded by the cap`);
  assert.ok(rows[0].k > 1, "the first lines were dropped on the way");
  fs.appendFileSync(file, "line 60002\n");
  await waitFor(page, "a live line", () => document.querySelector("#log > :last-child > :last-child")?.textContent === "line 60002");
}, { timeout: 90000 });

scenario("a #L past the end says why and shows the live end", async (fx) => {
  const file = numberedFile(fx, "short.log", 500);
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(viewerUrl(server, file) + "#L900");
  await waitFor(page, "the refusal", () => /past the end/.test(document.getElementById("error").textContent));
  await waitFor(page, "the last line", () => document.querySelector("#log > :last-child > :last-child")?.textContent === "line 500");
  assert.ok(await page.isVisible("#error"), "the reason stays");
  fs.appendFileSync(file, "line 501\n");
  await waitFor(page, "a live line", () => document.querySelector("#log > :last-child > :last-child")?.textContent === "line 501");
  assertContiguous(await rowFacts(page), "the live end");
});

scenario("a cap that drops the stream batch's first row still scrolls back to line 1", async (fx) => {
  // The history comes as one batch whose first row alone has an offset; the cap drops it.
  const file = numberedFile(fx, "capped.log", 300);
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(viewerUrl(server, file) + "?lines=300");
  await waitLive(page);
  await waitFor(page, "the last line", () => document.querySelector("#log > :last-child > :last-child")?.textContent === "line 300");
  await page.fill("#cap", "100");
  await page.press("#cap", "Enter");
  await waitFor(page, "the cap", () => document.querySelectorAll("#log .line").length === 100);
  const box = await page.locator("#log").boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);

  // Every line shown on the way, however many loads come between two looks.
  await page.evaluate(() => {
    const seen = (window.seenLines = new Set());
    const note = (node) => {
      if (!(node instanceof Element)) return;
      if (node.matches(".line")) seen.add(node.textContent);
      for (const line of node.querySelectorAll(".line")) seen.add(line.textContent);
    };
    note(document.getElementById("log"));
    new MutationObserver((records) => records.forEach((r) => r.addedNodes.forEach(note)))
      .observe(document.getElementById("log"), { childList: true, subtree: true });
  });
  const start = Date.now();
  for (;;) {
    const rows = await rowFacts(page);
    assertContiguous(rows, `from line ${rows[0]?.k}`);
    const edge = await page.evaluate(() => document.querySelector("#log .edge")?.dataset.state);
    if (rows[0].k === 1 && edge === "start") break;
    assert.ok(Date.now() - start < 30000, `line 1 within 30 s (top: line ${rows[0].k})`);
    await page.evaluate(() => {
      document.getElementById("log").scrollTop = 0;
    });
    await page.mouse.wheel(0, -400);
    await waitFor(page, "older rows", (k) => {
      const first = document.querySelector("#log .line")?.textContent;
      return first !== `line ${k}` || document.querySelector("#log .edge")?.dataset.state === "start";
    }, rows[0].k);
  }
  const seen = new Set(await page.evaluate(() => [...window.seenLines]));
  const missing = Array.from({ length: 300 }, (_, i) => `line ${i + 1}`).filter((t) => !seen.has(t));
  assert.deepEqual(missing, [], "every line on the way");
});

scenario("a #L window that comes while the stream still sends that part as history keeps its line", async (fx) => {
  // The whole file is the history; the window's answer is held until the history is under way.
  const file = numberedFile(fx, "history.log", 200000);
  const server = await fx.server();
  const page = await fx.page();
  await page.addInitScript(() => {
    window.framesSeen = 0;
    const Socket = window.WebSocket;
    window.WebSocket = class extends Socket {
      constructor(...args) {
        super(...args);
        this.addEventListener("message", () => window.framesSeen++);
      }
    };
  });
  let held = null;
  await page.route(/\/_logview\/api\/lines\?/, async (route) => {
    await page.waitForFunction(() => window.framesSeen >= 3, null, { polling: 5 }).catch(() => {});
    held = await page.evaluate(() => document.getElementById("status").dataset.state);
    await route.continue();
  }, { times: 1 });
  await page.goto(viewerUrl(server, file) + "?lines=200000#L199950");
  await waitFor(page, "the marked line", () => document.querySelector("#log .line.target")?.textContent === "line 199950");
  assert.equal(held, "loading", "the answer came during the history");
  await waitLive(page);
  assertContiguous(await rowFacts(page), "around line 199950");
});
