// Browser test of the live tab against the real thing: a real epmd, a real
// `erl` node and the real bridge (erldist-bridge), all started here on free
// ports of 127.0.0.1 and stopped here (also when a test fails). The bridge
// serves dist/ and relays the page's websockets; the page registers a name
// (seen by the real `epmd -names`), closes it (gone), connects to the node
// as a hidden node with its cookie and calls erlang:node() through rex.
// A last test opens the tab on a static server (no bridge) and checks the
// page says so and how to start it.
//
// Needs: scripts/build-app.sh (dist/), `cargo build -p erldist-bridge`
// (found at $BRIDGE, else $CARGO_TARGET_DIR/debug/erldist-bridge, else
// target/debug/erldist-bridge), and epmd + erl on PATH (Debian erlang-base).
//
// Run: node --test e2e/live.test.mjs

import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { DIST, HERE, WAIT, openPage } from "./harness.mjs";

const ROOT = path.resolve(HERE, "..");
const COOKIE = "e2ecookie";
const ALIVE = "livee2e";
const NODE = `${ALIVE}@127.0.0.1`;
const LONG = { timeout: 20_000 };

/** The bridge binary, or an error saying how to build it. */
function bridgeBinary() {
  const candidates = [
    process.env.BRIDGE,
    process.env.CARGO_TARGET_DIR && path.join(process.env.CARGO_TARGET_DIR, "debug", "erldist-bridge"),
    path.join(ROOT, "target", "debug", "erldist-bridge"),
  ].filter(Boolean);
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) {
    throw new Error(
      `erldist-bridge not found (looked at ${candidates.join(", ")}): run cargo build -p erldist-bridge`,
    );
  }
  return found;
}

/** A free TCP port on 127.0.0.1 (bound, then released). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, fn, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** Every process this file starts, stopped in `after` and on exit. */
const children = [];

function start(what, cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...opts });
  const rec = { what, child, out: "" };
  child.stdout.on("data", (d) => (rec.out += d));
  child.stderr.on("data", (d) => (rec.out += d));
  child.once("error", (e) => (rec.out += `\nspawn error: ${e.message}`));
  children.push(rec);
  return rec;
}

async function stopAll() {
  for (const rec of children.splice(0).reverse()) {
    const { child } = rec;
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const gone = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await gone;
    clearTimeout(t);
  }
}

process.on("exit", () => {
  for (const { child } of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
});

let epmdPort;
let bridge;
let node;
let h;
let page;

/** The real `epmd -port N -names`. */
function epmdNames() {
  return execFileSync("epmd", ["-port", String(epmdPort), "-names"], {
    env: { ...process.env, ERL_EPMD_PORT: "" },
    encoding: "utf8",
  });
}

before(async () => {
  const bin = bridgeBinary();
  epmdPort = await freePort();
  const nodePort = await freePort();
  const bridgePort = await freePort();

  const epmd = start("epmd", "epmd", ["-port", String(epmdPort), "-address", "127.0.0.1"], {
    env: { ...process.env, ERL_EPMD_RELAXED_COMMAND_CHECK: "" },
  });
  await until(`epmd on ${epmdPort} (${epmd.out})`, () => canConnect(epmdPort));

  node = start(
    "erl",
    "erl",
    [
      "-noshell",
      "-name",
      NODE,
      "-setcookie",
      COOKIE,
      "-kernel",
      "inet_dist_listen_min",
      String(nodePort),
      "inet_dist_listen_max",
      String(nodePort),
      "-kernel",
      "inet_dist_use_interface",
      "{127,0,0,1}",
      "-start_epmd",
      "false",
      "-eval",
      'io:format("E2E-NODE ~s up~n", [node()]).',
    ],
    { env: { ...process.env, ERL_EPMD_PORT: String(epmdPort) } },
  );
  await until("the erl node to start", () => node.out.includes("E2E-NODE"), 30_000);
  await until("the node in epmd -names", () => epmdNames().includes(`name ${ALIVE} at port`));

  bridge = start(
    "erldist-bridge",
    bin,
    [
      "--listen",
      `127.0.0.1:${bridgePort}`,
      "--epmd",
      `127.0.0.1:${epmdPort}`,
      "--serve",
      DIST,
    ],
    { cwd: ROOT },
  );
  const origin = `http://127.0.0.1:${bridgePort}`;
  await until(`the bridge to serve ${origin} (${bridge.out})`, async () => (await fetch(`${origin}/`)).ok);

  h = await openPage({ origin, path: "/?tab=live" });
  page = h.page;
  await page.locator("#live-register-name").waitFor(WAIT);
});

afterEach(() => {
  if (h) assert.deepEqual(h.takeProblems(), [], "the page reported problems");
});

after(async () => {
  try {
    await h?.close();
  } finally {
    await stopAll();
  }
});

test("NAMES through the bridge lists the node", async () => {
  await page.locator("#live-epmd-names").click();
  await page.locator("#live-bridge.is-present").waitFor(WAIT);
  const row = page.locator("#live-transcript tr.live-frame", { hasText: "NAMES_RESP" });
  await row.first().waitFor(WAIT);
  await row.first().click();
  const detail = page.locator("#live-frame-detail");
  await detail.waitFor(WAIT);
  assert.match(await detail.innerText(), new RegExp(`node "${ALIVE}" listens on port \\d+`));
});

test("a name registered from the page is in epmd -names until the page closes it", async () => {
  await page.locator("#live-register-name").fill("e2ereg");
  await page.locator("#live-register-port").fill("9999");
  await page.locator("#live-register").click();
  const reg = page.locator("#live-registered");
  await reg.getByText(/registered as e2ereg, creation \d+/).waitFor(WAIT);
  const creation = (await reg.innerText()).match(/creation (\d+)/)[1];
  assert.ok(Number(creation) >= 4, `epmd's v6 creations are >= 4: ${creation}`);
  assert.match(epmdNames(), /name e2ereg at port 9999/);

  await page.locator("#live-registered button.live-unregister").click();
  await reg.getByText("No name registered").waitFor(WAIT);
  await until("epmd to drop e2ereg", () => !epmdNames().includes("e2ereg"));
  assert.match(await page.locator("#live-log").innerText(), /dropped "e2ereg".*no unregister message/s);
  // Both frames are in the transcript.
  const t = await page.locator("#live-transcript").innerText();
  assert.match(t, /ALIVE2_REQ/);
  assert.match(t, /ALIVE2_X_RESP/);
});

test("the page connects to the node as a hidden node and calls erlang:node() through rex", async () => {
  await page.locator("#live-node-name").fill(ALIVE);
  await page.locator("#live-cookie").fill(COOKIE);
  await page.locator("#live-node-connect").click();
  const status = page.locator("#live-node-status");
  await status.getByText(`connected to ${NODE} as hidden node`).waitFor(LONG);
  assert.match(await page.locator("#live-digests").innerText(), /matches: the cookies agree/);

  await page.locator("#live-rpc-node").click();
  const result = page.locator("#live-rpc-result");
  await result.getByText(`'${NODE}'`).waitFor(LONG);
  assert.match(await result.innerText(), new RegExp(`erlang:node\\(\\) → '${NODE.replace(/\./g, "\\.")}'`));

  await page.locator("#live-rpc-text").fill("lists:reverse([1,2,3])");
  await page.locator("#live-rpc-call").click();
  await result.getByText("[3,2,1]").waitFor(LONG);

  const t = await page.locator("#live-transcript").innerText();
  for (const frame of ["PORT_PLEASE2_REQ", "SEND_NAME", "CHALLENGE_REPLY", "CHALLENGE_ACK", "REG_SEND"]) {
    assert.match(t, new RegExp(frame), `${frame} in the transcript`);
  }
  await page.locator("#live-transcript tr.live-frame", { hasText: "CHALLENGE_ACK" }).first().click();
  await page.locator("#live-frame-detail").waitFor(WAIT);
  // LIVE_SCREENSHOT=path.png: a picture of the connected panel (README).
  if (process.env.LIVE_SCREENSHOT) {
    await page.screenshot({ path: process.env.LIVE_SCREENSHOT, fullPage: true });
  }
  await page.locator("#live-node-disconnect").click();
  await status.getByText("closed").waitFor(WAIT);
});

test("without a bridge the page says so and how to start it", async () => {
  const s = await openPage({ path: "/?tab=live" });
  try {
    await s.page.locator("#live-epmd-names").click();
    const banner = s.page.locator("#live-bridge.is-missing");
    await banner.waitFor(WAIT);
    assert.match(await banner.innerText(), /scripts\/run\.sh/);
    // The failed websocket is the only thing the browser complains about.
    const other = s.takeProblems().filter((p) => !/WebSocket connection to .*\/ws\/epmd/.test(p));
    assert.deepEqual(other, []);
  } finally {
    await s.close();
  }
});
