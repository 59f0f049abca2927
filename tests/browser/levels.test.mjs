// Reading logs, not bytes (issue 13, the page): level colours and the level gutter in both
// themes, a line's own ANSI colours kept, the level selector (hiding, the address, search and
// timeline), options in the address, entries grouped and folded, JSON lines.

import assert from "node:assert/strict";
import fs from "node:fs";
import { scenario, waitFor, waitLive, waitLineCount, lineTexts, encodePath, mergeUrl, visibleLines, waitVisible, contrast } from "./helpers.mjs";

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

const WARN_UP = JAVA.filter((l, i) => i >= 2 && i !== 7 && i !== 10).map((l) => l.replace(/\x1b\[\d+m/g, ""));

scenario("the level selector hides lower levels, survives a reload, and narrows search and timeline", async (fx) => {
  const file = fx.write("app.log", JAVA.join("\n") + "\n");
  const server = await fx.server();
  const page = await fx.page();
  const asked = [];
  page.on("request", (r) => {
    if (/\/_logview\/api\/(search|timeline)/.test(r.url())) asked.push(new URL(r.url()));
  });
  await page.goto(viewerUrl(server, file));
  await waitLive(page);
  await waitLineCount(page, JAVA.length);

  await page.selectOption("#level", "warn");
  // The error's stack trace stays with it; info, debug and trace go.
  await waitVisible(page, "warn and above", WARN_UP);
  assert.equal(new URL(page.url()).searchParams.get("level"), "warn");
  assert.match(await page.textContent("#filter-count"), /^level warn\+: 7 of 11 loaded lines$/);
  await waitFor(page, "the timeline asked for warn+", () => document.getElementById("timeline").dataset.matches !== "");
  assert.ok(asked.some((u) => u.pathname.endsWith("/timeline") && u.searchParams.get("level") === "warn"), "timeline with level=warn");

  // A new line below the level arrives hidden; one above shows.
  fs.appendFileSync(file, `${stamp(8)} INFO quiet\n${stamp(9)} ERROR loud\n`);
  await waitLineCount(page, JAVA.length + 2);
  await waitVisible(page, "the loud line only", [...WARN_UP, `${stamp(9)} ERROR loud`]);

  // Enter with an empty filter: every line of that level in the whole file.
  await page.press("#filter", "Enter");
  await waitFor(page, "the level search done", () => document.getElementById("search-status").dataset.state === "done");
  const search = asked.find((u) => u.pathname.endsWith("/search"));
  assert.equal(search.searchParams.get("level"), "warn");
  assert.equal(search.searchParams.get("q"), null);
  const results = await page.$$eval("#search-results li .text", (els) => els.map((e) => e.textContent));
  assert.ok(results.length >= 4, `results: ${results}`);
  for (const r of results) assert.match(r, /WARN|ERROR|FATAL|Exception|\tat /, r);

  // A reload keeps the level.
  await page.reload();
  await waitLive(page);
  await waitLineCount(page, JAVA.length + 2);
  assert.equal(await page.inputValue("#level"), "warn");
  await waitVisible(page, "warn and above after the reload", [...WARN_UP, `${stamp(9)} ERROR loud`]);

  // "all" shows everything again and leaves the address.
  await page.selectOption("#level", "");
  await waitFor(page, "every line", (n) => [...document.querySelectorAll("#log .line")].filter((e) => e.checkVisibility()).length === n, JAVA.length + 2);
  assert.equal(new URL(page.url()).searchParams.get("level"), null);

  // The most severe level has its choice too: a link with level=fatal keeps it.
  await page.goto(viewerUrl(server, file) + "?level=fatal");
  await waitLive(page);
  assert.equal(await page.inputValue("#level"), "fatal");
  await waitVisible(page, "the fatal line only", [`${stamp(6)} FATAL out of memory`]);
});

/** A page on the Java log (`file`), every line of it shown. */
async function openJava(fx) {
  const file = fx.write("app.log", JAVA.join("\n") + "\n");
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(viewerUrl(server, file));
  await waitLive(page);
  await waitLineCount(page, JAVA.length);
  return { file, page };
}

scenario("filter, wrap, numbers and time are kept in the address; an invalid regex says why", async (fx) => {
  const { page } = await openJava(fx);

  await page.fill("#filter", "/disk|memory/");
  await waitVisible(page, "the regex's lines", [JAVA[2], JAVA[9]]);
  await page.check("#wrap");
  await page.check("#times");
  await page.uncheck("#numbers");
  const q = new URL(page.url()).searchParams;
  assert.deepEqual([q.get("filter"), q.get("wrap"), q.get("time"), q.get("numbers")], ["/disk|memory/", "1", "1", "0"]);

  // An invalid regex: the reason is shown as text, and the last valid filter stays applied.
  await page.fill("#filter", "/(disk/");
  await waitFor(page, "the reason", () => !document.getElementById("filter-error").hidden);
  assert.match(await page.textContent("#filter-error"), /^invalid regex: .*; still filtering by \/disk\|memory\/$/);
  assert.equal(await page.getAttribute("#filter", "aria-invalid"), "true");
  assert.deepEqual(await visibleLines(page), [JAVA[2], JAVA[9]]);
  await page.fill("#filter", "/disk|memory/");
  await waitFor(page, "the reason gone", () => document.getElementById("filter-error").hidden);

  // A shared link (here: a fresh page on the same address, no storage) shows the same view.
  const url = page.url();
  const other = await fx.page();
  await other.evaluate(() => localStorage.clear()).catch(() => {});
  await other.goto(url);
  await waitLive(other);
  await waitVisible(other, "the regex's lines on the shared link", [JAVA[2], JAVA[9]]);
  assert.equal(await other.inputValue("#filter"), "/disk|memory/");
  assert.deepEqual(
    await other.$eval("#log", (l) => [l.classList.contains("wrap"), l.classList.contains("times"), l.classList.contains("numbers")]),
    [true, true, false],
  );
  assert.deepEqual(await other.$$eval("#wrap, #numbers, #times", (els) => els.map((e) => e.id + ":" + e.checked)), ["wrap:true", "numbers:false", "times:true"]);
});

scenario("a stack trace is one entry: indented, filtered and levelled whole, folded by its toggle", async (fx) => {
  const { file, page } = await openJava(fx);
  const TRACE = JAVA.slice(3, 7);

  // The continuation lines are indented under their first line.
  const lefts = await page.$$eval("#log .line", (els) =>
    els.slice(3, 7).map((e) => {
      const range = document.createRange();
      range.selectNodeContents(e);
      const text = [...e.childNodes].find((n) => n.nodeType === Node.TEXT_NODE);
      range.setStart(text, 0);
      range.setEnd(text, 1);
      return range.getBoundingClientRect().left;
    }),
  );
  assert.ok(lefts.slice(1).every((x) => x > lefts[0] + 5), `indented: ${lefts}`);

  // A match inside the trace shows the whole entry; a match in another line hides the trace.
  await page.fill("#filter", "Handler.java");
  await waitVisible(page, "the whole entry", TRACE);
  assert.deepEqual(await page.$$eval("#log .line mark", (ms) => ms.map((m) => m.textContent)), ["Handler.java"]);
  await page.fill("#filter", "request failed");
  await waitVisible(page, "the entry of the matching first line", TRACE);
  await page.fill("#filter", "disk");
  await waitVisible(page, "the warning only", [JAVA[2]]);
  await page.fill("#filter", "");
  await waitVisible(page, "every line", JAVA.map((l) => l.replace(/\x1b\[\d+m/g, "")));

  // The toggle folds the trace and unfolds it; the first line's text is unchanged by it.
  const toggle = page.locator("#log .line", { hasText: "request failed" }).locator("button.fold");
  assert.equal(await toggle.getAttribute("aria-expanded"), "true");
  await toggle.click();
  await waitVisible(page, "the trace folded", JAVA.filter((l, i) => i < 4 || i > 6).map((l) => l.replace(/\x1b\[\d+m/g, "")));
  assert.equal(await toggle.getAttribute("aria-expanded"), "false");
  assert.equal(await toggle.getAttribute("data-n"), "3");
  assert.equal((await lineTexts(page))[3], JAVA[3]);
  // A continuation line arriving later belongs to the entry just before it (not the folded one).
  fs.appendFileSync(file, "\tat late.Frame(Late.java:1)\n");
  await waitLineCount(page, JAVA.length + 1);
  assert.equal(await page.$eval("#log .line:last-child", (e) => e.checkVisibility()), true, "the late line shows, under INFO done");
  assert.equal(await page.locator("#log .line", { hasText: "INFO done" }).locator("button.fold").getAttribute("data-n"), "1");
  await toggle.click();
  await waitVisible(page, "the trace back", [...JAVA.map((l) => l.replace(/\x1b\[\d+m/g, "")), "\tat late.Frame(Late.java:1)"]);
});

scenario("an entry cut by the loaded part's start joins its first line when older lines load", async (fx) => {
  const file = fx.write("app.log", JAVA.slice(0, 7).join("\n") + "\n");
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(viewerUrl(server, file) + "?lines=2");
  await waitLive(page);
  await waitLineCount(page, 2);
  await page.locator("#log").hover();
  await page.mouse.wheel(0, -200);
  await waitLineCount(page, 7);
  const toggles = await page.$$eval("#log .line", (els) => els.map((e) => e.querySelectorAll("button.fold").length));
  assert.deepEqual(toggles, [0, 0, 0, 1, 0, 0, 0], "one toggle, on the error's line");
  await page.click("#log button.fold");
  await waitVisible(page, "the whole trace folded", JAVA.slice(0, 4));
});

scenario("a JSON line shows compactly, expands on a click, and copies as the original line", async (fx) => {
  const json = `{"time":"${stamp(1)}","level":"error","msg":"payment <b>declined</b>","user":"bob","amount":12.5,"tags":["a","b"],"<img src=x onerror=window.__x=1>":"v w"}`;
  const file = fx.write("app.jsonl", [json, `{"ts":1,"severity":"info","message":"second"}`, "not json"].join("\n") + "\n");
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(viewerUrl(server, file));
  await waitLive(page);
  await waitLineCount(page, 3);
  const texts = await lineTexts(page);
  assert.equal(texts[0], `${stamp(1)} ERROR payment <b>declined</b> user=bob amount=12.5 tags=["a","b"] <img src=x onerror=window.__x=1>="v w"`);
  assert.equal(texts[1], "1 INFO second");
  assert.equal(await page.$$eval("#log .line b, #log .line img", (els) => els.length), 0, "log text is never markup");
  assert.equal(await page.$$eval("#log .line.json", (els) => els.length), 2);
  assert.ok(await page.$eval("#log .line.json", (e) => e.classList.contains("lvl-error")), "the JSON line's level colours it");
  const keyColour = await page.$eval("#log .line.json .k", (k) => getComputedStyle(k).color);
  const muted = await page.$eval("#files-count", (m) => getComputedStyle(m).color);
  assert.equal(keyColour, muted, "keys are dimmed");

  // A click expands it to the pretty-printed object, and again folds it back.
  await page.click("#log .line.json .json-msg");
  await waitFor(page, "the pretty object", () => !!document.querySelector("#log .json-pretty"));
  assert.equal(await page.textContent("#log .json-pretty"), JSON.stringify(JSON.parse(json), null, 2));

  // The filter reads the line as written.
  await page.fill("#filter", '"user":"bob"');
  await waitVisible(page, "the JSON line", [texts[0] + JSON.stringify(JSON.parse(json), null, 2)]);
  await page.fill("#filter", "");
  await waitFor(page, "every line again", () => [...document.querySelectorAll("#log .line")].every((e) => e.checkVisibility()));

  // Copying the selected rows gives the original lines.
  const copied = await page.evaluate(() => {
    const lines = document.querySelectorAll("#log .line");
    const range = document.createRange();
    range.setStart(lines[0], 0);
    range.setEnd(lines[2].lastChild, 3);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    const data = new DataTransfer();
    const event = new ClipboardEvent("copy", { clipboardData: data, bubbles: true, cancelable: true });
    document.getElementById("log").dispatchEvent(event);
    return { text: data.getData("text/plain"), prevented: event.defaultPrevented };
  });
  assert.equal(copied.prevented, true);
  assert.equal(copied.text, [json, `{"ts":1,"severity":"info","message":"second"}`, "not json"].join("\n"));
  await page.evaluate(() => getSelection().removeAllRanges());
  await page.click("#log .line.json .json-msg");
  await waitFor(page, "the object hidden", () => !document.querySelector("#log .json-pretty"));
  assert.equal(await page.evaluate(() => window.__x), undefined);
});

scenario("the time column tells a line's own time from its arrival; ? lists the shortcuts; Esc leaves the filter", async (fx) => {
  const file = fx.write("app.log", JAVA.join("\n") + "\n");
  const server = await fx.server();
  const page = await fx.page();
  // Opened at a line: the rows come from the lines API, with their own times.
  await page.goto(viewerUrl(server, file) + "?time=1#L2");
  await waitLive(page);
  await waitFor(page, "line 2 opened", () => document.querySelector("#log .line.target")?.dataset.n === "2");
  assert.equal(await page.getAttribute("#log", "role"), "log");
  const own = await page.$eval("#log .line", (e) => [e.dataset.t, getComputedStyle(e, "::before").content]);
  const clock = await page.evaluate((ms) => {
    const d = new Date(ms);
    const p = (n, w = 2) => String(n).padStart(w, "0");
    return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
  }, T0);
  assert.equal(own[0], clock, "the first line's own time");
  assert.match(own[1], new RegExp(clock.replace(/\./g, "\\.")));
  // A live line has no time of its own yet: its arrival, marked `~`.
  await page.locator("#log").focus();
  await page.keyboard.press("End");
  await waitFor(page, "following", () => document.getElementById("jump").hidden);
  fs.appendFileSync(file, "no stamp here\n");
  await waitLineCount(page, JAVA.length + 1);
  assert.match(await page.$eval("#log .line:last-child", (e) => e.dataset.t), /^~\d\d:\d\d:\d\d\.\d{3}$/);

  // ? shows the shortcuts, Esc closes them.
  await page.locator("#log").focus();
  await page.keyboard.press("?");
  await waitFor(page, "the shortcuts", () => !document.getElementById("help").hidden);
  assert.match(await page.textContent("#help"), /Space[\s\S]*pause/);
  await page.keyboard.press("Escape");
  await waitFor(page, "the shortcuts gone", () => document.getElementById("help").hidden);

  // Esc in the filter box leaves it; its text and filter stay.
  await page.keyboard.press("/");
  await page.keyboard.type("disk");
  await waitVisible(page, "the filtered line", [JAVA[2]]);
  await page.keyboard.press("Escape");
  assert.equal(await page.evaluate(() => document.activeElement.id), "log");
  assert.equal(await page.inputValue("#filter"), "disk");
  assert.deepEqual(await visibleLines(page), [JAVA[2]]);
});

scenario("keeps up with 5,000 lines/s of levelled, JSON and stack-trace lines, the level selector on", async (fx) => {
  const RATE = 5000;
  const SECONDS = 4;
  const file = fx.write("busy.log", "");
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(viewerUrl(server, file) + "?level=info");
  await waitLive(page);
  const line = (n) => {
    const t = new Date(T0 + n).toISOString();
    switch (n % 10) {
      case 0: return `{"time":"${t}","level":"error","msg":"request ${n} failed","user":"u${n % 97}","took":${n % 300}}`;
      case 1: return "java.lang.IllegalStateException: broken pipe";
      case 2: return `\tat com.example.Handler.run(Handler.java:${n % 500})`;
      case 3: return `{"time":"${t}","level":"debug","msg":"cache hit","key":"k${n}"}`;
      case 4: return `${t} DEBUG pool stats busy=${n % 9}`;
      case 5: return `${t} \x1b[33mWARN\x1b[0m slow query ${n}`;
      default: return `${String(n).padStart(7, "0")} ${t} INFO worker=${n % 8} done`;
    }
  };
  const start = Date.now();
  let written = 0;
  while (Date.now() - start < SECONDS * 1000) {
    const due = Math.floor(((Date.now() - start) / 1000) * RATE);
    const batch = [];
    while (written < due) batch.push(line(++written));
    if (batch.length) fs.appendFileSync(file, batch.join("\n") + "\n");
    await new Promise((r) => setTimeout(r, 20)); // pace the writer, not a wait for the page
  }
  const stopped = Date.now();
  let n = written;
  while (n % 10 > 6 || n % 10 < 6) n--; // the last plain INFO line written
  const last = String(n).padStart(7, "0");
  await waitFor(page, "the last INFO line", (last) => [...document.querySelectorAll("#log .line")].slice(-20).some((e) => e.textContent.startsWith(last)), last, 20000);
  const lag = Date.now() - stopped;
  const facts = await page.evaluate(() => ({
    lines: document.querySelectorAll("#log .line").length,
    json: document.querySelectorAll("#log .line.json").length,
    folds: document.querySelectorAll("#log button.fold").length,
    hidden: document.querySelectorAll("#log .line.miss").length,
  }));
  assert.equal(facts.lines, 10000, "the view holds the default cap");
  assert.ok(facts.json > 1500 && facts.folds > 800 && facts.hidden >= 1900, JSON.stringify(facts));
  console.log(`# ${written} lines in ${SECONDS} s with levels, JSON and entries; caught up after ${lag} ms; ${JSON.stringify(facts)}`);
}, { timeout: 90000 });

scenario("a merged view: levels, entries and JSON after each line's file tag", async (fx) => {
  const a = fx.write("a.log", [`${stamp(1)} ERROR a failed`, "\tat a.Frame(A.java:1)", `${stamp(3)} INFO a fine`].join("\n") + "\n");
  const b = fx.write("b.log", `{"time":"${stamp(2)}","level":"warn","msg":"b slow"}\n`);
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(mergeUrl(server, [a, b]) + "&level=warn");
  await waitLive(page);
  await waitLineCount(page, 4);
  assert.deepEqual(await visibleLines(page), [`a.log: ${stamp(1)} ERROR a failed`, "a.log: \tat a.Frame(A.java:1)", `b.log: ${stamp(2)} WARN b slow`]);
  const facts = await page.$$eval("#log .line", (els) =>
    els.map((e) => [e.className.match(/lvl-\w+/)?.[0], getComputedStyle(e.querySelector("span[data-level]"), "::before").content, e.querySelectorAll("button.fold").length]),
  );
  assert.deepEqual(facts, [["lvl-error", '"E"', 1], ["lvl-error", '"E"', 0], ["lvl-warn", '"W"', 0], ["lvl-info", '"I"', 0]]);
  await page.click("#log button.fold");
  await waitVisible(page, "the trace folded", [`a.log: ${stamp(1)} ERROR a failed`, `b.log: ${stamp(2)} WARN b slow`]);
  // Hiding a file keeps the level in the address.
  await page.uncheck("#legend .src-entry[title$='b.log'] input");
  await waitVisible(page, "a's error only", [`a.log: ${stamp(1)} ERROR a failed`]);
  assert.equal(new URL(page.url()).searchParams.get("level"), "warn");
  assert.deepEqual(new URL(page.url()).searchParams.getAll("hide"), [b]);
});
