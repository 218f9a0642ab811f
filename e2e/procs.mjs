// Processes for the browser tests that drive real peers (live.test.mjs,
// tap.test.mjs): the bridge binary, free ports, waiting, and a registry of
// every child process started, stopped in `after` (stopAll) and killed on
// exit whatever happens.

import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { DIST, HERE } from "./harness.mjs";

export const ROOT = path.resolve(HERE, "..");

/** The bridge binary, or an error saying how to build it. */
export function bridgeBinary() {
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
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function until(what, fn, timeoutMs = 15_000) {
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

export function canConnect(port) {
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

export function start(what, cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], ...opts });
  const rec = { what, child, out: "" };
  child.stdout.on("data", (d) => (rec.out += d));
  child.stderr.on("data", (d) => (rec.out += d));
  child.once("error", (e) => (rec.out += `\nspawn error: ${e.message}`));
  children.push(rec);
  return rec;
}

export const exited = (rec) => rec.child.exitCode !== null || rec.child.signalCode !== null;

export async function stop(rec) {
  const { child } = rec;
  if (exited(rec)) return;
  const gone = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const t = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await gone;
  clearTimeout(t);
}

export async function stopAll() {
  for (const rec of children.splice(0).reverse()) await stop(rec);
}

process.on("exit", () => {
  for (const rec of children) if (!exited(rec)) rec.child.kill("SIGKILL");
});

/** The real `epmd -port N -names`. */
export function epmdNames(port) {
  return execFileSync("epmd", ["-port", String(port), "-names"], {
    env: { ...process.env, ERL_EPMD_PORT: "" },
    encoding: "utf8",
  });
}

/** A real epmd on 127.0.0.1:`port`, answering. */
export async function startEpmd(port) {
  const rec = start("epmd", "epmd", ["-port", String(port), "-address", "127.0.0.1"], {
    env: { ...process.env, ERL_EPMD_RELAXED_COMMAND_CHECK: "" },
  });
  await until(`epmd on ${port} (${rec.out})`, () => canConnect(port));
  return rec;
}

/**
 * A real erl node `alive@127.0.0.1` with `cookie`, listening on `nodePort`,
 * registering with (and resolving names through) the epmd at `epmdPort`,
 * running `evalCode`.
 */
export function startNode(alive, cookie, nodePort, epmdPort, evalCode) {
  return start(
    `erl ${alive}`,
    "erl",
    [
      "-noshell",
      "-name",
      `${alive}@127.0.0.1`,
      "-setcookie",
      cookie,
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
      evalCode,
    ],
    { env: { ...process.env, ERL_EPMD_PORT: String(epmdPort), ERL_EPMD_ADDRESS: "" } },
  );
}

/**
 * The real bridge on 127.0.0.1:`port`, serving dist/, relaying to the epmd
 * at `epmdPort`, with `args` added; resolves once it serves its page.
 */
export async function startBridge(port, epmdPort, args = []) {
  const rec = start(
    "erldist-bridge",
    bridgeBinary(),
    ["--listen", `127.0.0.1:${port}`, "--epmd", `127.0.0.1:${epmdPort}`, "--serve", DIST, ...args],
    { cwd: ROOT },
  );
  const origin = `http://127.0.0.1:${port}`;
  await until(`the bridge to serve ${origin} (${rec.out})`, async () => (await fetch(`${origin}/`)).ok);
  return { rec, origin };
}
