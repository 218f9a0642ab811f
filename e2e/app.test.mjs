// Browser tests of the page around the tabs: the tabs themselves, the
// "Learn" gallery opening its examples in the decoder and the builder with
// their explanation, the back button restoring the URL's state, the theme
// switch, embed mode and the panic banner (the JS API page: api.test.mjs).
//
// Run: node --test e2e/app.test.mjs   (after scripts/build-app.sh)

import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { WAIT, openPage } from "./harness.mjs";

let h;
let page;

before(async () => {
  h = await openPage();
  page = h.page;
  await page.locator("#tab-panel").waitFor(WAIT);
});

afterEach(() => {
  assert.deepEqual(h.takeProblems(), [], "the page reported problems");
});

after(async () => {
  await h?.close();
});

const query = () => new URL(page.url()).search;

test("the tabs are a labelled tablist and each one shows its panel", async () => {
  const tabs = page.locator('nav[role="tablist"] [role="tab"]');
  assert.deepEqual(await tabs.allInnerTexts(), ["Decode", "Build", "Learn", "Live", "Tap"]);
  await page.locator("#tab-gallery").click();
  assert.equal(await page.locator("#tab-gallery").getAttribute("aria-selected"), "true");
  assert.equal(await page.locator("#tab-decode").getAttribute("aria-selected"), "false");
  await page.locator(".gallery-card").first().waitFor(WAIT);
  assert.ok((await page.locator(".gallery-card").count()) >= 10);
  assert.match(query(), /tab=gallery/);
  assert.equal(
    await page.locator("#tab-panel").getAttribute("aria-labelledby"),
    "tab-gallery",
  );
});

test("a gallery example opens in the decoder with its explanation, and back returns", async () => {
  await page.goto(`${h.origin}/?tab=gallery`);
  const card = page.locator("#example-first-mistake");
  await card.waitFor(WAIT);
  await card.locator("button.gallery-open").click();
  // The decoder, on the ASCII bytes, read as epmd reads them.
  await page.locator(".example-note", { hasText: "numbers as text" }).waitFor(WAIT);
  assert.equal(await page.locator("#tab-decode").getAttribute("aria-selected"), "true");
  await page.locator("text=/12594/").first().waitFor(WAIT);
  assert.match(await page.locator("#tab-panel").innerText(), /ascii-decimal|decimal digits/);
  const q = new URLSearchParams(query());
  assert.equal(q.get("example"), "first-mistake");
  assert.match(q.get("decode"), /^31 32 30/);
  // Closing the explanation keeps the decoder and drops it from the URL.
  await page.locator(".example-note-close").click();
  assert.equal(await page.locator(".example-note").count(), 0);
  assert.equal(new URLSearchParams(query()).get("example"), null);
  // Back: the gallery again.
  await page.goBack();
  await page.locator("#example-first-mistake").waitFor(WAIT);
  assert.equal(await page.locator("#tab-gallery").getAttribute("aria-selected"), "true");
});

test("a builder example opens the builder on its message", async () => {
  await page.goto(`${h.origin}/?tab=gallery`);
  await page.locator("#example-hidden-node button.gallery-open").click();
  await page.locator(".example-note", { hasText: "Hidden or normal" }).waitFor(WAIT);
  assert.equal(await page.locator("#tab-build").getAttribute("aria-selected"), "true");
  const q = new URLSearchParams(query());
  assert.equal(q.get("build"), "ALIVE2_REQ");
  assert.equal(q.get("node_type"), "72");
});

test("every gallery example opens without an input error or a page error", async () => {
  await page.goto(`${h.origin}/?tab=gallery`);
  const ids = await page.locator(".gallery-card").evaluateAll((cs) => cs.map((c) => c.id));
  for (const id of ids) {
    await page.goto(`${h.origin}/?tab=gallery`);
    await page.locator(`#${id} button.gallery-open`).click();
    await page.locator(".example-note").waitFor(WAIT);
    assert.equal(await page.locator(".input-error").count(), 0, `${id}: input error`);
  }
});

test("the theme switch flips data-theme and survives a reload", async () => {
  await page.goto(`${h.origin}/`);
  await page.locator("#theme-toggle").waitFor(WAIT);
  const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
  const before = await theme();
  assert.ok(before === "light" || before === "dark");
  await page.locator("#theme-toggle").click();
  const flipped = before === "light" ? "dark" : "light";
  assert.equal(await theme(), flipped);
  const bg = await page.evaluate(() => getComputedStyle(document.body).getPropertyValue("--bg"));
  assert.ok(bg.trim().length > 0);
  await page.reload();
  await page.locator("#tab-panel").waitFor(WAIT);
  assert.equal(await theme(), flipped);
  await page.locator("#theme-toggle").click();
  assert.equal(await theme(), before);
});

test("embed mode drops the header and tabs but keeps the decoder", async () => {
  await page.goto(`${h.origin}/?decode=00+01+6e&embed=1`);
  await page.locator(".frame-type", { hasText: /^NAMES_REQ$/ }).first().waitFor(WAIT);
  assert.equal(await page.locator(".site-header").count(), 0);
  assert.equal(await page.locator('nav[role="tablist"]').count(), 0);
  assert.match(await page.locator(".page").getAttribute("class"), /is-embed/);
});

test("a panic shows the error banner with a reload that keeps the URL", async () => {
  await page.goto(`${h.origin}/?decode=00+01+6e`);
  await page.locator(".frame-type", { hasText: /^NAMES_REQ$/ }).first().waitFor(WAIT);
  const banner = page.locator("#error-banner");
  assert.equal(await banner.isVisible(), false);
  const err = await page.evaluate(() => {
    try {
      window.wasmBindings.__erldist_test_panic();
      return "no error";
    } catch (e) {
      return String(e);
    }
  });
  assert.notEqual(err, "no error");
  await banner.waitFor({ state: "visible", ...WAIT });
  assert.match(await banner.innerText(), /deliberate panic/);
  // The panic is logged as a console error: expected here, not a problem.
  const seen = h.takeProblems();
  assert.ok(seen.every((p) => /deliberate panic|unreachable|RuntimeError/.test(p)), seen.join("\n"));
  await banner.locator("button", { hasText: "Reload" }).click();
  await page.locator(".frame-type", { hasText: /^NAMES_REQ$/ }).first().waitFor(WAIT);
  assert.equal(await page.locator("#error-banner").isVisible(), false);
  assert.equal(new URLSearchParams(new URL(page.url()).search).get("decode"), "00 01 6e");
});
