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
import { WAIT, openPage } from "./harness.mjs";
import {
  epmdNames as names,
  freePort,
  startBridge,
  startEpmd,
  startNode,
  stopAll,
  until,
} from "./procs.mjs";

const COOKIE = "e2ecookie";
const ALIVE = "livee2e";
const NODE = `${ALIVE}@127.0.0.1`;
const LONG = { timeout: 20_000 };

let epmdPort;
let bridge;
let node;
let h;
let page;

/** The real `epmd -port N -names` of the test's epmd. */
const epmdNames = () => names(epmdPort);

before(async () => {
  epmdPort = await freePort();
  const nodePort = await freePort();
  const bridgePort = await freePort();

  await startEpmd(epmdPort);
  node = startNode(ALIVE, COOKIE, nodePort, epmdPort, 'io:format("E2E-NODE ~s up~n", [node()]).');
  await until("the erl node to start", () => node.out.includes("E2E-NODE"), 30_000);
  await until("the node in epmd -names", () => epmdNames().includes(`name ${ALIVE} at port`));

  let origin;
  ({ rec: bridge, origin } = await startBridge(bridgePort, epmdPort));

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
