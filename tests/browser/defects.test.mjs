// Issue 13's defects a new user hit: lowering "keep" while following, the status line's
// countdown, narrow screens, the listing's filter on the way back, keyboard and contrast,
// wrapped records, the tab title.

import assert from "node:assert/strict";
import fs from "node:fs";
import { scenario, waitFor, waitLive, waitLineCount, encodePath, contrast } from "./helpers.mjs";

function viewerUrl(server, file, query = "") {
  return server.url.replace(/\/$/, "") + encodePath(file) + query;
}

const numbered = (from, n, pad = "") => Array.from({ length: n }, (_, i) => `line ${from + i}${pad}`).join("\n") + "\n";

/** The view sits at its end and follows (no "jump to end" offered). */
function following(page) {
  return page.evaluate(() => {
    const log = document.getElementById("log");
    return { atEnd: log.scrollHeight - log.scrollTop - log.clientHeight <= 8, jump: !document.getElementById("jump").hidden };
  });
}

for (const option of ["wrap", "numbers", "time"]) {
  scenario(`lowering "keep" with ${option} on keeps following the end`, async (fx) => {
    const long = " " + "word ".repeat(40);
    const file = fx.write("app.log", numbered(1, 600, long));
    const server = await fx.server();
    const page = await fx.page({ width: 900, height: 500 });
    await page.goto(viewerUrl(server, file, `?${option}=1`));
    await waitLive(page);
    await waitLineCount(page, 600);
    await page.fill("#cap", "100");
    await page.press("#cap", "Enter");
    await waitLineCount(page, 100);
    fs.appendFileSync(file, numbered(601, 20, long));
    await waitFor(page, "line 620", () => [...document.querySelectorAll("#log .line")].some((e) => e.textContent.startsWith("line 620 ")));
    await waitFor(page, "the view at its end", () => {
      const log = document.getElementById("log");
      return log.scrollHeight - log.scrollTop - log.clientHeight <= 8;
    });
    assert.deepEqual(await following(page), { atEnd: true, jump: false });
  });
}

function waitState(page, state) {
  return waitFor(page, `status ${state}`, (s) => document.getElementById("status").dataset.state === s, state);
}

scenario("the reconnect countdown moves nothing, tells only changes, and has a keyboard retry", async (fx) => {
  const file = fx.write("app.log", "only line\n");
  const first = await fx.server();
  const page = await fx.page({ width: 1200 });
  await page.goto(viewerUrl(first, file));
  await waitLive(page);
  const filterX = () => page.$eval("#filter", (e) => e.getBoundingClientRect().left);
  const live = await filterX();
  assert.equal(await page.$eval("#status", (e) => e.getAttribute("aria-live") ?? e.getAttribute("role")), null, "the countdown is no live region");
  await page.evaluate(() => {
    window.said = [];
    new MutationObserver(() => window.said.push(document.getElementById("status-say").textContent)).observe(document.getElementById("status-say"), { childList: true, characterData: true, subtree: true });
  });

  await first.stop();
  await waitState(page, "reconnecting");
  // Several ticks of the countdown (and attempts) later: the filter box has not moved.
  const xs = [];
  for (let i = 0; i < 6; i++) {
    xs.push(await filterX());
    await new Promise((r) => setTimeout(r, 300)); // samples the countdown, not a wait for the page
  }
  assert.deepEqual(xs, xs.map(() => live), "the filter box stays where it was");
  const said = await page.evaluate(() => window.said);
  assert.ok(said.length <= 2 && said.every((t) => !/\d+s/.test(t)), `told: ${JSON.stringify(said)}`);
  assert.equal(await page.getAttribute("#status-say", "role"), "status");

  // The retry is a button the keyboard reaches.
  assert.equal(await page.$eval("#retry", (b) => b.tagName + (b.hidden ? " hidden" : "")), "BUTTON");
  await fx.server({ port: first.port });
  await page.focus("#retry");
  await page.keyboard.press("Enter");
  await waitLive(page);
  assert.ok(await page.isHidden("#retry"), "no retry while live");
});

scenario("back from a file finds the listing's filter as it was left", async (fx) => {
  fx.write("logs/alpha.log", "a\n");
  fx.write("logs/beta.log", "b\n");
  fx.write("logs/gamma.log", "c\n");
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(server.url.replace(/\/$/, "") + encodePath(fx.root + "/logs"));
  await waitFor(page, "the listing", () => document.querySelectorAll("#files tr.entry").length === 3);
  await page.fill("#files-filter", "ta.l");
  await page.click("#files tr.entry:not([hidden]) a");
  await waitLive(page);
  await page.goBack();
  await waitFor(page, "the listing again", () => document.body.dataset.mode === "browser");
  assert.equal(await page.inputValue("#files-filter"), "ta.l");
  const shown = await page.$$eval("#files tr.entry:not([hidden]) a", (as) => as.map((a) => a.textContent));
  assert.deepEqual(shown, ["beta.log"]);
});

scenario("wrapped without a gutter, a line's continuation rows hang indented", async (fx) => {
  const file = fx.write("app.log", `first ${"word ".repeat(80)}\nsecond short\n`);
  const server = await fx.server();
  const page = await fx.page({ width: 700 });
  await page.goto(viewerUrl(server, file, "?wrap=1&numbers=0&time=0"));
  await waitLive(page);
  await waitLineCount(page, 2);
  const lefts = await page.$eval("#log .line", (line) => {
    const range = document.createRange();
    range.selectNodeContents(line);
    const rects = [...range.getClientRects()].filter((r) => r.width > 0);
    const top = Math.min(...rects.map((r) => r.top));
    const leftOf = (rs) => Math.round(Math.min(...rs.map((r) => r.left)));
    return [leftOf(rects.filter((r) => r.top < top + 2)), leftOf(rects.filter((r) => r.top >= top + 2))];
  });
  const [first, rest] = lefts;
  assert.ok(rest - first >= 20, `continuation rows ${rest - first}px further right`);
});

scenario("in a background tab the title counts unseen lines and errors, reset when shown", async (fx) => {
  const file = fx.write("app.log", "2026-11-28T10:00:00Z INFO start\n");
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(viewerUrl(server, file));
  await waitLive(page);
  assert.equal(await page.title(), "app.log — logview");
  const setHidden = (hidden) =>
    page.evaluate((hidden) => {
      Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (hidden ? "hidden" : "visible") });
      document.dispatchEvent(new Event("visibilitychange"));
    }, hidden);
  await setHidden(true);
  fs.appendFileSync(file, "2026-11-28T10:00:01Z INFO a\n2026-11-28T10:00:02Z ERROR b\n2026-11-28T10:00:03Z INFO c\n2026-11-28T10:00:04Z ERROR d\n");
  await waitFor(page, "the count in the title", () => document.title === "(4, 2 errors) app.log — logview");
  fs.appendFileSync(file, "2026-11-28T10:00:05Z INFO e\n");
  await waitFor(page, "one more", () => document.title === "(5, 2 errors) app.log — logview");
  await setHidden(false);
  assert.equal(await page.title(), "app.log — logview");
});

scenario("256-colour and truecolor text, line numbers, times and input borders reach WCAG contrast in both themes", async (fx) => {
  const file = fx.write(
    "app.log",
    [
      "\x1b[38;5;214morange 256\x1b[0m plain",
      "\x1b[38;2;255;165;0morange true\x1b[0m",
      "\x1b[38;2;20;20;90mnavy true\x1b[0m",
      "\x1b[38;5;226;48;5;21myellow on its own blue\x1b[0m",
    ].join("\n") + "\n",
  );
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(viewerUrl(server, file, "?numbers=1&time=1"));
  await waitLive(page);
  await waitLineCount(page, 4);
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    const facts = await page.evaluate(() => {
      const cs = (e, p) => getComputedStyle(e, p);
      const spans = [...document.querySelectorAll("#log .line span[style]")].map((s) => ({ text: s.textContent, colour: cs(s).color, bg: cs(s).backgroundColor }));
      const line = document.querySelector("#log .line");
      return {
        bg: cs(document.body).backgroundColor,
        bar: cs(document.querySelector("#viewer .toolbar")).backgroundColor,
        spans,
        gutter: cs(line, "::before").color,
        gutterText: cs(line, "::before").content,
        filterBorder: cs(document.getElementById("filter")).borderTopColor,
        filterBg: cs(document.getElementById("filter")).backgroundColor,
        capBorder: cs(document.getElementById("cap")).borderTopColor,
      };
    });
    for (const s of facts.spans.filter((s) => !s.text.includes("its own blue"))) {
      const c = contrast(s.colour, facts.bg);
      assert.ok(c >= 4.5, `${scheme}: "${s.text}" ${s.colour} on ${facts.bg}: ${c.toFixed(2)}`);
    }
    // A colour set on its own background stays as the line chose it.
    const own = facts.spans.find((s) => s.text.includes("its own blue"));
    assert.equal(own.colour, "rgb(255, 255, 0)");
    assert.match(facts.gutterText, /\d/);
    assert.ok(contrast(facts.gutter, facts.bg) >= 4.5, `${scheme}: gutter ${facts.gutter}: ${contrast(facts.gutter, facts.bg).toFixed(2)}`);
    for (const border of [facts.filterBorder, facts.capBorder]) {
      for (const against of [facts.filterBg, facts.bar]) {
        assert.ok(contrast(border, against) >= 3, `${scheme}: border ${border} on ${against}: ${contrast(border, against).toFixed(2)}`);
      }
    }
  }
  // Copying a coloured line gives its text only.
  assert.equal(await page.textContent("#log .line"), "orange 256 plain");
});

scenario("at 390 px the header keeps the file name and the toolbar folds its options into a menu", async (fx) => {
  const file = fx.write("some/deeply/nested/directory/of/services/payments-api.log", "2026-11-28T10:00:00Z INFO hello\n");
  const server = await fx.server();
  const page = await fx.page({ width: 390, height: 700 });
  await page.goto(viewerUrl(server, file));
  await waitLive(page);
  // The path is cut from its start: its end (the file name) is in the box, its start is not.
  const header = await page.$eval("#where", (h) => {
    const box = h.getBoundingClientRect();
    const text = h.firstChild;
    const range = document.createRange();
    const edge = (from, to) => {
      range.setStart(text, from);
      range.setEnd(text, to);
      return range.getBoundingClientRect();
    };
    const n = text.length;
    const name = edge(n - "payments-api.log".length, n);
    return { cut: h.scrollWidth > h.clientWidth, nameIn: name.left >= box.left - 1 && name.right <= box.right + 1, startIn: edge(0, 1).left >= box.left - 1 };
  });
  assert.deepEqual(header, { cut: true, nameIn: true, startIn: false });
  assert.equal(await page.textContent("#where"), file, "the text is the whole path");

  // The toolbar: two rows at most, the options behind a button.
  const rows = await page.$$eval("#viewer > .toolbar:first-child > :not([hidden])", (els) => {
    const centres = els.map((e) => e.getBoundingClientRect()).filter((r) => r.width > 1 && r.height > 1).map((r) => (r.top + r.bottom) / 2);
    return centres.sort((a, b) => a - b).filter((c, i, all) => i === 0 || c - all[i - 1] > 12).length;
  });
  assert.ok(rows <= 2, `the toolbar takes ${rows} rows`);
  assert.ok(await page.isHidden("#wrap"));
  await page.click("#options-toggle");
  assert.equal(await page.getAttribute("#options-toggle", "aria-expanded"), "true");
  await page.check("#wrap");
  assert.equal(new URL(page.url()).searchParams.get("wrap"), "1");
  await page.keyboard.press("Escape");
  assert.ok(await page.isHidden("#wrap"), "Esc closes the menu");

  // Wide, the options are in the toolbar itself.
  await page.setViewportSize({ width: 1200, height: 700 });
  assert.ok(await page.isVisible("#wrap"));
  assert.ok(await page.isHidden("#options-toggle"));
});

scenario("a screen reader is told how many lines arrived every 10 s, not each line", async (fx) => {
  const file = fx.write("app.log", "2026-11-28T10:00:00Z INFO start\n");
  const server = await fx.server();
  const page = await fx.page();
  await page.goto(viewerUrl(server, file));
  await waitLive(page);
  assert.equal(await page.getAttribute("#log", "role"), "log");
  assert.equal(await page.getAttribute("#log", "aria-live"), "off", "the lines themselves are not read out");
  fs.appendFileSync(file, "2026-11-28T10:00:01Z INFO a\n2026-11-28T10:00:02Z ERROR b\n2026-11-28T10:00:03Z INFO c\n");
  await waitFor(page, "the lines shown", () => document.querySelectorAll("#log .line").length === 4);
  assert.equal(await page.textContent("#arrivals"), "", "not at once");
  await waitFor(page, "the arrivals said", () => document.getElementById("arrivals").textContent === "3 new lines, 1 error", undefined, 15000);
  assert.equal(await page.getAttribute("#arrivals", "role"), "status");
}, { timeout: 60000 });
