// Scrolling back through a rotated family: past line 1 of app.log the view goes on into
// app.log.1 (plain, its last line without a newline), then app.log.2.gz (compressed), with a
// boundary marker between two members, until line 1 of the oldest; with a small line cap the
// rows far from the view are dropped and loaded again, across the boundaries both ways.

import assert from "node:assert/strict";
import fs from "node:fs";
import zlib from "node:zlib";
import { scenario, waitFor, waitLive, encodePath } from "./helpers.mjs";

const COUNTS = { app: 300, one: 250, two: 120 };
const lines = (name, n) => Array.from({ length: n }, (_, i) => `${name} line ${i + 1}`);
const BOUNDARY_TWO = "── app.log.2.gz (compressed) ends here · app.log.1 starts ──";
const BOUNDARY_ONE = "── app.log.1 ends here · app.log starts ──";

/** The family on disk, newest first by modification time; returns app.log's path. */
function writeFamily(fx) {
  const now = Date.now() / 1000;
  const two = fx.write("app.log.2.gz", zlib.gzipSync(lines("two", COUNTS.two).join("\n") + "\n"));
  const one = fx.write("app.log.1", lines("one", COUNTS.one).join("\n"));
  const app = fx.write("app.log", lines("app", COUNTS.app).join("\n") + "\n");
  fs.utimesSync(two, now - 7200, now - 7200);
  fs.utimesSync(one, now - 3600, now - 3600);
  fs.utimesSync(app, now, now);
  return app;
}

/** Everything scrolling back can show, in order: lines and boundary markers. */
const EXPECTED = [
  ...lines("two", COUNTS.two), BOUNDARY_TWO,
  ...lines("one", COUNTS.one), BOUNDARY_ONE,
  ...lines("app", COUNTS.app),
];

/** The rows in view: a line's text, a boundary's text. */
function rowTexts(page) {
  return page.$$eval("#log .line, #log .marker.boundary", (els) => els.map((e) => e.textContent));
}

/** The rows are one unbroken stretch of EXPECTED (nothing lost, doubled or out of order). */
function assertStretch(rows, what) {
  assert.ok(rows.length > 0, `${what}: rows`);
  const at = EXPECTED.indexOf(rows[0]);
  assert.ok(at >= 0, `${what}: the first row ${JSON.stringify(rows[0])} is expected`);
  assert.deepEqual(rows, EXPECTED.slice(at, at + rows.length), `${what}: an unbroken stretch from ${rows[0]}`);
}

/** The first row's file and offset, and the edge's state. */
function top(page) {
  return page.evaluate(() => {
    const first = document.querySelector("#log .line");
    return {
      key: `${first?.dataset.member ?? ""}@${first?.dataset.offset}`,
      edge: document.querySelector("#log .edge")?.dataset.state,
    };
  });
}

/**
 * Scrolls to the top again and again until line 1 of `oldest` is there (`check`: called with
 * the rows after each load); returns the rows.
 */
async function scrollToOldest(page, oldest, check = () => {}) {
  const start = Date.now();
  for (;;) {
    const t = await top(page);
    if (t.key === `${oldest}@0` && t.edge === "start") break;
    assert.ok(Date.now() - start < 60000, `the oldest line 1 within a minute (top: ${t.key}, ${t.edge})`);
    await page.evaluate(() => {
      document.getElementById("log").scrollTop = 0;
    });
    await page.mouse.wheel(0, -400);
    await waitFor(page, "older rows", (k) => {
      const first = document.querySelector("#log .line");
      const key = `${first?.dataset.member ?? ""}@${first?.dataset.offset}`;
      return key !== k || document.querySelector("#log .edge")?.dataset.state === "start";
    }, t.key);
    check(await rowTexts(page));
  }
  return rowTexts(page);
}

/** app.log's page (the family `write(fx)` made), live, showing its last `history` lines. */
async function openApp(fx, history = 1000, write = writeFamily) {
  const app = write(fx);
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(`${server.url.replace(/\/$/, "")}${encodePath(app)}?lines=${history}`);
  await waitLive(page);
  await waitFor(page, "the last line", (t) => document.querySelector("#log > :last-child > :last-child")?.textContent === t, `app line ${COUNTS.app}`);
  const box = await page.locator("#log").boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  return page;
}

scenario("scrolling back past line 1 goes on into the older members, marked at each boundary", async (fx) => {
  const page = await openApp(fx);
  await waitFor(page, "the edge naming the older member", () => /older file app\.log\.1/.test(document.querySelector("#log .edge")?.textContent));

  const rows = await scrollToOldest(page, "app.log.2.gz");
  assert.deepEqual(rows, EXPECTED, "every line of the three files once, in order, with the two boundaries");
  const markers = await page.$$eval("#log .marker.boundary", (els) => els.map((e) => e.textContent));
  assert.deepEqual(markers, [BOUNDARY_TWO, BOUNDARY_ONE]);
  assert.match(await page.textContent("#log .edge"), /start of app\.log\.2\.gz, the oldest file/);

  // The members' rows carry their own line numbers and offsets.
  const facts = await page.$$eval("#log .line", (els) => els.map((e) => ({ member: e.dataset.member ?? "", n: e.dataset.n, offset: e.dataset.offset })));
  assert.deepEqual(facts[0], { member: "app.log.2.gz", n: "1", offset: "0" });
  const one = facts.find((f) => f.member === "app.log.1");
  assert.deepEqual(one, { member: "app.log.1", n: "1", offset: "0" });
  assert.deepEqual(facts[COUNTS.two + COUNTS.one], { member: "", n: "1", offset: "0" }, "app.log's line 1 is its own");

  // Nothing more loads at the top.
  await page.mouse.wheel(0, -400);
  await page.evaluate(() => new Promise((r) => setTimeout(r, 500)));
  assert.equal((await rowTexts(page)).length, EXPECTED.length, "no further loading");

  // Home is line 1 of app.log itself, at the top of the view (app.log.1 may load above it).
  await page.locator("#log").focus();
  await page.keyboard.press("Home");
  const homeAtTop = () => {
    const box = document.getElementById("log").getBoundingClientRect();
    const row = [...document.querySelectorAll("#log .line:not([data-member])")].find((e) => e.textContent === "app line 1");
    const top = row?.getBoundingClientRect().top;
    return top >= box.top && top < box.top + 80;
  };
  await waitFor(page, "app.log's line 1 at the top of the view", homeAtTop);
  await page.evaluate(() => new Promise((r) => setTimeout(r, 500)));
  assert.ok(await page.evaluate(homeAtTop), "it stays there");
});

scenario("with a small line cap the members' rows are dropped and loaded again, both ways", async (fx) => {
  // A history over the cap: the stream's rows left after the cap dropped the first of their
  // batch are placed back from the stream's position.
  // A cap far above the view's height: both ends of the window are not near the view at once.
  const cap = 200;
  const page = await openApp(fx, 1000);
  await page.fill("#cap", String(cap));
  await page.press("#cap", "Enter");
  const bounded = (rows, what) => {
    assertStretch(rows, what);
    assert.ok(rows.length <= cap + 2 * (cap / 4) + 2, `${what}: ${rows.length} rows, bounded by the cap`);
  };

  const rows = await scrollToOldest(page, "app.log.2.gz", (r) => bounded(r, "scrolling up"));
  bounded(rows, "at the oldest line 1");
  assert.equal(rows[0], "two line 1");
  assert.ok(!rows.includes("app line 1"), "app.log's rows were dropped at the bottom");

  // Down again to the end: the rows dropped come back, boundaries included.
  const seen = new Set(rows);
  const start = Date.now();
  for (;;) {
    const r = await rowTexts(page);
    bounded(r, "scrolling down");
    for (const t of r) seen.add(t);
    if (r[r.length - 1] === `app line ${COUNTS.app}` && await page.evaluate(() => document.getElementById("jump").hidden)) break;
    assert.ok(Date.now() - start < 60000, `the end within a minute (last row: ${r[r.length - 1]})`);
    await page.evaluate(() => {
      const log = document.getElementById("log");
      log.scrollTop = log.scrollHeight;
    });
    await waitFor(page, "newer rows", (last) => {
      const all = document.querySelectorAll("#log .line, #log .marker.boundary");
      return all[all.length - 1]?.textContent !== last || document.getElementById("jump").hidden;
    }, r[r.length - 1]);
  }
  assert.deepEqual(EXPECTED.filter((t) => !seen.has(t)), [], "every row was shown on the way");
});

scenario("a damaged compressed member ends at its boundary, which gives the reason", async (fx) => {
  const page = await openApp(fx, 1000, (f) => {
    const now = Date.now() / 1000;
    // A gzip cut short: the lines before the cut can be read, then the stream ends too early.
    const whole = zlib.gzipSync(lines("older", 5000).join("\n") + "\n", { level: 1 });
    const old = f.write("app.log.1.gz", whole.subarray(0, Math.floor(whole.length / 2)));
    fs.utimesSync(old, now - 3600, now - 3600);
    return f.write("app.log", lines("app", COUNTS.app).join("\n") + "\n");
  });
  const rows = await scrollToOldest(page, "app.log.1.gz");
  const at = rows.findIndex((t) => t.startsWith("──"));
  assert.match(rows[at], /^── app\.log\.1\.gz \(compressed; damaged: .+\) ends here · app\.log starts ──$/);
  assert.ok(at > 0, "lines before the damage are shown");
  // The damage may cut its last line short.
  assert.deepEqual(rows.slice(0, at - 1), lines("older", at - 1), "the member's readable lines, from its line 1");
  assert.ok(`older line ${at}`.startsWith(rows[at - 1]), `the last one, maybe cut: ${rows[at - 1]}`);
  assert.deepEqual(rows.slice(at + 1), lines("app", COUNTS.app), "then all of app.log");
});

scenario("an empty member is passed: its boundary says it is empty, the older ones stay reachable", async (fx) => {
  const page = await openApp(fx, 1000, (f) => {
    const now = Date.now() / 1000;
    const two = f.write("app.log.2.gz", zlib.gzipSync(lines("two", COUNTS.two).join("\n") + "\n"));
    const one = f.write("app.log.1", "");
    fs.utimesSync(two, now - 7200, now - 7200);
    fs.utimesSync(one, now - 3600, now - 3600);
    return f.write("app.log", lines("app", COUNTS.app).join("\n") + "\n");
  });
  const rows = await scrollToOldest(page, "app.log.2.gz");
  assert.deepEqual(rows, [
    ...lines("two", COUNTS.two), BOUNDARY_TWO,
    "── app.log.1 (empty) ends here · app.log starts ──",
    ...lines("app", COUNTS.app),
  ]);
  assert.match(await page.textContent("#log .edge"), /start of app\.log\.2\.gz, the oldest file/);
});

scenario("an empty oldest member: its boundary tops the view, the edge says the start", async (fx) => {
  const page = await openApp(fx, 1000, (f) => {
    const now = Date.now() / 1000;
    const one = f.write("app.log.1", "");
    fs.utimesSync(one, now - 3600, now - 3600);
    return f.write("app.log", lines("app", COUNTS.app).join("\n") + "\n");
  });
  await page.evaluate(() => {
    document.getElementById("log").scrollTop = 0;
  });
  await page.mouse.wheel(0, -400);
  await waitFor(page, "the start", () => document.querySelector("#log .edge")?.dataset.state === "start" && document.querySelector("#log .marker.boundary"));
  assert.deepEqual(await rowTexts(page), ["── app.log.1 (empty) ends here · app.log starts ──", ...lines("app", COUNTS.app)]);
  assert.match(await page.textContent("#log .edge"), /start of app\.log\.1, the oldest file/);
});

scenario("search older files too: matches of the older members name them; one opens its member at its line", async (fx) => {
  const page = await openApp(fx);
  const results = () => page.$$eval("#search-results li", (els) => els.map((e) => [e.querySelector(".file")?.textContent ?? "", e.querySelector(".text").textContent]));
  const done = (n) => waitFor(page, `${n} results`, (n) => {
    const s = document.getElementById("search-status");
    return s.dataset.state === "done" && document.querySelectorAll("#search-results li").length === n;
  }, n);
  await page.fill("#filter", "/ line 1[0-2]$/");
  await page.press("#filter", "Enter");
  await done(3);
  assert.deepEqual(await results(), [["", "app line 12"], ["", "app line 11"], ["", "app line 10"]], "the file alone");

  await page.check("#search-family");
  await done(9);
  assert.deepEqual(await results(), [
    ["", "app line 12"], ["", "app line 11"], ["", "app line 10"],
    ["app.log.1", "one line 12"], ["app.log.1", "one line 11"], ["app.log.1", "one line 10"],
    ["app.log.2.gz", "two line 12"], ["app.log.2.gz", "two line 11"], ["app.log.2.gz", "two line 10"],
  ], "newest first, through the family, the members named");
  assert.match(await page.textContent("#search-status"), /9 matches · every file searched/);

  await page.click("#search-results li:nth-child(5)");
  await waitFor(page, "app.log.1's page", () => location.pathname.endsWith("/app.log.1") && location.hash === "#L11");
  await waitFor(page, "its line marked", () => document.querySelector("#log .line.target")?.textContent === "one line 11");

  // Back on app.log, a match in the compressed member opens that one.
  await page.goBack();
  // The view is app.log's again (not the member's rows still shown) with its filter restored.
  await waitFor(page, "app.log's page", () =>
    location.pathname.endsWith("/app.log") &&
    document.querySelector("#log .line")?.textContent.startsWith("app line") &&
    document.getElementById("filter").value === "/ line 1[0-2]$/" &&
    document.getElementById("search-family").checked);
  await page.press("#filter", "Enter");
  await done(9);
  await page.click("#search-results li:nth-child(8)");
  await waitFor(page, "app.log.2.gz's page", () => location.pathname.endsWith("/app.log.2.gz") && location.hash === "#L11");
  await waitFor(page, "its line marked", () => document.querySelector("#log .line.target")?.textContent === "two line 11");
});

scenario("search older files too is offered only for a file that has older members", async (fx) => {
  const lone = fx.write("lone.log", "alpha 1\nbeta 2\nalpha 3\n");
  const server = await fx.server();
  const page = await fx.page();
  // The page asks what is older than the file by its first line (`from=0`): once that is
  // answered, the choice is settled.
  const told = page.waitForResponse((r) => r.url().includes("/_logview/api/lines") && new URL(r.url()).searchParams.get("from") === "0");
  await page.goto(`${server.url.replace(/\/$/, "")}${encodePath(lone)}`);
  await waitLive(page);
  await page.fill("#filter", "alpha");
  await page.press("#filter", "Enter");
  await waitFor(page, "the search done", () => document.getElementById("search-status").dataset.state === "done");
  assert.equal((await (await told).json()).older ?? null, null, "no older member");
  assert.equal(await page.evaluate(() => document.getElementById("search-family").closest("label").hidden), true, "no family: no choice");
  assert.equal(await page.locator("#search-results li").count(), 2);
});
