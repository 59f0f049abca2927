// Makes docs/screenshot.png: the viewer on a realistic coloured log, 1200x700.
//
//   node tests/browser/screenshot.mjs [output.png] [--dark]
//
// Uses the same binary and browser as the tests (LOGVIEW_BIN, CHROMIUM).

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Fixture, REPO, closeBrowser, waitFor, waitLive, encodePath } from "./helpers.mjs";

const args = process.argv.slice(2);
const dark = args.includes("--dark");
const out = path.resolve(args.find((a) => !a.startsWith("--")) || path.join(REPO, "docs/screenshot.png"));

const E = "\x1b[";
const level = {
  DEBUG: `${E}90mDEBUG${E}0m`,
  INFO: `${E}32mINFO ${E}0m`,
  WARN: `${E}33mWARN ${E}0m`,
  ERROR: `${E}1;31mERROR${E}0m`,
};
const targets = ["http::server", "db::pool", "auth", "cache", "worker::queue", "api::orders"];
const messages = {
  DEBUG: ["cache lookup key=user:{n} hit=true", "pool stats idle=7 busy={n} waiting=0", "parsed body in {n}µs"],
  INFO: [
    `GET /api/orders/{n} ${E}32m200${E}0m 12ms`,
    `POST /api/checkout ${E}32m201${E}0m 48ms`,
    `GET /static/app.js ${E}36m304${E}0m 1ms`,
    "job {n} finished in 0.{n}s",
    "user {n} signed in from 10.0.3.{n}",
  ],
  WARN: [`GET /api/search?q=… ${E}33m429${E}0m rate limited (client 10.0.7.{n})`, "slow query took {n}ms: SELECT * FROM orders WHERE …"],
  ERROR: [`POST /api/payments ${E}31m502${E}0m upstream timed out after 30s`, "worker {n} crashed: connection reset by peer"],
};

function logLines(count) {
  const lines = [];
  let t = Date.UTC(2025, 10, 25, 9, 41, 7, 120);
  let seed = 7;
  const rand = (n) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
  for (let i = 0; i < count; i++) {
    t += 37 + rand(900);
    const r = rand(100);
    const lv = r < 12 ? "DEBUG" : r < 82 ? "INFO" : r < 94 ? "WARN" : "ERROR";
    const pool = messages[lv];
    const msg = pool[rand(pool.length)].replace(/\{n\}/g, () => String(10 + rand(890)));
    const ts = new Date(t).toISOString().replace("T", " ").replace("Z", "");
    lines.push(`${E}2m${ts}${E}0m ${level[lv]} ${E}35m${targets[rand(targets.length)]}${E}0m ${msg}`);
  }
  return lines;
}

const fx = new Fixture(path.join(os.tmpdir(), "logview-demo"));
try {
  const file = fx.write("var/log/shop/app.log", logLines(400).join("\n") + "\n");
  const server = await fx.server();
  const page = await fx.page({ width: 1200, height: 700 });
  if (dark) await page.emulateMedia({ colorScheme: "dark" });
  await page.goto(server.url.replace(/\/$/, "") + encodePath(file));
  await waitLive(page);
  await waitFor(page, "the history", () => document.querySelectorAll("#log .line").length === 400);
  await page.check("#numbers");
  await page.evaluate(() => {
    const log = document.getElementById("log");
    log.scrollTop = log.scrollHeight;
  });
  fs.mkdirSync(path.dirname(out), { recursive: true });
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await fx.close();
  await closeBrowser();
}
