// The file browser: `/`, directory deep links, the name filter and history navigation.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { scenario, waitFor, waitLive, encodePath } from "./helpers.mjs";

/** Names of the listed entries that are not filtered out. */
function visibleEntries(page) {
  return page.$$eval("#files tr.entry:not([hidden]) td.name", (tds) => tds.map((td) => td.textContent));
}

function waitEntries(page, what, names) {
  return waitFor(
    page,
    what,
    (names) => {
      const shown = [...document.querySelectorAll("#files tr.entry:not([hidden]) td.name")].map((td) => td.textContent);
      return !document.getElementById("browser").hidden && JSON.stringify(shown) === JSON.stringify(names);
    },
    names,
  );
}

scenario("the file list shows, filters, opens files and follows history", async (fx) => {
  fx.write("app.log", "hello\n");
  fx.write("zeta.log", "z".repeat(3000) + "\n");
  fx.write("nested/other.txt", "other\n");
  const inner = fx.write("nested/deeper/inner.log", "inner line\n");
  const server = await fx.server();
  const page = await fx.page();

  await page.goto(server.url);
  await waitEntries(page, "the root listing", ["nested/", "app.log", "zeta.log"]);
  const sizes = await page.$$eval("#files tr.entry td.size", (tds) => tds.map((td) => td.textContent));
  assert.deepEqual(sizes, ["", "6 B", "2.9 KiB"]);
  assert.match(await page.textContent("#files"), new RegExp(fx.root.replace(/[/.]/g, "\\$&")), "the root is named");

  // The quick filter narrows the list as you type.
  await page.fill("#files-filter", "ZET");
  await waitEntries(page, "the filtered listing", ["zeta.log"]);
  await page.fill("#files-filter", "");
  await waitEntries(page, "the unfiltered listing", ["nested/", "app.log", "zeta.log"]);

  // A click on a file opens the viewer on it, in the same page.
  await page.click("#files a:text-is('app.log')");
  await waitLive(page);
  await waitFor(page, "the file's line", () => document.querySelector("#log .line")?.textContent === "hello");
  assert.equal(new URL(page.url()).pathname, encodePath(path.join(fx.root, "app.log")));
  assert.match(await page.title(), /app\.log/);

  // Back returns to the listing.
  await page.goBack();
  await waitEntries(page, "the root listing again", ["nested/", "app.log", "zeta.log"]);

  // Directories are browsable, and back walks up again.
  await page.click("#files a:text-is('nested/')");
  await waitEntries(page, "the nested listing", ["deeper/", "other.txt"]);
  await page.click("#files a:text-is('deeper/')");
  await waitEntries(page, "the deeper listing", ["inner.log"]);
  await page.goBack();
  await waitEntries(page, "the nested listing after back", ["deeper/", "other.txt"]);
  await page.goBack();
  await waitEntries(page, "the root listing after back", ["nested/", "app.log", "zeta.log"]);

  // A deep link to a nested directory works on its own (as after a reload).
  const deeper = path.dirname(inner);
  await page.goto(server.url.replace(/\/$/, "") + encodePath(deeper));
  await waitEntries(page, "the deep-linked listing", ["inner.log"]);
  assert.equal(await page.textContent("#where"), deeper);
  await page.reload();
  await waitEntries(page, "the reloaded listing", ["inner.log"]);
  assert.deepEqual(await visibleEntries(page), ["inner.log"]);

  // The up link goes to the parent directory.
  await page.click("#up");
  await waitEntries(page, "the parent listing", ["deeper/", "other.txt"]);
});

scenario("a directory that vanished shows the server's reason", async (fx) => {
  fx.write("a.log", "a\n");
  fx.write("gone/x.log", "x\n");
  const server = await fx.server();
  const page = await fx.page();
  const res = await page.goto(server.url + "etc/passwd");
  assert.equal(res.status(), 403, "paths outside the roots are refused by the server");

  await page.goto(server.url);
  await waitEntries(page, "the listing", ["gone/", "a.log"]);
  fs.rmSync(path.join(fx.root, "gone"), { recursive: true });
  await page.click("#files a:text-is('gone/')");
  await waitFor(page, "the refusal", () => document.getElementById("error").textContent === "404 no such file");
  assert.ok(await page.isVisible("#error"));
});

scenario("names that need percent-encoding open from the list and as deep links", async (fx) => {
  const name = "a b#c?d%e é&+.log";
  const file = fx.write(`odd dir %/${name}`, "odd but fine\n");
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(server.url);
  await page.click("#files a:text-is('odd dir %/')");
  await waitEntries(page, "the odd directory", [name]);
  await page.click(`#files a:text-is('${name}')`);
  await waitFor(page, "the line", () => document.querySelector("#log .line")?.textContent === "odd but fine");
  assert.equal(await page.textContent("#where"), file);
  assert.ok((await page.title()).includes(name));
  await page.reload();
  await waitLive(page);
  await waitFor(page, "the line after a reload", () => document.querySelector("#log .line")?.textContent === "odd but fine");
  assert.equal(decodeURIComponent(new URL(page.url()).pathname.split("/").pop()), name);
});

scenario("a shown listing keeps itself up to date, keeping its filter", async (fx) => {
  fx.write("app.log", "hello\n");
  fx.write("old.log", "old\n");
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(server.url);
  await waitEntries(page, "the first listing", ["app.log", "old.log"]);
  await page.fill("#files-filter", "log");
  fx.write("new.log", "a new file\n");
  fs.rmSync(path.join(fx.root, "old.log"));
  fx.write("app.log", "x".repeat(5000) + "\n");
  await waitEntries(page, "the refreshed listing", ["app.log", "new.log"]);
  await waitFor(page, "the new size", () =>
    [...document.querySelectorAll("#files tr.entry")].some((tr) => tr.querySelector(".size").textContent === "4.9 KiB"),
  );
  assert.equal(await page.inputValue("#files-filter"), "log", "the filter stays");
});

scenario("rotated files fold into their newest file and open from there, compressed ones too", async (fx) => {
  fx.write("app.log", "today\n");
  fx.write("app.log.1", "yesterday\n");
  fx.write("app.log.2.gz", "\x1f\x8b not really gzip\n");
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(server.url);
  await waitEntries(page, "the folded listing", ["app.log +2 rotated"]);
  const members = () => page.$$eval("#files tr.member:not([hidden]) td.name", (tds) => tds.map((td) => td.textContent));
  assert.deepEqual(await members(), [], "members are folded");
  await page.click("#files button.family");
  await waitFor(page, "the members", () => document.querySelectorAll("#files tr.member:not([hidden])").length === 2);
  assert.deepEqual((await members()).map((t) => t.trim()), ["app.log.1", "app.log.2.gz (compressed)"]);
  // A compressed member is a link like the others (the server reads it, without following it).
  const gz = await page.$eval("#files tr.member a:text-is('app.log.2.gz')", (a) => ({ href: a.getAttribute("href"), title: a.title }));
  assert.deepEqual(gz, { href: encodePath(path.join(fx.root, "app.log.2.gz")), title: path.join(fx.root, "app.log.2.gz") });
  assert.equal(await page.$$eval("#files tr.member input.pick", (b) => b.length), 1, "only the plain member can be ticked");
  await page.click("#files tr.member a:text-is('app.log.1')");
  await waitLive(page);
  await waitFor(page, "the member's line", () => document.querySelector("#log .line")?.textContent === "yesterday");
});
