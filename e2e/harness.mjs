// Shared harness of the browser tests: a static server for dist/ on a free
// 127.0.0.1 port, the system Chromium through playwright-core (no browser
// download), and a watch on the page that records every page error, console
// error and request to another origin (a test fails on any of them).
//
// Usage (see playground.test.mjs):
//   const h = await openPage();             // serves dist/, opens "/"
//   await h.page.goto(`${h.origin}/?decode=00016e`);
//   assert.deepEqual(h.takeProblems(), []);
//   await h.close();

import http from "node:http";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const DIST = path.resolve(HERE, "..", "dist");
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
export const WAIT = { timeout: 10_000 };

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

/** A static server for `root`: files only (no directory listing), `/` is index.html. */
export function serve(root) {
  const server = http.createServer(async (req, res) => {
    const fail = (code) => {
      res.writeHead(code, { "content-type": "text/plain; charset=utf-8" });
      res.end(`${code}\n`);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return fail(405);
    let rel;
    try {
      rel = decodeURIComponent(new URL(req.url, "http://x").pathname);
    } catch {
      return fail(400);
    }
    if (rel.endsWith("/")) rel += "index.html";
    const file = path.resolve(root, "." + rel);
    if (file !== root && !file.startsWith(root + path.sep)) return fail(403);
    try {
      const stat = await fs.stat(file);
      if (!stat.isFile()) return fail(404);
      const body = await fs.readFile(file);
      res.writeHead(200, {
        "content-type": MIME[path.extname(file)] ?? "application/octet-stream",
        "content-length": body.length,
        "cache-control": "no-store",
      });
      res.end(req.method === "HEAD" ? undefined : body);
    } catch {
      fail(404);
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

/**
 * Serves `root` (default dist/) unless `origin` is given, launches Chromium
 * with a fresh profile and opens `path` (default "/"). Returns the page, the
 * origin, `takeProblems()` (and clears them) and `close()`. `initScript` runs in
 * the page before its own scripts; `permissions` are granted to the origin
 * (e.g. ["clipboard-read", "clipboard-write"]).
 */
export async function openPage({
  root = DIST,
  origin = null,
  path: at = "/",
  viewport,
  initScript = null,
  permissions = [],
} = {}) {
  let server = null;
  if (!origin) {
    await fs.access(path.join(root, "index.html")).catch(() => {
      throw new Error(`${root}/index.html is missing: run scripts/build-app.sh first`);
    });
    server = await serve(root);
    origin = `http://127.0.0.1:${server.address().port}`;
  }
  const userDataDir = await fs.mkdtemp(path.join(os.tmpdir(), "erldist-e2e-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: viewport ?? { width: 1280, height: 900 },
  });
  if (initScript) await context.addInitScript(initScript);
  if (permissions.length) await context.grantPermissions(permissions, { origin });
  let problems = [];
  const self = new URL(origin);
  // Nothing leaves the page's own origin (data: URLs are not requests;
  // websockets to the page's own host and port are the bridge).
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    problems.push(`request to another origin: ${url}`);
    return route.abort("blockedbyclient");
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("requestfailed", (r) =>
    problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`),
  );
  page.on("websocket", (ws) => {
    const u = new URL(ws.url());
    if (u.host !== self.host) problems.push(`websocket to another host: ${ws.url()}`);
  });
  const resp = await page.goto(`${origin}${at}`, { waitUntil: "load" });
  if (resp.status() !== 200) throw new Error(`GET ${at}: ${resp.status()}`);
  return {
    page,
    context,
    origin,
    takeProblems() {
      const seen = problems;
      problems = [];
      return seen;
    },
    async close() {
      await context.close();
      if (server) await new Promise((resolve) => server.close(resolve));
      await fs.rm(userDataDir, { recursive: true, force: true });
    },
  };
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The byte-table row whose field cell is exactly `field`, in `scope`. */
export function rowOf(page, scope, field) {
  return scope.locator("table.bytes tbody tr", {
    has: page.locator("td.c-field", { hasText: new RegExp(`^${escapeRegExp(field)}$`) }),
  });
}
