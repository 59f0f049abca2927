// Reading logs, not bytes (issue 13, the page): level colours and the level gutter in both
// themes, a line's own ANSI colours kept, the level selector (hiding, the address, search and
// timeline), options in the address, entries grouped and folded, JSON lines.

import assert from "node:assert/strict";
import { scenario, waitFor, waitLive, waitLineCount, lineTexts, encodePath } from "./helpers.mjs";

function viewerUrl(server, file) {
  return server.url.replace(/\/$/, "") + encodePath(file);
}

const T0 = Date.UTC(2026, 10, 28, 10);
const stamp = (s) => new Date(T0 + s * 1000).toISOString().slice(0, 19) + "Z";

/** A Java service's log: every level, a stack trace under an error, a coloured line, no-level. */
const JAVA = [
  `${stamp(0)} INFO starting`,
  `${stamp(1)} DEBUG config loaded`,
  `${stamp(2)} WARN disk almost full`,
  `${stamp(3)} ERROR request failed`,
  "java.lang.IllegalStateException: broken pipe",
  "\tat com.example.Handler.run(Handler.java:42)",
  "\tat java.lang.Thread.run(Thread.java:833)",
  `${stamp(4)} TRACE entering loop`,
  `\x1b[32m${stamp(5)} ERROR green by its own choice\x1b[0m`,
  `${stamp(6)} FATAL out of memory`,
  `${stamp(7)} INFO done`,
];

/** Text colour, gutter letter and its colour of each line, by its text's last word. */
function looks(page) {
  return page.$$eval("#log .line", (els) =>
    els.map((e) => {
      const marker = e.querySelector(":scope > span[data-level]");
      const before = marker ? getComputedStyle(marker, "::before") : null;
      return {
        text: e.textContent,
        colour: getComputedStyle(e).color,
        own: e.querySelector("span[style]") ? getComputedStyle(e.querySelector("span[style]")).color : null,
        letter: before ? before.content.replace(/"/g, "") : "",
        letterColour: before ? before.color : null,
        cls: e.className,
      };
    }),
  );
}

/** WCAG contrast of two `rgb(r, g, b)` colours. */
function contrast(a, b) {
  const lum = (c) => {
    const [r, g, bl] = c.match(/\d+(\.\d+)?/g).slice(0, 3).map((v) => {
      const x = Number(v) / 255;
      return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

async function checkColours(page, scheme) {
  const rows = await looks(page);
  const bg = await page.$eval("body", (b) => getComputedStyle(b).backgroundColor);
  const fg = await page.$eval("body", (b) => getComputedStyle(b).color);
  const by = (needle) => rows.find((r) => r.text.includes(needle));
  const error = by("request failed");
  const warn = by("disk almost full");
  const debug = by("config loaded");
  const trace = by("entering loop");
  const info = by("starting");
  const fatal = by("out of memory");
  assert.equal(info.colour, fg, `${scheme}: info keeps the text colour`);
  assert.equal(error.colour, fatal.colour, `${scheme}: fatal is red like error`);
  assert.equal(debug.colour, trace.colour, `${scheme}: trace is dimmed like debug`);
  const [r, g, b] = error.colour.match(/\d+/g).map(Number);
  assert.ok(r > g + 60 && r > b + 60, `${scheme}: error ${error.colour} is red`);
  const [wr, wg, wb] = warn.colour.match(/\d+/g).map(Number);
  assert.ok(wr > wb + 60 && wg > wb + 40, `${scheme}: warn ${warn.colour} is amber`);
  for (const row of [error, warn, debug]) {
    const c = contrast(row.colour, bg);
    assert.ok(c >= 4.5, `${scheme}: "${row.text}" ${row.colour} on ${bg}: contrast ${c.toFixed(2)} >= 4.5`);
  }
  assert.deepEqual(
    [info, debug, warn, error, trace, fatal].map((x) => x.letter),
    ["I", "D", "W", "E", "T", "F"],
    `${scheme}: the gutter's letters`,
  );
  // The stack trace's lines carry the entry's level (and letter) too.
  assert.equal(by("Handler.java").letter, "E");
  // A line with its own ANSI colour keeps it (green), yet has its level letter.
  const green = by("green by its own choice");
  assert.match(green.cls, /\bansi\b/);
  const [gr, gg] = green.own.match(/\d+/g).map(Number);
  assert.ok(gg > gr + 40, `${scheme}: the own colour ${green.own} stays green`);
  assert.equal(green.letter, "E");
}

scenario("levels colour lines and fill the gutter in light and dark; own ANSI colours stay", async (fx) => {
  const file = fx.write("app.log", JAVA.join("\n") + "\n");
  const server = await fx.server();
  const page = await fx.page();
  await page.emulateMedia({ colorScheme: "light" });
  await page.goto(viewerUrl(server, file));
  await waitLive(page);
  await waitLineCount(page, JAVA.length);
  // Copied text is the line's own: the letter is not part of it.
  assert.equal((await lineTexts(page))[3], `${stamp(3)} ERROR request failed`);
  await checkColours(page, "light");
  await page.emulateMedia({ colorScheme: "dark" });
  await checkColours(page, "dark");
});
