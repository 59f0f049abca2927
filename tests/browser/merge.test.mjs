// Merged views: several files in one view, in time order, each line tagged with its file; the
// legend's toggles; a directory that gains a file; resuming after a server restart and a
// reload; opening from the listing; markup staying text.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { scenario, waitFor, waitLive, lineTexts, mergeUrl, visibleLines, waitVisible } from "./helpers.mjs";

const stamp = (s) => `2026-11-25T03:14:${String(s).padStart(2, "0")}Z`;

function waitLines(page, what, texts) {
  return waitFor(
    page,
    what,
    (texts) => JSON.stringify([...document.querySelectorAll("#log .line")].map((e) => e.textContent)) === JSON.stringify(texts),
    texts,
  );
}

/** The legend's entries: name, full path and whether its file is shown. */
function legend(page) {
  return page.$$eval("#legend .src-entry", (ls) =>
    ls.map((l) => ({ name: l.querySelector(".src").textContent, path: l.title, shown: l.querySelector("input").checked })),
  );
}

scenario("a merged view shows both files in time order, tagged, live, and hides one on demand", async (fx) => {
  const a = fx.write("a.log", `${stamp(1)} a one\n${stamp(3)} a two\n`);
  const b = fx.write("b.log", `${stamp(2)} b one\n${stamp(4)} b two\n`);
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(mergeUrl(server, [a, b]));
  await waitLive(page);
  const history = [`a.log: ${stamp(1)} a one`, `b.log: ${stamp(2)} b one`, `a.log: ${stamp(3)} a two`, `b.log: ${stamp(4)} b two`];
  await waitLines(page, "the merged history", history);

  // Every line carries its file's tag, a pill whose colour differs between the files.
  const tags = await page.$$eval("#log .line", (ls) =>
    ls.map((l) => {
      const src = l.firstElementChild;
      return { cls: src.className, text: src.textContent, bg: getComputedStyle(src).backgroundColor };
    }),
  );
  assert.deepEqual(tags.map((t) => t.text), ["a.log: ", "b.log: ", "a.log: ", "b.log: "]);
  assert.ok(tags.every((t) => t.cls === "src"));
  assert.equal(tags[0].bg, tags[2].bg, "one colour per file");
  assert.notEqual(tags[0].bg, tags[1].bg, "another file, another colour");
  assert.notEqual(tags[0].bg, "rgba(0, 0, 0, 0)", "the tag is a coloured pill");

  // The legend names the files; the header and the title say how many.
  assert.deepEqual(await legend(page), [
    { name: "a.log", path: a, shown: true },
    { name: "b.log", path: b, shown: true },
  ]);
  assert.equal(await page.textContent("#where"), "2 files: a.log, b.log");
  assert.match(await page.title(), /a\.log, b\.log/);
  // No per-file scroll-back, search, timeline or download in a merged view.
  for (const sel of ["#search-file", "#position", "#download", "#numbers", "#timeline"]) {
    assert.equal(await page.isVisible(sel), false, `${sel} is hidden`);
  }

  // Live lines of each file, with their tags.
  fs.appendFileSync(a, `${stamp(5)} a live\n`);
  await waitLines(page, "a's live line", [...history, `a.log: ${stamp(5)} a live`]);
  fs.appendFileSync(b, `${stamp(6)} b live\n`);
  const all = [...history, `a.log: ${stamp(5)} a live`, `b.log: ${stamp(6)} b live`];
  await waitLines(page, "b's live line", all);
  const bColour = tags[1].bg;
  assert.equal(await page.$eval("#log .line:last-child .src", (s) => getComputedStyle(s).backgroundColor), bColour);

  // The legend's toggle hides b's lines (also those arriving meanwhile) and shows them again.
  await page.uncheck("#legend .src-entry[title$='b.log'] input");
  const onlyA = all.filter((t) => t.startsWith("a.log"));
  await waitVisible(page, "a's lines only", onlyA);
  assert.deepEqual(new URL(page.url()).searchParams.getAll("hide"), [b], "the hidden file is in the address");
  fs.appendFileSync(b, `${stamp(7)} b hidden\n`);
  await waitLines(page, "the line written while b is hidden", [...all, `b.log: ${stamp(7)} b hidden`]);
  fs.appendFileSync(a, `${stamp(8)} a shown\n`);
  const later = [...all, `b.log: ${stamp(7)} b hidden`, `a.log: ${stamp(8)} a shown`];
  await waitLines(page, "a's line after it", later);
  assert.deepEqual(await visibleLines(page), [...onlyA, `a.log: ${stamp(8)} a shown`]);
  await page.check("#legend .src-entry[title$='b.log'] input");
  await waitVisible(page, "every line again", later);
  assert.deepEqual(new URL(page.url()).searchParams.getAll("hide"), []);

  // The filter box still filters the loaded lines.
  await page.fill("#filter", "live");
  await waitVisible(page, "the filtered lines", [`a.log: ${stamp(5)} a live`, `b.log: ${stamp(6)} b live`]);
});

scenario("a directory view gains new files and resumes without duplicates after a restart and a reload", async (fx) => {
  const dir = path.join(fx.root, "logs");
  const x = fx.write("logs/x.log", `${stamp(1)} x one\n`);
  const first = await fx.server();
  const page = await fx.page();
  await page.goto(mergeUrl(first, [dir]));
  await waitLive(page);
  await waitLines(page, "x's history", [`x.log: ${stamp(1)} x one`]);
  assert.deepEqual((await legend(page)).map((f) => f.name), ["x.log"]);

  // A file created in the directory joins the view: a legend entry, its lines from its start.
  const y = fx.write("logs/y.log", `${stamp(2)} y one\n`);
  await waitFor(page, "y in the legend", () => document.querySelectorAll("#legend .src-entry").length === 2);
  assert.deepEqual(await legend(page), [
    { name: "x.log", path: x, shown: true },
    { name: "y.log", path: y, shown: true },
  ]);
  await waitFor(page, "y's line", () => [...document.querySelectorAll("#log .line")].some((l) => l.textContent.startsWith("y.log: ")));
  assert.match(await page.textContent("#log .marker.added"), /y\.log: new file/);
  assert.equal(await page.textContent("#where"), "2 files: x.log, y.log");
  const yColour = await page.$eval("#legend .src-entry[title$='y.log'] .src", (s) => getComputedStyle(s).backgroundColor);
  assert.equal(await page.$eval("#log .line:last-child .src", (s) => getComputedStyle(s).backgroundColor), yColour);

  // A server restart: the page resumes from its token, neither losing nor repeating a line.
  const before = [`x.log: ${stamp(1)} x one`, `y.log: ${stamp(2)} y one`];
  await page.$$eval("#log .line", (els) => els.forEach((e) => (e.dataset.before = "1")));
  await first.stop();
  await waitFor(page, "reconnecting", () => document.getElementById("status").dataset.state === "reconnecting");
  fs.appendFileSync(x, `${stamp(3)} x while down\n`);
  fs.appendFileSync(y, `${stamp(4)} y while down\n`);
  await fx.server({ port: first.port });
  await waitFor(page, "the lines written while down", () => document.querySelectorAll("#log .line").length === 4);
  await waitLive(page);
  fs.appendFileSync(x, `${stamp(5)} x after\n`);
  await waitFor(page, "the line after the restart", () => document.querySelectorAll("#log .line").length === 5);
  const texts = await lineTexts(page);
  assert.deepEqual(texts.slice(0, 2), before);
  assert.deepEqual(texts.slice(2, 4).sort(), [`x.log: ${stamp(3)} x while down`, `y.log: ${stamp(4)} y while down`]);
  assert.equal(texts[4], `x.log: ${stamp(5)} x after`);
  assert.equal(await page.$$eval("#log .line[data-before]", (els) => els.length), 2, "the old lines stayed");
  assert.equal(await page.$$eval("#log .marker.gap", (els) => els.length), 0, "the resume is seamless");

  // A reload of the merged address: the files' history once, in time order; a hidden file
  // stays hidden.
  await page.uncheck("#legend .src-entry[title$='y.log'] input");
  await page.reload();
  await waitLive(page);
  const reloaded = [
    `x.log: ${stamp(1)} x one`,
    `y.log: ${stamp(2)} y one`,
    `x.log: ${stamp(3)} x while down`,
    `y.log: ${stamp(4)} y while down`,
    `x.log: ${stamp(5)} x after`,
  ];
  await waitLines(page, "the history after the reload", reloaded);
  await waitFor(page, "the legend after the reload", () => document.querySelectorAll("#legend .src-entry").length === 2);
  assert.deepEqual((await legend(page)).map((f) => f.shown), [true, false]);
  assert.deepEqual(await visibleLines(page), reloaded.filter((t) => t.startsWith("x.log")));
});

scenario("ticked files open together from the listing, and a directory's files from its link", async (fx) => {
  const a = fx.write("a.log", `${stamp(1)} a\n`);
  fx.write("b.log", `${stamp(2)} b\n`);
  const c = fx.write("c.log", `${stamp(3)} c\n`);
  fx.write("sub/s1.log", `${stamp(4)} s1\n`);
  fx.write("sub/s2.log", `${stamp(5)} s2\n`);
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(server.url);
  await waitFor(page, "the listing", () => document.querySelectorAll("#files tr.entry input.pick").length === 3);
  assert.ok(await page.isDisabled("#open-together"), "nothing ticked yet");
  await page.check("#files tr.entry:has(a:text-is('a.log')) input.pick");
  assert.ok(await page.isDisabled("#open-together"), "one file is not a merged view");
  await page.check("#files tr.entry:has(a:text-is('c.log')) input.pick");
  assert.equal(await page.textContent("#open-together"), "Open 2 together");
  await page.click("#open-together");
  await waitLive(page);
  await waitLines(page, "a and c merged", [`a.log: ${stamp(1)} a`, `c.log: ${stamp(3)} c`]);
  const url = new URL(page.url());
  assert.equal(url.pathname, "/_logview/merge");
  assert.deepEqual(url.searchParams.getAll("path"), [a, c]);

  // Back to the listing, into a directory, and every file of it in one view.
  await page.goBack();
  await waitFor(page, "the listing again", () => !document.getElementById("browser").hidden);
  assert.equal(await page.$$eval("#files input.pick:checked", (b) => b.length), 0, "the ticks went with the view");
  await page.click("#files a:text-is('sub/')");
  await waitFor(page, "the sub listing", () => document.querySelectorAll("#files tr.entry").length === 2);
  await page.click("#follow-dir");
  await waitLive(page);
  await waitLines(page, "sub's files merged", [`s1.log: ${stamp(4)} s1`, `s2.log: ${stamp(5)} s2`]);
  assert.deepEqual(new URL(page.url()).searchParams.getAll("path"), [path.join(fx.root, "sub")]);
  // The up link leads to the directory's listing.
  await page.click("#up");
  await waitFor(page, "the listing of the directory", () => !document.getElementById("browser").hidden);
  assert.equal(await page.textContent("#where"), fx.root);
});

scenario("markup in lines and names of a merged view stays text, also behind --base-path", async (fx) => {
  const evilName = '<img src=y onerror="window.pwned=4">.log';
  const evil = fx.write(evilName, `${stamp(1)} <script>window.pwned = 1</script>\n`);
  const plain = fx.write("plain.log", `${stamp(2)} <b>not bold</b> &amp; <img src=x onerror="window.pwned=2">\n`);
  const server = await fx.server({ args: ["--base-path", "/logs"] });
  const page = await fx.page();
  await page.goto(mergeUrl(server, [evil, plain], "/logs"));
  await waitLive(page);
  await waitLines(page, "both lines as text", [
    `${evilName}: ${stamp(1)} <script>window.pwned = 1</script>`,
    `plain.log: ${stamp(2)} <b>not bold</b> &amp; <img src=x onerror="window.pwned=2">`,
  ]);
  assert.equal(await page.$$eval("#log script, #log b, #log img", (n) => n.length), 0, "no element from a line");
  assert.equal(await page.$$eval("#legend img, #where img", (n) => n.length), 0, "no element from a name");
  assert.deepEqual((await legend(page)).map((f) => f.name), [evilName, "plain.log"]);
  assert.equal(await page.textContent("#where"), `2 files: ${evilName}, plain.log`);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  fs.appendFileSync(plain, `${stamp(3)} <script>window.pwned = 3</script>\n`);
  await waitFor(page, "the live line", () => document.querySelectorAll("#log .line").length === 3);
  assert.equal(await page.$$eval("#log script", (n) => n.length), 0);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
});

scenario("a merged view naming a path outside the roots closes with the server's reason", async (fx) => {
  const a = fx.write("a.log", "a\n");
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(mergeUrl(server, [a, "/etc/passwd"]));
  await waitFor(page, "the refusal", () => document.getElementById("status").dataset.state === "closed");
  assert.equal(await page.textContent("#status"), "closed: 403 forbidden: outside the roots");
  assert.equal(await page.$$eval("#log .line", (l) => l.length), 0);
});
