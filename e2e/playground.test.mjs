// Browser test of the built playground (dist/) in the system Chromium: the
// decoder tab. The harness (harness.mjs) serves dist/ on a free 127.0.0.1
// port, drives /usr/bin/chromium through playwright-core (no browser
// download), and fails on any page error, console error or request to
// another origin.
//
// Run: node --test e2e/   (after scripts/build-app.sh; or scripts/test-browser.sh)

import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { HERE, WAIT, openPage, rowOf as rowIn } from "./harness.mjs";

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

let h;
let page;
let origin;

before(async () => {
  h = await openPage();
  page = h.page;
  origin = h.origin;
  await page.locator("textarea#input").waitFor(WAIT);
});

afterEach(() => {
  assert.deepEqual(h.takeProblems(), [], "the page reported problems");
});

after(async () => {
  await h?.close();
});

/** Empties the paste box, then types `text` key by key. */
async function typeInto(text) {
  const box = page.locator("textarea#input");
  await box.fill("");
  await box.pressSequentially(text);
}

/** The table row whose field cell is exactly `field`, in `scope`. */
function rowOf(scope, field) {
  return rowIn(page, scope, field);
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
