// An exposed deployment in a real browser: Basic authentication and a --base-path prefix.
// The browser must carry the credentials to the listing API and the WebSocket upgrade, and
// every link, API call and socket URL must honour the prefix.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { BIN, scenario, waitFor, waitLive, waitLineCount, lineTexts, encodePath } from "./helpers.mjs";

function usersFile(fx, user, password) {
  const out = spawnSync(BIN, ["hash-password", user], { input: password + "\n", encoding: "utf8" });
  assert.equal(out.status, 0, out.stderr);
  return fx.write("users.txt", out.stdout);
}

scenario("behind --base-path with authentication the page lists, opens and follows", async (fx) => {
  const file = fx.write("app/service.log", "first under a prefix\n");
  const users = usersFile(fx, "ops", "browser pass");
  const server = await fx.server({ args: ["--base-path", "/logs", "--auth-file", users] });
  const base = server.url.replace(/\/$/, "") + "/logs";

  const denied = await fetch(base + "/");
  assert.equal(denied.status, 401, "no credentials, no page");

  const page = await fx.page({ httpCredentials: { username: "ops", password: "browser pass" } });
  await page.goto(base + encodePath(fx.root) + "/app");
  await waitFor(page, "the listing", () => /service\.log/.test(document.getElementById("files")?.textContent || ""));
  const href = await page.$eval("#files a[href*='service.log']", (a) => a.getAttribute("href"));
  assert.ok(href.startsWith("/logs/"), `links carry the prefix: ${href}`);

  await page.click("#files a[href*='service.log']");
  await waitLive(page);
  await waitLineCount(page, 1);
  assert.ok(new URL(page.url()).pathname.startsWith("/logs/"), page.url());
  fs.appendFileSync(file, "second, live through the authenticated socket\n");
  await waitLineCount(page, 2);
  assert.deepEqual(await lineTexts(page), ["first under a prefix", "second, live through the authenticated socket"]);
  assert.ok(fx.log.some((l) => /opened .*service\.log/.test(l)), "the server logged the session");
});
