// Shared fixtures for the browser tests: the real logview binary on a fresh temporary root,
// and a headless Chromium page on it. Nothing here sleeps to "wait for" something: waits poll
// a condition in the page (page.waitForFunction) or wait for a process event.

import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { test, after } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const BIN = path.resolve(REPO, process.env.LOGVIEW_BIN || "target/debug/logview");
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
/** How long one wait for the page may take before the test fails. */
export const WAIT_MS = 15000;

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // performance.memory with exact figures, for the measuring test.
  "--enable-precise-memory-info",
];

let browserPromise = null;

/** One browser per test file (or script), started on first use. */
function browser() {
  browserPromise ??= chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  return browserPromise;
}

export async function closeBrowser() {
  if (browserPromise) await (await browserPromise).close();
  browserPromise = null;
}

let closeAfterTests = false;

/** `/a b/c.log` -> `/a%20b/c.log`, as the page itself builds its links. */
export function encodePath(p) {
  return "/" + p.split("/").filter(Boolean).map(encodeURIComponent).join("/");
}

/** The page URL of a merged view of `paths` on `server` (`base`: its --base-path). */
export function mergeUrl(server, paths, base = "") {
  const q = new URLSearchParams();
  for (const p of paths) q.append("path", p);
  return `${server.url.replace(/\/$/, "")}${base}/_logview/merge?${q}`;
}

let serverCount = 0;

/**
 * Starts `logview --bind 127.0.0.1:PORT ROOT` and resolves once it printed its URL.
 * `log` collects its stderr; `env`: variables added to its environment (e.g. `TZ`).
 */
export async function startServer(root, { port = 0, args = [], log = [], stdin = false, env = {} } = {}) {
  const id = ++serverCount;
  // Binding the port a killed server just released is retried a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnServer(id, root, port, args, log, stdin, env);
    } catch (err) {
      if (port === 0 || attempt >= 10) throw err;
      log.push(`[test] server start failed (${err.message}), retrying`);
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

function spawnServer(id, root, port, args, log, stdin = false, env = {}) {
  const proc = spawn(BIN, ["--bind", `127.0.0.1:${port}`, ...args, root], {
    env: { ...process.env, ...env },
    // `stdin: true` gives the test the server's standard input (for `logview -`).
    stdio: [stdin ? "pipe" : "ignore", "pipe", "pipe"],
  });
  readline.createInterface({ input: proc.stderr }).on("line", (l) => log.push(`[logview#${id}] ${l}`));
  const exited = new Promise((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`logview#${id} printed no URL within 10 s`));
    }, 10000);
    proc.once("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${BIN}: ${err.message}`));
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`logview#${id} exited early (code ${code}, signal ${signal})`));
    });
    const out = readline.createInterface({ input: proc.stdout });
    out.once("line", (line) => {
      clearTimeout(timer);
      const m = /^logview listening on (http:\/\/127\.0\.0\.1:(\d+)\/)$/.exec(line);
      if (!m) {
        proc.kill("SIGKILL");
        return reject(new Error(`unexpected first stdout line: ${JSON.stringify(line)}`));
      }
      resolve({
        url: m[1],
        port: Number(m[2]),
        proc,
        /** Kills the server and waits until it is gone. */
        async stop() {
          if (proc.exitCode !== null || proc.signalCode !== null) return;
          proc.kill("SIGKILL");
          await exited;
        },
      });
    });
  });
}

/**
 * Everything one test uses, cleaned up at its end: a temporary root directory, servers, a
 * browser context. Server logs, page errors and the page's console are printed only when the
 * test fails.
 */
export class Fixture {
  /** `root`: a fixed directory to use (emptied first) instead of a fresh temporary one. */
  constructor(root = null) {
    if (root) {
      fs.rmSync(root, { recursive: true, force: true });
      fs.mkdirSync(root, { recursive: true });
    }
    this.root = fs.realpathSync(root ?? fs.mkdtempSync(path.join(os.tmpdir(), "logview-browser-")));
    this.log = [];
    this.servers = [];
    this.pageErrors = [];
    this.context = null;
  }

  /** Writes `content` to `name` under the root; returns the absolute path. */
  write(name, content) {
    const p = path.join(this.root, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
    return p;
  }

  async server(options = {}) {
    const s = await startServer(this.root, { ...options, log: this.log });
    this.servers.push(s);
    return s;
  }

  /**
   * `httpCredentials`: {username, password} the browser answers Basic challenges with;
   * `timezoneId`: the browser's zone (an IANA name) instead of the machine's.
   */
  async page({ width = 1200, height = 700, httpCredentials, timezoneId } = {}) {
    this.context ??= await (await browser()).newContext({ viewport: { width, height }, httpCredentials, timezoneId });
    const page = await this.context.newPage();
    if (process.env.LOGVIEW_WEB_DIR) await serveAssetsFrom(page, process.env.LOGVIEW_WEB_DIR);
    page.on("pageerror", (err) => this.pageErrors.push(`pageerror: ${err.message}`));
    page.on("console", (msg) => {
      this.log.push(`[console.${msg.type()}] ${msg.text()}`);
      if (/Content Security Policy/i.test(msg.text())) this.pageErrors.push(`CSP: ${msg.text()}`);
    });
    return page;
  }

  async close() {
    if (this.context) await this.context.close().catch(() => {});
    for (const s of this.servers) await s.stop();
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * For quick iteration on the page (or trying what the tests catch): LOGVIEW_WEB_DIR=src/web
 * serves the modules and the stylesheet from that directory instead of the ones built into
 * the binary.
 */
async function serveAssetsFrom(page, dir) {
  const root = path.resolve(REPO, dir);
  await page.route(/\/_logview\/[\w/]+\.(js|css)$/, (route) => {
    const name = new URL(route.request().url()).pathname.replace(/^.*?\/_logview\//, "");
    const type = name.endsWith(".css") ? "text/css" : "text/javascript";
    route.fulfill({ contentType: type, body: fs.readFileSync(path.join(root, name), "utf8") });
  });
}

/**
 * A test with a fresh fixture; fails if the page threw or broke its CSP even when the body
 * passed.
 */
export function scenario(name, body, { timeout = 60000 } = {}) {
  if (!closeAfterTests) {
    closeAfterTests = true;
    after(closeBrowser);
  }
  test(name, { timeout }, async () => {
    const fx = new Fixture();
    try {
      await body(fx);
      if (fx.pageErrors.length) throw new Error("errors in the page:\n" + fx.pageErrors.join("\n"));
    } catch (err) {
      process.stderr.write(`\n---- logs of failed test "${name}" ----\n${fx.log.join("\n")}\n`);
      if (fx.pageErrors.length) process.stderr.write(fx.pageErrors.join("\n") + "\n");
      process.stderr.write("---- end of logs ----\n");
      throw err;
    } finally {
      await fx.close();
    }
  });
}

/** Polls `fn(arg)` in the page until it is truthy; fails with `what` after WAIT_MS. */
export async function waitFor(page, what, fn, arg, timeout = WAIT_MS) {
  try {
    return await page.waitForFunction(fn, arg, { timeout, polling: "raf" });
  } catch (err) {
    const state = await page
      .evaluate(() => ({
        status: document.getElementById("status")?.textContent,
        lines: document.querySelectorAll("#log .line").length,
        error: document.getElementById("error")?.textContent,
      }))
      .catch(() => null);
    throw new Error(`timed out waiting for ${what} (page: ${JSON.stringify(state)}): ${err.message.split("\n")[0]}`);
  }
}

/** The text of every log line in the view, in order. */
export function lineTexts(page) {
  return page.$$eval("#log .line", (els) => els.map((e) => e.textContent));
}

/** Waits until the viewer says it is live (history sent, following). */
export function waitLive(page) {
  return waitFor(page, "status live", () => document.getElementById("status")?.dataset.state === "live");
}

/** Waits until the view holds exactly `n` lines. */
export function waitLineCount(page, n) {
  return waitFor(page, `${n} lines`, (n) => document.querySelectorAll("#log .line").length === n, n);
}

/** Texts of the lines shown (not hidden by the filter, the level, a fold or the legend). */
export function visibleLines(page) {
  return page.$$eval("#log .line", (els) => els.filter((e) => e.checkVisibility()).map((e) => e.textContent));
}

/** Waits until the lines shown are exactly `texts`. */
export function waitVisible(page, what, texts) {
  return waitFor(
    page,
    what,
    (texts) => {
      const shown = [...document.querySelectorAll("#log .line")].filter((e) => e.checkVisibility()).map((e) => e.textContent);
      return JSON.stringify(shown) === JSON.stringify(texts);
    },
    texts,
  );
}

/** WCAG contrast of two `rgb(r, g, b)` colours. */
export function contrast(a, b) {
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
