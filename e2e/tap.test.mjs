// Browser test of tap mode against the real thing: a real epmd, real
// Node.js programs, real `erl` nodes, the real `epmd -names` client and the
// real bridge (erldist-bridge --tap ...), all started here on free ports of
// 127.0.0.1 and stopped here (also when a test fails). The page (the Tap
// tab, subscribed to the bridge's /ws/tap) must:
//
//  (a) show the forum snippet `sock.write(Buffer.from('1209506770556client0'))`
//      sent through an epmd tap with the ASCII-digits finding, and that epmd
//      closed the connection;
//  (b) explain a corrected Node.js client's registration (seen by the real
//      `epmd -names`) and, when it closes its socket, its unregistration;
//  (c) decode live a whole node session: a real erl node registers through
//      the epmd tap (ERL_EPMD_PORT = tap port), a second real node connects
//      to it through a node tap and calls it (rpc), handshake and connected
//      frames decoded with atom-cache refs resolved; the cookie typed in the
//      page checks the digests;
//  (d) play epmd for a `browser:epmd` tap: a Node.js client registers with
//      the page, and the real `epmd -port R -names` prints the page's table.
//
// How the second node reaches the first through the node tap, for real: it
// resolves names with its own epmd (a second real epmd), in which a Node.js
// program registered the first node's name at the node tap's port. The tap
// looks the name up in the bridge's epmd and forwards to the real node.
//
// Needs: scripts/build-app.sh (dist/), `cargo build -p erldist-bridge`
// (found at $BRIDGE, else $CARGO_TARGET_DIR/debug/erldist-bridge, else
// target/debug/erldist-bridge), epmd + erl on PATH (Debian erlang-base).
// TAP_SCREENSHOT=path.png saves a picture of the Tap view on the snippet
// (docs/tap-view.png).
//
// Run: node --test e2e/tap.test.mjs

import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { WAIT, openPage } from "./harness.mjs";
import {
  epmdNames,
  exited,
  freePort,
  sleep,
  start,
  startBridge,
  startEpmd,
  startNode,
  stop,
  stopAll,
  until,
} from "./procs.mjs";

const COOKIE = "tape2ecookie";
const LONG = { timeout: 30_000 };

/** A real Node.js program (`node -e js`). */
const nodeJs = (what, js) => start(what, process.execPath, ["-e", js]);

/** The corrected client: ALIVE2_REQ written out by hand, kept open until a line on stdin. */
function correctedClient(name, nodePort, epmdPort) {
  return `
const net = require('net');
const name = Buffer.from(${JSON.stringify(name)}, 'utf8');
const body = Buffer.alloc(13 + name.length);
body.writeUInt8(120, 0);                 // ALIVE2_REQ
body.writeUInt16BE(${nodePort}, 1);      // the port our node listens on
body.writeUInt8(77, 3);                  // normal node
body.writeUInt8(0, 4);                   // TCP/IPv4
body.writeUInt16BE(6, 5);                // highest version
body.writeUInt16BE(5, 7);                // lowest version
body.writeUInt16BE(name.length, 9);
name.copy(body, 11);
body.writeUInt16BE(0, 11 + name.length); // no extra
const req = Buffer.alloc(2 + body.length);
req.writeUInt16BE(body.length, 0);       // the 2-byte length prefix
body.copy(req, 2);
const sock = net.connect(${epmdPort}, '127.0.0.1', () => {
  console.log('LOCAL ' + sock.localPort);
  sock.write(req);
});
sock.on('data', d => console.log('REPLY ' + d.toString('hex')));
sock.on('close', () => { console.log('CLOSED'); process.exit(0); });
process.stdin.on('data', () => sock.end());   // a line on stdin: close
`;
}

let epmdPort; // the real epmd behind the bridge
let epmd2Port; // the second node's own epmd
let tapEpmd; // --tap 127.0.0.1:P=epmd
let tapNode; // --tap 127.0.0.1:Q=node:tapped
let tapBrowser; // --tap 127.0.0.1:R=browser:epmd
let bridge;
let h;
let page;

/** The card of the connection whose client is 127.0.0.1:`localPort`. */
const card = (localPort) =>
  page.locator("section.tap-conn", {
    has: page.locator(".tap-peer", { hasText: new RegExp(`^127\\.0\\.0\\.1:${localPort}$`) }),
  });

before(async () => {
  [epmdPort, epmd2Port, tapEpmd, tapNode, tapBrowser] = await Promise.all(
    Array.from({ length: 5 }, freePort),
  );
  const bridgePort = await freePort();
  await startEpmd(epmdPort);
  let origin;
  ({ rec: bridge, origin } = await startBridge(bridgePort, epmdPort, [
    "--tap",
    `127.0.0.1:${tapEpmd}=epmd`,
    "--tap",
    `127.0.0.1:${tapNode}=node:tapped`,
    "--tap",
    `127.0.0.1:${tapBrowser}=browser:epmd`,
  ]));
  h = await openPage({ origin, path: "/?tab=tap" });
  page = h.page;
  await page.locator("#tap-status.is-up").waitFor(WAIT);
  // The page lists the bridge's taps and plays the browser:epmd one.
  const taps = await page.locator("#tap-taps").innerText();
  assert.match(taps, new RegExp(`127\\.0\\.0\\.1:${tapEpmd} → epmd at 127\\.0\\.0\\.1:${epmdPort}`));
  assert.match(taps, new RegExp(`127\\.0\\.0\\.1:${tapNode} → node:tapped`));
  await page.locator(".tap-epmd .tap-player.is-mine").waitFor(WAIT);
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

test("(a) the forum snippet through an epmd tap: the ASCII-digits finding, and epmd closed the connection", async () => {
  // The snippet, exactly, against the tap; then only reporting.
  const prog = nodeJs(
    "the forum snippet",
    `const net = require('net');
let sock = new net.Socket(); sock.connect(${tapEpmd}, '127.0.0.1'); sock.write(Buffer.from('1209506770556client0'))
sock.on('connect', () => console.log('LOCAL ' + sock.localPort));
sock.on('data', (d) => console.log('DATA ' + d.toString('hex')));
sock.on('close', () => console.log('CLOSED'));`,
  );
  await until(`the snippet to end (${prog.out})`, () => exited(prog) && prog.out.includes("CLOSED"));
  assert.equal(prog.child.exitCode, 0, prog.out);
  assert.doesNotMatch(prog.out, /DATA/, "epmd answers nothing");
  const local = prog.out.match(/LOCAL (\d+)/)[1];

  const c = card(local);
  await c.locator(".tap-status.is-closed", { hasText: "closed by epmd" }).waitFor(WAIT);
  const f = c.locator('.tap-finding[data-lint="ascii-decimal"]');
  await f.waitFor(WAIT);
  const ft = await f.innerText();
  assert.match(ft, /at byte 0/);
  // The corrected bytes: what the digits meant, ALIVE2_REQ "client" port
  // 9506 with its 2-byte length prefix, and code producing them.
  assert.match(ft, /Corrected bytes: 00 13 78 25 22 4d 00 00 05 00 05 00 06 63 6c 69 65 6e 74 00 00/);
  assert.equal(await f.locator("details.tap-code").count() >= 1, true);
  assert.match(await f.locator("details.tap-code summary").first().innerText(), /Node/);
  const head = await c.locator(".tap-conn-head").innerText();
  assert.match(head, /20 bytes sent, 0 received/);
  assert.match(head, /epmd closed the connection/);
  const explain = await c.locator(".tap-explain").innerText();
  assert.match(explain, /epmd logs "invalid packet size \(12594\)"/);
  assert.match(explain, /epmd closes the connection without a reply/);
  assert.match(explain, /connection ended: epmd closed the connection \(20 bytes from the program, 0 from epmd\)/);
  assert.match(
    await c.locator("article.frame").first().locator(".badge-direction").getAttribute("title"),
    /the tap saw the program send it/,
  );
  // TAP_SCREENSHOT=path.png: the Tap view on the snippet (docs/tap-view.png).
  if (process.env.TAP_SCREENSHOT) {
    await c.locator("details.tap-code").first().locator("summary").click();
    await page.screenshot({ path: process.env.TAP_SCREENSHOT, fullPage: true });
    await c.locator("details.tap-code").first().locator("summary").click();
  }
});

test("(b) a corrected Node.js client registers through the tap and unregisters by closing; the page explains both", async () => {
  const prog = nodeJs("corrected client", correctedClient("nodeclient", 43210, tapEpmd));
  const reply = await until(`the ALIVE2 reply (${prog.out})`, () => prog.out.match(/REPLY ([0-9a-f]+)/)?.[1]);
  assert.match(reply, /^7600[0-9a-f]{8}$/, "ALIVE2_X_RESP, result 0");
  assert.match(epmdNames(epmdPort), /name nodeclient at port 43210/);
  const local = prog.out.match(/LOCAL (\d+)/)[1];
  const c = card(local);
  const creation = parseInt(reply.slice(4), 16);
  await c
    .locator(".tap-explain", {
      hasText: `registered "nodeclient" on port 43210 with creation ${creation}: it is in \`epmd -names\``,
    })
    .waitFor(WAIT);
  assert.equal(await c.locator(".tap-status").innerText(), "open");
  assert.equal(await c.locator(".tap-finding").count(), 0, "nothing wrong with these bytes");
  const frames = await c.locator(".tap-frames").innerText();
  assert.match(frames, /ALIVE2_REQ/);
  assert.match(frames, /ALIVE2_X_RESP/);

  // Hold it a moment (so this is not "closed right after"), then close.
  await sleep(2_500);
  prog.child.stdin.write("close\n");
  await until("the client to exit", () => exited(prog));
  await until("nodeclient to leave epmd -names", () => !epmdNames(epmdPort).includes("nodeclient"));
  await c.locator(".tap-status.is-closed", { hasText: "closed by the program" }).waitFor(WAIT);
  await c
    .locator(".tap-explain", { hasText: 'the program closed the connection: epmd unregistered "nodeclient" at once' })
    .waitFor(WAIT);
  assert.equal(await c.locator(".tap-finding").count(), 0);
});

test("(c) a real node registers through the epmd tap, a second node reaches it through the node tap: the session decodes live", async () => {
  await page.locator("#tap-cookie").fill(COOKIE);
  const [portA, portB] = await Promise.all([freePort(), freePort()]);
  // The first node: its epmd is the tap.
  const a = startNode("tapped", COOKIE, portA, tapEpmd, 'io:format("TAP-NODE ~s up~n", [node()]).');
  await until(`the node to start (${a.out})`, () => a.out.includes("TAP-NODE"), 30_000);
  await until("tapped in epmd -names", () => epmdNames(epmdPort).includes(`name tapped at port ${portA}`));
  const reg = page.locator("section.tap-conn", {
    has: page.locator(".tap-explain", { hasText: `registered "tapped" on port ${portA}` }),
  });
  await reg.waitFor(WAIT);
  assert.equal(await reg.getAttribute("data-target"), "epmd");
  assert.equal(await reg.locator(".tap-status").innerText(), "open");

  // The second node's epmd: "tapped" is at the node tap's port.
  await startEpmd(epmd2Port);
  const alias = nodeJs("alias registration", correctedClient("tapped", tapNode, epmd2Port));
  await until(`the alias registration (${alias.out})`, () => /REPLY 7600/.test(alias.out));
  const b = startNode(
    "second",
    COOKIE,
    portB,
    epmd2Port,
    `R = rpc:call('tapped@127.0.0.1', erlang, node, []),
     L = rpc:call('tapped@127.0.0.1', lists, reverse, [[tap, atom, cache]]),
     io:format("RPC ~p ~p~n", [R, L]).`,
  );
  await until(`the rpc through the node tap (${b.out})`, () => b.out.includes("RPC "), 30_000);
  assert.match(b.out, /RPC 'tapped@127\.0\.0\.1' \[cache,atom,tap\]/);

  const s = page.locator('section.tap-conn[data-target="node:tapped"]');
  await s.first().waitFor(WAIT);
  assert.equal(await s.count(), 1);
  assert.match(await s.locator(".tap-upstream").innerText(), new RegExp(`at 127\\.0\\.0\\.1:${portA}$`));
  // The handshake, both ways, with the digests checked against the cookie.
  const frames = s.locator(".tap-frames");
  await frames.getByText("CHALLENGE_ACK").first().waitFor(LONG);
  const text = await frames.innerText();
  for (const t of ["SEND_NAME", "STATUS", "CHALLENGE", "CHALLENGE_REPLY", "CHALLENGE_ACK"]) {
    assert.match(text, new RegExp(t), `${t} decoded`);
  }
  // The connected phase: messages with atom-cache refs, every ref resolved.
  await until("the rpc decoded", async () => /:= cache\b/.test(await frames.innerText()), 15_000);
  // Big frames show their first table rows: show them all.
  for (const more of await frames.locator("button", { hasText: /^Show all/ }).all()) {
    if (await more.isVisible()) await more.click();
  }
  const all = await frames.innerText();
  assert.match(all, /atom-cache ref/i, "distribution headers with atom-cache refs");
  assert.doesNotMatch(all, /\$atom_cache_ref/, "no unresolved atom-cache ref");
  // Old entries, read from the cache an earlier header of the same
  // direction filled, and ATOM_CACHE_REF terms pointing at them.
  assert.match(all, /ref \d+: old entry, slot \d+ \(segment \d+ · 256 \+ \d+\) = 'tapped@127\.0\.0\.1' from the cache/);
  assert.match(all, /atom-cache ref \d+ = 'second@127\.0\.0\.1'/);
  assert.match(all, /atom-cache ref \d+ = 'erpc'/);
  // The rpc's own atoms (lists:reverse([tap, atom, cache])) as new entries.
  for (const a of ["reverse", "tap", "atom", "cache"]) assert.match(all, new RegExp(`new entry, slot \\d+ .*:= ${a}\\b`));
  assert.equal(await s.locator('.tap-finding[data-lint="digest-mismatch"]').count(), 0);
  // A wrong cookie in the page: the digests no longer match.
  await page.locator("#tap-cookie").fill("not-the-cookie");
  await s.locator('.tap-finding[data-lint="digest-mismatch"]').first().waitFor(WAIT);
  await page.locator("#tap-cookie").fill(COOKIE);

  await stop(b);
  await stop(a);
  await s.locator(".tap-status.is-closed").waitFor(WAIT);
  await reg.locator(".tap-status.is-closed").waitFor(WAIT);
  alias.child.stdin.write("close\n");
});

test("(d) the page plays epmd for a browser:epmd tap and the real `epmd -names` prints its table", async () => {
  const prog = nodeJs("client of the page's epmd", correctedClient("browserreg", 5555, tapBrowser));
  const reply = await until(`the page's ALIVE2 reply (${prog.out})`, () => prog.out.match(/REPLY ([0-9a-f]+)/)?.[1]);
  assert.match(reply, /^7600[0-9a-f]{8}$/);
  const played = page.locator(".tap-epmd");
  await played.locator(".tap-names", { hasText: "name browserreg at port 5555" }).waitFor(WAIT);

  const out = epmdNames(tapBrowser);
  assert.equal(out, `epmd: up and running on port ${tapBrowser} with data:\nname browserreg at port 5555\n`);
  // The NAMES conversation is a connection like any other, closed by the page.
  const names = page.locator('section.tap-conn[data-target="browser:epmd"]', {
    has: page.locator(".tap-frames", { hasText: "NAMES_RESP" }),
  });
  await names.locator(".tap-status.is-closed", { hasText: "closed by this page (playing epmd)" }).waitFor(WAIT);

  // The client closes its socket: the page's epmd drops the name.
  prog.child.stdin.write("close\n");
  await until("the client to exit", () => exited(prog));
  await played.locator(".tap-names-empty").waitFor(WAIT);
  assert.equal(epmdNames(tapBrowser), `epmd: up and running on port ${tapBrowser} with data:\n`);
});
