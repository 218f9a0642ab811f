// The README's screenshots of the main views, taken from the built
// playground (dist/) in headless Chromium. Not a test.
//
//   node e2e/screenshots.mjs [OUT_DIR]      (default docs/screenshots)
//
// The live and tap views need a real epmd, node and bridge: their tests
// take them (LIVE_SCREENSHOT=... node --test e2e/live.test.mjs,
// TAP_SCREENSHOT=... node --test e2e/tap.test.mjs).

import fs from "node:fs/promises";
import path from "node:path";
import { HERE, WAIT, openPage } from "./harness.mjs";

const out = path.resolve(process.argv[2] ?? path.join(HERE, "..", "docs", "screenshots"));
await fs.mkdir(out, { recursive: true });

const h = await openPage({ viewport: { width: 1360, height: 900 } });
const { page, origin } = h;
const shot = async (name) => {
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(out, `${name}.png`) });
  console.log(`${name}.png`);
};

// The builder on ALIVE2_REQ.
await page.goto(`${origin}/?build=ALIVE2_REQ&port=9506&name=node`);
await page.locator("#built-hex").waitFor(WAIT);
await shot("builder");

// The decoder on the classic mistake, with its finding.
await page.goto(`${origin}/?tab=gallery`);
await page.locator("#example-first-mistake button.gallery-open").click();
await page.locator(".example-note").waitFor(WAIT);
await shot("decoder-mistake");

// A byte hovered in the hex view: its field lit up in the table and tree.
await page.goto(`${origin}/?decode=${encodeURIComponent("00 11 78 25 22 4d 00 00 06 00 05 00 04 6e 6f 64 65 00 00")}`);
const byte = page.locator("[data-offset='3']").first();
if (await byte.count()) {
  await byte.hover();
}
await shot("frame-views");

// A real capture: the frame list with its sequence lanes.
await page.goto(`${origin}/`);
await page
  .locator("input[type=file]")
  .first()
  .setInputFiles(path.join(HERE, "..", "codec/tests/vectors/dist/dist_hidden.pcap"));
await page.locator("[data-decode-state=done]").first().waitFor(WAIT);
await shot("capture-sequence");

// The Learn tab.
await page.goto(`${origin}/?tab=gallery`);
await page.locator(".gallery-card").first().waitFor(WAIT);
await shot("learn");

const problems = h.takeProblems();
await h.close();
if (problems.length) throw new Error(`the page reported problems: ${problems.join("; ")}`);
