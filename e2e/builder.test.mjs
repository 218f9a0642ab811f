// Browser test of the builder tab (dist/ in the system Chromium, through
// harness.mjs): build ALIVE2_REQ through the form and get the exact bytes,
// override Nlen and see the error explained, round-trip a ?build= permalink
// (and the URL follows the form), tick handshake flags, and type a REG_SEND
// term payload with a parse error.
//
// Run: node --test e2e/builder.test.mjs   (after scripts/build-app.sh)

import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { WAIT, openPage } from "./harness.mjs";

const ALIVE2_REQ = "00 11 78 25 22 4d 00 00 06 00 05 00 04 6e 6f 64 65 00 00";

let h;
let page;
let origin;

before(async () => {
  h = await openPage({ path: "/?tab=build" });
  page = h.page;
  origin = h.origin;
  await page.locator("#build-message").waitFor(WAIT);
});

afterEach(() => {
  assert.deepEqual(h.takeProblems(), [], "the page reported problems");
});

after(async () => {
  await h?.close();
});

const hex = () => page.locator("code#built-hex");

/** Waits until the built hex is exactly `want`. */
async function hexIs(want) {
  await page.waitForFunction(
    (w) => document.querySelector("#built-hex")?.textContent.trim() === w,
    want,
    WAIT,
  );
  assert.equal((await hex().textContent()).trim(), want);
}

/** Waits until the URL's query has `key` = `value` (null: absent). */
async function urlHas(key, value) {
  await page.waitForFunction(
    ([k, v]) => new URLSearchParams(location.search).get(k) === v,
    [key, value],
    WAIT,
  );
}

test("ALIVE2_REQ for port 9506 / name node, typed into the form, is byte-exact", async () => {
  await page.selectOption("#build-message", "ALIVE2_REQ");
  await page.locator("#field-port").fill("9506");
  await page.locator("#field-name").fill("node");
  await hexIs(ALIVE2_REQ);
  // The derived fields show their computed values.
  assert.equal((await page.locator("output#field-name_len").textContent()).trim(), "4");
  assert.equal((await page.locator("output#field-length_prefix").textContent()).trim(), "17");
  assert.match(await page.locator("#row-name_len .badge-derived").textContent(), /derived/);
  // The frame views show the decode.
  const frame = page.locator("article.frame").first();
  await frame.locator(".frame-type", { hasText: /^ALIVE2_REQ$/ }).waitFor(WAIT);
  await frame.locator(".status-complete").waitFor(WAIT);
  await urlHas("build", "ALIVE2_REQ");
  await urlHas("port", "9506");
  await urlHas("name", "node");
  // The enum shows value, letter and meaning.
  const options = await page.locator("#field-node_type option").allTextContents();
  assert.deepEqual(options.slice(0, 3).map((o) => o.trim()), [
    "77 'M' — normal",
    "72 'H' — hidden",
    "104 'h' — C node",
  ]);

  // An out-of-range port is shown inline; the bytes stay until it is valid.
  await page.locator("#field-port").fill("70000");
  await page.locator("#error-port", { hasText: "out of range" }).waitFor(WAIT);
  assert.equal(await page.locator("#field-port").getAttribute("aria-invalid"), "true");
  await page.locator("#build-pending").waitFor(WAIT);
  assert.equal((await hex().textContent()).trim(), ALIVE2_REQ);
  await page.locator("#field-port").fill("9506");
  await hexIs(ALIVE2_REQ);
  assert.equal(await page.locator("#error-port").count(), 0);
});

test("overriding Nlen by hand builds a broken frame and explains it", async () => {
  await page.locator("#override-name_len").check();
  await page.locator("input#field-name_len").fill("1");
  await hexIs("00 11 78 25 22 4d 00 00 06 00 05 00 01 6e 6f 64 65 00 00");
  await urlHas("name_len", "1");
  // The frame's error: byte offset and field.
  const frame = page.locator("article.frame").first();
  const callout = frame.locator(".callout-error");
  await callout.waitFor(WAIT);
  const err = await callout.innerText();
  assert.match(err, /byte 14/);
  assert.match(err, /extra_len/);
  // The consequence, from the codec.
  const c = await page.locator("#consequence-name_len").innerText();
  assert.match(c, /Nlen says 1 where the byte length of name is 4/);
  assert.match(c, /name = "n" \(byte 13\)/);
  assert.match(c, /extra_len = 28516 \(bytes 14-15\)/);
  assert.match(c, /rror at byte 14 in ALIVE2_REQ\.extra_len/);
  assert.match(c, /epmd logs the error and closes the connection without a reply/);
  // Back to derived: the frame is whole again and the URL forgets Nlen.
  await page.locator("#override-name_len").uncheck();
  await hexIs(ALIVE2_REQ);
  await urlHas("name_len", null);
  assert.equal(await page.locator("#consequences").count(), 0);
});

test("?build=ALIVE2_REQ&port=9506&name=node opens that state; the URL follows the form", async () => {
  await page.goto(`${origin}/?build=ALIVE2_REQ&port=9506&name=node`);
  await hexIs(ALIVE2_REQ);
  assert.equal(await page.locator("#build-message").inputValue(), "ALIVE2_REQ");
  assert.equal(await page.locator("#field-port").inputValue(), "9506");
  assert.equal(await page.locator("#field-name").inputValue(), "node");
  assert.equal(
    new URL(page.url()).search,
    "?build=ALIVE2_REQ&port=9506&name=node",
    "opening the permalink keeps it as it is",
  );
  await page.locator("#field-highest_version").fill("5");
  await hexIs("00 11 78 25 22 4d 00 00 05 00 05 00 04 6e 6f 64 65 00 00");
  await urlHas("highest_version", "5");
  // Back to the default: out of the URL again.
  await page.locator("#field-highest_version").fill("6");
  await urlHas("highest_version", null);
  // A permalink with an override opens it overridden.
  await page.goto(`${origin}/?build=ALIVE2_REQ&port=9506&name=node&name_len=1`);
  await hexIs("00 11 78 25 22 4d 00 00 06 00 05 00 01 6e 6f 64 65 00 00");
  assert.equal(await page.locator("#override-name_len").isChecked(), true);
  await page.locator("#consequence-name_len").waitFor(WAIT);
  // Open in the decoder: the same bytes, decoded there.
  await page.locator("#open-decoder").click();
  await page.locator("textarea#input").waitFor(WAIT);
  assert.equal(
    await page.locator("textarea#input").inputValue(),
    "00 11 78 25 22 4d 00 00 06 00 05 00 01 6e 6f 64 65 00 00",
  );
  await page.locator("article.frame .frame-type", { hasText: /^ALIVE2_REQ$/ }).waitFor(WAIT);
  await urlHas("decode", "00 11 78 25 22 4d 00 00 06 00 05 00 01 6e 6f 64 65 00 00");
});

test("a handshake message: flags as checkboxes, ticking one changes the word", async () => {
  await page.goto(`${origin}/?tab=build`);
  await page.selectOption("#build-message", "SEND_NAME");
  await page.locator("#field-name").fill("a@localhost");
  const word = page.locator("#flags-word-flags");
  await word.waitFor(WAIT);
  assert.equal((await word.textContent()).trim(), "0xd07df7fbd");
  const before = (await hex().textContent()).trim();
  assert.match(before, /^00 1a 4e 00 00 00 0d 07 df 7f bd /);
  const published = page.locator("#flag-flags-PUBLISHED");
  assert.equal(await published.isChecked(), true);
  const atomCache = page.locator("#flag-flags-ATOM_CACHE");
  assert.equal(await atomCache.isChecked(), false);
  await atomCache.check();
  await page.waitForFunction(
    () => document.querySelector("#flags-word-flags")?.textContent.trim() === "0xd07df7fbf",
    null,
    WAIT,
  );
  await hexIs(before.replace("07 df 7f bd", "07 df 7f bf"));
  await urlHas("flags", "0xd07df7fbf");
  await published.uncheck();
  await page.waitForFunction(
    () => document.querySelector("#flags-word-flags")?.textContent.trim() === "0xd07df7fbe",
    null,
    WAIT,
  );
  // The frame decodes as the acceptor reads a send_name.
  const frame = page.locator("article.frame").first();
  await frame.locator(".frame-type", { hasText: /^SEND_NAME$/ }).waitFor(WAIT);
  await frame.locator(".status-complete").waitFor(WAIT);
});

test("a REG_SEND with a term payload: a parse error is shown, the page stays usable", async () => {
  await page.selectOption("#build-message", "REG_SEND");
  await page.locator("#field-to_name").fill("rex");
  await page.locator("#field-message").fill("{ping, 1}");
  const frame = page.locator("article.frame").first();
  await frame.locator(".frame-type", { hasText: /^REG_SEND$/ }).waitFor(WAIT);
  await frame.locator(".status-complete").waitFor(WAIT);
  const good = (await hex().textContent()).trim();
  assert.match(good, /^00 00 00 [0-9a-f]{2} 83 44 00 68 04 61 06 /);
  assert.match(good, / 68 02 77 04 70 69 6e 67 61 01$/); // {ping, 1}

  await page.locator("#field-message").fill("{ping,\n  ]");
  const err = page.locator("#error-message");
  await err.waitFor(WAIT);
  assert.match(await err.innerText(), /line 2, column 3/);
  assert.match(await err.locator(".term-caret").innerText(), /\]\n\s*\^/);
  assert.equal((await hex().textContent()).trim(), good, "the last valid bytes stay");
  await page.locator("#build-pending").waitFor(WAIT);

  // Still usable: fix the term, and other messages still build.
  await page.locator("#field-message").fill("{pong, 2}");
  await page.waitForFunction(
    () => / 68 02 77 04 70 6f 6e 67 61 02$/.test(document.querySelector("#built-hex")?.textContent ?? ""),
    null,
    WAIT,
  );
  assert.equal(await page.locator("#error-message").count(), 0);
  await page.selectOption("#build-message", "TICK");
  await hexIs("00 00 00 00");
});

test("embed mode gives the compact form", async () => {
  await page.goto(`${origin}/?build=PORT_PLEASE2_REQ&name=node&embed=1`);
  await hexIs("00 05 7a 6e 6f 64 65");
  assert.equal(await page.locator(".builder-page.is-compact").count(), 1);
  assert.equal(await page.locator(".site-header").count(), 0);
});
