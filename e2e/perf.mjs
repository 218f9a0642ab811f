// Size and speed of the built playground in headless Chromium (issue 6,
// item 8). Not a test: it prints figures (scripts/app-perf.sh runs it).
//
//   node e2e/perf.mjs [--runs N] [--capture FILE]...
//
// 1. First load: the files index.html makes the browser fetch (JS, wasm,
//    CSS), raw and gzip -9.
// 2. Navigation to interactive: from navigation start to the moment the app
//    has rendered its tab panel (wasm fetched, compiled, instantiated, the
//    Yew app mounted and its handlers attached), median and max of N cold
//    loads (a fresh browser profile each time).
// 3. Per capture: open it through the decoder's file input; time to the
//    first frame row, time until the decoder reports it done, and the
//    longest main-thread task meanwhile (PerformanceObserver "longtask").

import fs from "node:fs/promises";
import path from "node:path";
import zlib from "node:zlib";
import { DIST, HERE, openPage } from "./harness.mjs";

const args = process.argv.slice(2);
let runs = 5;
const captures = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--runs") runs = Number(args[++i]);
  else if (args[i] === "--capture") captures.push(path.resolve(args[++i]));
  else throw new Error(`unknown argument ${args[i]}`);
}
if (captures.length === 0) {
  captures.push(path.resolve(HERE, "..", "codec/tests/vectors/dist/dist_full.pcap"));
}

const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
const ms = (n) => `${n.toFixed(0)} ms`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// 1. What the first load fetches.
const index = await fs.readFile(path.join(DIST, "index.html"), "utf8");
const refs = [...index.matchAll(/(?:href|src)=["']\.?\/?([^"']+\.(?:js|wasm|css))["']/g)].map(
  (m) => m[1],
);
const files = [...new Set(refs)];
let raw = 0;
let gz = 0;
console.log("first load (what index.html fetches):");
for (const f of files) {
  const body = await fs.readFile(path.join(DIST, f));
  const g = zlib.gzipSync(body, { level: 9 }).length;
  raw += body.length;
  gz += g;
  console.log(`  ${f.padEnd(34)} ${String(body.length).padStart(9)} B  gzip ${String(g).padStart(8)} B`);
}
console.log(`  ${"total".padEnd(34)} ${String(raw).padStart(9)} B  gzip ${String(gz).padStart(8)} B (${kb(gz)})`);

// Records when the tab panel first appears, and every long task.
const INIT = `
  window.__perf = { interactive: null, longtasks: [] };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__perf.longtasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: "longtask", buffered: true });
  const mo = new MutationObserver(() => {
    if (window.__perf.interactive === null && document.getElementById("tab-panel")) {
      window.__perf.interactive = performance.now();
      mo.disconnect();
    }
  });
  document.addEventListener("DOMContentLoaded", () => mo.observe(document.body, { childList: true, subtree: true }));
`;

// 2. Navigation to interactive, cold.
const times = [];
for (let i = 0; i < runs; i++) {
  const h = await openPage({ initScript: INIT });
  await h.page.waitForFunction(() => window.__perf.interactive !== null, null, { timeout: 30_000 });
  times.push(await h.page.evaluate(() => window.__perf.interactive));
  await h.close();
}
console.log(
  `navigation to interactive (${runs} cold loads): median ${ms(median(times))}, max ${ms(Math.max(...times))}`,
);

// 3. Captures through the decoder's file input.
for (const file of captures) {
  const h = await openPage({ initScript: INIT });
  const { page } = h;
  await page.waitForFunction(() => window.__perf.interactive !== null, null, { timeout: 30_000 });
  const size = (await fs.stat(file)).size;
  const t0 = await page.evaluate(() => {
    window.__perf.longtasks = [];
    window.__perf.first = null;
    window.__perf.done = null;
    // Times taken in the page, when the DOM changes.
    const mo = new MutationObserver(() => {
      if (window.__perf.first === null && document.querySelector(".frame-row, article.frame")) {
        window.__perf.first = performance.now();
      }
      if (document.querySelector("[data-decode-state=done]")) {
        window.__perf.done = performance.now();
        mo.disconnect();
      }
    });
    mo.observe(document.body, { childList: true, subtree: true, attributes: true });
    return performance.now();
  });
  await page.locator("input[type=file]").first().setInputFiles(file);
  await page.waitForFunction(() => window.__perf.done !== null, null, { timeout: 300_000 });
  await page.waitForTimeout(200); // let the last long-task entries arrive
  const { first: tFirst, done: tDone } = await page.evaluate(() => window.__perf);
  const tasks = await page.evaluate((t) => window.__perf.longtasks.filter((x) => x.start >= t), t0);
  const longest = tasks.reduce((m, x) => Math.max(m, x.duration), 0);
  const frames = await page.locator("[data-frame-count]").first().getAttribute("data-frame-count");
  console.log(
    `${path.basename(file)} (${kb(size)}, ${frames} frames): first frame ${ms(tFirst - t0)}, ` +
      `done ${ms(tDone - t0)}, longest task ${ms(longest)} (${tasks.length} tasks over 50 ms)`,
  );
  const problems = h.takeProblems();
  await h.close();
  if (problems.length) throw new Error(`the page reported problems: ${problems.join("; ")}`);
}
