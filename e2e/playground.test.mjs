// Browser test of the built playground (dist/) in the system Chromium.
//
// Serves dist/ on a free 127.0.0.1 port with a tiny static server, drives
// /usr/bin/chromium through playwright-core (no browser download), and fails
// on any page error, console error or request to another origin.
//
// Run: node --test e2e/   (after scripts/build-app.sh; or scripts/test-browser.sh)

import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DIST = path.resolve(HERE, "..", "dist");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const WAIT = { timeout: 10_000 };

const ALIVE2_REQ = "00 11 78 25 22 4d 00 00 06 00 05 00 04 6e 6f 64 65 00 00";
const NAMES_LOG = `epmd: Tue Nov 24 13:40:50 2026: opening connection on file descriptor 6
epmd: Tue Nov 24 13:40:50 2026: got 3 bytes
***** 00000000  00 01 6e                                          |..n|
epmd: Tue Nov 24 13:40:50 2026: ** got NAMES_REQ
epmd: Tue Nov 24 13:40:50 2026: got 26 bytes
***** 00000000  00 00 11 11 6e 61 6d 65  20 66 6f 6f 20 61 74 20  |....name foo at |
***** 00000010  70 6f 72 74 20 35 35 35  35 0a                    |port 5555.|
epmd: Tue Nov 24 13:40:50 2026: closing connection on file descriptor 6
`;

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
function serve(root) {
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

let server;
let origin;
let userDataDir;
let context;
let page;
/** Problems seen by the page since the last check. */
let problems = [];

before(async () => {
  await fs.access(path.join(DIST, "index.html")).catch(() => {
    throw new Error(`${DIST}/index.html is missing: run scripts/build-app.sh first`);
  });
  server = await serve(DIST);
  origin = `http://127.0.0.1:${server.address().port}`;
  userDataDir = await fs.mkdtemp(path.join(os.tmpdir(), "erldist-e2e-"));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  // Nothing leaves the page's own origin (data: URLs are not requests).
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    problems.push(`request to another origin: ${url}`);
    return route.abort("blockedbyclient");
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("requestfailed", (r) =>
    problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`),
  );
  const resp = await page.goto(`${origin}/`, { waitUntil: "load" });
  assert.equal(resp.status(), 200);
  await page.locator("textarea#input").waitFor(WAIT);
});

afterEach(() => {
  const seen = problems;
  problems = [];
  assert.deepEqual(seen, [], "the page reported problems");
});

after(async () => {
  await context?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
  if (userDataDir) await fs.rm(userDataDir, { recursive: true, force: true });
});

/** Empties the paste box, then types `text` key by key. */
async function typeInto(text) {
  const box = page.locator("textarea#input");
  await box.fill("");
  await box.pressSequentially(text);
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The table row whose field cell is exactly `field`, in `scope`. */
function rowOf(scope, field) {
  return scope.locator("table.bytes tbody tr", {
    has: page.locator("td.c-field", { hasText: new RegExp(`^${escapeRegExp(field)}$`) }),
  });
}

test("the server serves assets with the right MIME types and no listings", async () => {
  const html = await fetch(`${origin}/`);
  assert.match(html.headers.get("content-type"), /^text\/html/);
  const index = await html.text();
  const wasm = index.match(/["']\.?\/?([^"']+\.wasm)["']/)?.[1];
  const js = index.match(/["']\.?\/?([^"']+\.js)["']/)?.[1];
  assert.ok(wasm && js, "index.html references the .js and .wasm");
  assert.equal((await fetch(`${origin}/${wasm}`)).headers.get("content-type"), "application/wasm");
  assert.match((await fetch(`${origin}/${js}`)).headers.get("content-type"), /^text\/javascript/);
  assert.equal((await fetch(`${origin}/..%2f..%2fetc/passwd`)).status, 403);
  assert.equal((await fetch(`${origin}/nope/`)).status, 404);
});

test("typing an ALIVE2_REQ shows its annotated byte layout", async () => {
  await typeInto(ALIVE2_REQ);
  const frame = page.locator("article.frame").first();
  await frame.locator(".frame-type", { hasText: /^ALIVE2_REQ$/ }).waitFor(WAIT);
  assert.equal(await page.locator("article.frame").count(), 1);
  await frame.locator(".status-complete").waitFor(WAIT);

  const port = rowOf(frame, "port");
  assert.equal(await port.count(), 1);
  assert.equal((await port.locator("td.c-value").textContent()).trim(), "9506");
  assert.equal((await port.locator("td.c-hex").textContent()).trim(), "25 22");
  assert.equal((await port.locator("td.c-offset").textContent()).trim(), "3");

  await frame.locator("td.c-meaning", { hasText: "node type 77" }).waitFor(WAIT);
  await frame
    .locator("td.c-meaning", { hasText: "length prefix 0x0011 = 17 bytes follow" })
    .waitFor(WAIT);
  const header = await frame.locator(".frame-header").innerText();
  assert.match(header, /request/);
  assert.match(header, /inferred/);
  assert.match(header, /offset 0 · 19 bytes/);
});

test("a pasted epmd -d -d -d log is read as a request and its reply", async () => {
  await page.locator("textarea#input").fill(NAMES_LOG);
  await page.locator("#detected-format", { hasText: /^epmd-log$/ }).waitFor(WAIT);
  const frames = page.locator("article.frame");
  await frames.nth(1).waitFor(WAIT);
  assert.equal(await frames.count(), 2);
  const [req, rep] = [frames.nth(0), frames.nth(1)];
  assert.equal((await req.locator(".frame-type").textContent()).trim(), "NAMES_REQ");
  assert.match(await req.locator(".badge-direction").textContent(), /^request/);
  assert.equal((await rep.locator(".frame-type").textContent()).trim(), "NAMES_RESP");
  assert.match(await rep.locator(".badge-direction").textContent(), /^reply/);
  // The reply's node line is a group heading followed by its indented fields.
  const group = rowOf(rep, "nodes[0]");
  assert.equal(await group.count(), 1);
  assert.match(await group.getAttribute("class"), /row-group/);
  assert.equal((await rowOf(rep, "name").locator("td.c-value").textContent()).trim(), '"foo"');
});

test("a truncated frame says how many more bytes are needed", async () => {
  await typeInto("00 11 78 25");
  const frame = page.locator("article.frame").first();
  await frame.locator(".status-incomplete").first().waitFor(WAIT);
  const text = await frame.innerText();
  assert.match(text, /incomplete/);
  assert.match(text, /15 more bytes needed/);
  assert.match(await page.locator("body").innerText(), /more bytes needed/);
});

test("bad hex is an input error with its line and column", async () => {
  await typeInto("00 zz");
  const box = page.locator(".input-error");
  await box.waitFor(WAIT);
  const text = await box.innerText();
  assert.match(text, /line 1, column 4/);
  assert.match(text, /not a hex digit/);
  assert.equal(await page.locator("article.frame").count(), 0);
});

test("a decode error highlights the row and the byte it points at", async () => {
  await page.locator("button.example", { hasText: "bad name_len" }).click();
  const frame = page.locator("article.frame").first();
  await frame.locator(".status-error").waitFor(WAIT);
  assert.match(await frame.locator(".callout-error").innerText(), /byte 11/);
  const bad = frame.locator("tr.is-error");
  assert.equal(await bad.count(), 1);
  assert.equal((await bad.locator("td.c-field").textContent()).trim(), "name_len");
  assert.equal((await bad.locator("td.c-offset").textContent()).trim(), "11");
  assert.equal((await bad.locator("mark.bad-byte").textContent()).trim(), "00");
  assert.equal(await bad.getAttribute("id"), "frame-1-error");

  await page.screenshot({ path: path.join(HERE, "screenshot.png"), fullPage: true });
});

test("the ASCII example is decoded as a request, as epmd reads it", async () => {
  await page.locator("button.example", { hasText: "ASCII" }).click();
  await page
    .locator("td.c-meaning", { hasText: "length prefix 0x3132 = 12594 bytes follow" })
    .waitFor(WAIT);
  assert.equal(await page.locator("select#direction").inputValue(), "request");
  await page.locator("button.example", { hasText: "ALIVE2_REQ" }).click();
  await page.locator(".frame-type", { hasText: /^ALIVE2_REQ$/ }).waitFor(WAIT);
  assert.equal(await page.locator("select#direction").inputValue(), "auto");
});
