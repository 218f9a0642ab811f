// Browser test of the JS API (src/api.rs) through its documented example
// page, www/api-example.html (copied into dist/ by Trunk): the page imports
// ./erldist-playground.js, the app does not render there, and encode /
// decode / build / messageTypes give the protocol's bytes and frames.
//
// Run: node --test e2e/api.test.mjs   (after scripts/build-app.sh)

import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { WAIT, openPage } from "./harness.mjs";

const ALIVE2_REQ = [0x00, 0x11, 0x78, 0x25, 0x22, 0x4d, 0x00, 0x00, 0x06, 0x00, 0x05, 0x00, 0x04, 0x6e, 0x6f, 0x64, 0x65, 0x00, 0x00];

let h;
let page;

before(async () => {
  h = await openPage({ path: "/api-example.html" });
  page = h.page;
  await page.locator("body[data-ready='1']").waitFor(WAIT);
});

afterEach(() => {
  assert.deepEqual(h.takeProblems(), [], "the page reported problems");
});

after(async () => {
  await h?.close();
});

/** Runs `fn(api)` in the page with the module's exports. */
function withApi(fn, arg) {
  return page.evaluate(
    async ([src, a]) => {
      const api = await import("./erldist-playground.js");
      return new Function("api", "arg", `return (${src})(api, arg);`)(api, a);
    },
    [fn.toString(), arg],
  );
}

test("the example page computes its live values and the app stays out", async () => {
  const hex = ALIVE2_REQ.map((b) => b.toString(16).padStart(2, "0")).join(" ");
  assert.equal((await page.locator("#encoded").textContent()).trim(), hex);
  assert.match(await page.locator("#decoded").textContent(), /^ALIVE2_REQ \{"port":9506,/);
  assert.match(await page.locator("#error").textContent(), /^e\.field = "port"; e\.message = "port: 70000 is out of range/);
  assert.match(await page.locator("#consequences").innerText(), /Nlen says 1/);
  assert.ok(Number(await page.locator("#types").textContent()) > 40);
  assert.equal(await page.locator(".site-header, #tab-panel").count(), 0);
});

test("encode(ALIVE2_REQ, {port: 9506, name: 'node'}) gives the bytes; decode gives the type", async () => {
  const r = await withApi((api) => {
    const bytes = api.encode("ALIVE2_REQ", { port: 9506, name: "node" });
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    const report = api.decode(hex);
    return {
      isU8: bytes instanceof Uint8Array,
      bytes: Array.from(bytes),
      type: report.frames[0].type,
      status: report.frames[0].error,
      fields: report.frames[0].fields,
      sameAsText: Array.from(api.encode("ALIVE2_REQ", { port: "0x2522", name: "node", node_type: "M" })),
    };
  });
  assert.equal(r.isU8, true);
  assert.deepEqual(r.bytes, ALIVE2_REQ);
  assert.equal(r.type, "ALIVE2_REQ");
  assert.equal(r.status, null);
  assert.equal(r.fields.port, 9506);
  assert.equal(r.fields.name, "node");
  assert.deepEqual(r.sameAsText, ALIVE2_REQ);
});

test("errors are Errors naming the field", async () => {
  const r = await withApi((api) => {
    const caught = (f) => {
      try {
        f();
        return null;
      } catch (e) {
        return { isError: e instanceof Error, field: e.field, message: e.message };
      }
    };
    return [
      caught(() => api.encode("ALIVE2_REQ", { port: 70000, name: "node" })),
      caught(() => api.encode("ALIVE2_REQ", { name: "node" })),
      caught(() => api.encode("REG_SEND", { from_pid: "#Pid<'a@h'.1.0;c=1>", to_name: "rex", message: "{a," })),
      caught(() => api.encode("ALIVE2_REQ", { port: 1.5, name: "node" })),
      caught(() => api.encode("NOPE", {})),
    ];
  });
  assert.deepEqual(
    r.map((e) => [e.isError, e.field]),
    [[true, "port"], [true, "port"], [true, "message"], [true, "port"], [true, "type"]],
  );
  assert.match(r[0].message, /^port: .*out of range/);
});

test("build explains overrides; messageTypes is the catalog", async () => {
  const r = await withApi((api) => {
    const b = api.build("ALIVE2_REQ", { port: 9506, name: "node", name_len: 1 });
    const types = api.messageTypes();
    const alive = types.find((t) => t.name === "ALIVE2_REQ");
    return {
      hex: b.hex,
      error: b.frame.error,
      notes: b.consequences[0].notes,
      names: types.map((t) => t.name),
      protocols: [...new Set(types.map((t) => t.protocol))],
      nodeType: alive.fields.find((f) => f.name === "node_type").kind,
      nameLen: alive.fields.find((f) => f.name === "name_len").derived,
    };
  });
  assert.equal(r.hex, "00 11 78 25 22 4d 00 00 06 00 05 00 01 6e 6f 64 65 00 00");
  assert.equal(r.error.offset, 14);
  assert.equal(r.error.field, "ALIVE2_REQ.extra_len");
  assert.match(r.notes.join(" "), /Nlen says 1/);
  assert.deepEqual(r.protocols, ["epmd", "handshake", "connected"]);
  assert.equal(new Set(r.names).size, r.names.length);
  assert.ok(r.names.includes("SEND_NAME") && r.names.includes("REG_SEND"));
  assert.equal(r.nodeType.type, "enum");
  assert.deepEqual(r.nodeType.choices[0], { value: "77", letter: "M", meaning: "normal" });
  assert.deepEqual(r.nameLen.from, ["name"]);
});
