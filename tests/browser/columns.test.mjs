// JSON keys as columns (issue 13): chosen keys show as aligned columns after the message,
// offered from the keys seen, kept in the address.

import assert from "node:assert/strict";
import fs from "node:fs";
import { scenario, waitFor, waitLive, waitLineCount, encodePath } from "./helpers.mjs";

function viewerUrl(server, file, query = "") {
  return server.url.replace(/\/$/, "") + encodePath(file) + query;
}

const LINES = [
  { time: "2026-11-28T10:00:00Z", level: "info", msg: "GET /", status: 200, duration_ms: 12, user: "ann" },
  { time: "2026-11-28T10:00:01Z", level: "warn", msg: "GET /a/much/longer/path", status: 404, duration_ms: 3 },
  { time: "2026-11-28T10:00:02Z", level: "info", msg: "<b>not markup</b>", status: "<i>x</i>", duration_ms: 7 },
];

/** Each JSON row's column cells: key, text, left edge. */
function cells(page) {
  return page.$$eval("#log .line.json", (rows) =>
    rows.map((r) => [...r.querySelectorAll(".json-col")].map((c) => ({ key: c.dataset.key, text: c.textContent, left: Math.round(c.getBoundingClientRect().left) }))),
  );
}

scenario("JSON keys picked as columns show after the message, aligned, and stay in the address", async (fx) => {
  const file = fx.write("app.jsonl", LINES.map((l) => JSON.stringify(l)).join("\n") + "\n");
  const server = await fx.server();
  const page = await fx.page({ width: 1400 });
  await page.goto(viewerUrl(server, file, "?cols=status,duration_ms"));
  await waitLive(page);
  await waitLineCount(page, 3);
  assert.equal(await page.inputValue("#columns"), "status, duration_ms");
  let c = await cells(page);
  assert.deepEqual(c.map((row) => row.map((x) => x.text)), [["200", "12"], ["404", "3"], ["<i>x</i>", "7"]]);
  assert.equal(new Set(c.map((row) => row[0].left)).size, 1, "the status column lines up");
  assert.equal(new Set(c.map((row) => row[1].left)).size, 1, "the duration column lines up");
  // A column key is no longer repeated as key=value; the others still are.
  const first = await page.textContent("#log .line.json");
  assert.ok(!first.includes("status=") && first.includes("user=ann"), first);
  assert.equal(await page.$$eval("#log .line.json i, #log .line.json b", (n) => n.length), 0, "values are text");

  // The keys seen are offered; a new choice goes into the address and survives a reload.
  const offered = await page.$$eval("#json-keys option", (os) => os.map((o) => o.value));
  assert.ok(["status", "duration_ms", "user"].every((k) => offered.includes(k)), offered.join());
  await page.fill("#columns", "user");
  await page.press("#columns", "Enter");
  await waitFor(page, "the user column", () => document.querySelector("#log .line.json .json-col")?.dataset.key === "user");
  assert.equal(new URL(page.url()).searchParams.get("cols"), "user");
  c = await cells(page);
  assert.deepEqual(c.map((row) => row.map((x) => x.text)), [["ann"], [""], [""]]);

  // Live lines get the columns too.
  fs.appendFileSync(file, JSON.stringify({ msg: "late", user: "bob" }) + "\n");
  await waitLineCount(page, 4);
  c = await cells(page);
  assert.deepEqual(c[3].map((x) => x.text), ["bob"]);

  await page.reload();
  await waitLive(page);
  await waitLineCount(page, 4);
  assert.equal(await page.inputValue("#columns"), "user");
  assert.deepEqual((await cells(page)).map((row) => row.map((x) => x.text)), [["ann"], [""], [""], ["bob"]]);
});
