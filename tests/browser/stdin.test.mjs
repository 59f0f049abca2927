// Standard input (`logview -`): listed first as "standard input" and opened from there, lines
// arrive as they are piped in, and the end of input is shown.

import assert from "node:assert/strict";
import { scenario, waitFor, waitLive } from "./helpers.mjs";

scenario("standard input is viewed live and its end is shown", async (fx) => {
  const server = await fx.server({ args: ["-"], stdin: true });
  server.proc.stdin.write("first piped line <b>not bold</b>\n");
  const page = await fx.page();
  await page.goto(server.url);
  await page.click("#files a:text-is('standard input')");
  await waitLive(page);
  assert.equal(new URL(page.url()).pathname, "/-", "standard input is at /-");
  await waitFor(page, "the first line", () =>
    [...document.querySelectorAll("#log .line")].some((l) => l.textContent === "first piped line <b>not bold</b>"),
  );
  assert.equal(await page.$$eval("#log b", (b) => b.length), 0, "markup stays text");
  server.proc.stdin.write("second line\nlast line without newline");
  server.proc.stdin.end();
  await waitFor(page, "the end of input", () =>
    [...document.querySelectorAll("#log .marker")].some((m) => /input ended/.test(m.textContent)),
  );
  const texts = await page.$$eval("#log .line", (ls) => ls.map((l) => l.textContent));
  assert.deepEqual(texts.slice(-2), ["second line", "last line without newline"]);
});
