import assert from "node:assert/strict";
import { test } from "node:test";
import { SettingsErrors, detector, event, finding, propose, responder, incident } from "../src/index.js";

const info = { name: "probe", version: "0.1.0", description: "d", kinds: ["inference"] };
const ev = event("e1", { inference: { input: [{ role: "user", content: "hi" }] } });
const thrown = (fn) => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail("did not throw");
};

test("inspect's errors reach the host as the contract's string", () => {
  const cases = [
    [() => { throw new Error("cannot parse the arguments"); }, "cannot parse the arguments"],
    [() => { throw "plain text"; }, "plain text"],
    [() => { throw new TypeError("x is not a function"); }, "TypeError: x is not a function"],
    [() => { throw { code: 7 }; }, '{"code":7}'],
    [() => null.x, /^TypeError: /],
    [() => "nope", "inspect must return a list of findings, not a string"],
    [() => [{ rule: "probe/x", title: "t", severity: "urgent" }], /findings\[0\]\.severity must be one of/],
    [async () => [], /returned a Promise/],
  ];
  for (const [inspect, want] of cases) {
    const got = thrown(() => detector({ info, inspect }).inspect(ev));
    assert.equal(typeof got, "string");
    if (want instanceof RegExp) assert.match(got, want);
    else assert.equal(got, want);
  }
});

test("findings are the contract's records; the builder clamps confidence", () => {
  const p = detector({
    info,
    inspect: () => [finding("probe/x", "t", "high", { confidence: 3, techniques: ["LLM01"], evidence: [{ field: "id", excerpt: "e1" }] })],
  });
  assert.deepEqual(p.inspect(ev), [
    { rule: "probe/x", title: "t", severity: "high", confidence: 1, techniques: ["LLM01"], evidence: [{ field: "id", excerpt: "e1" }] },
  ]);
  assert.deepEqual(detector({ info, inspect: () => undefined }).inspect(ev), []);
  const missing = thrown(() => detector({ info, inspect: () => [{ rule: "probe/x", title: "t", severity: "low" }] }).inspect(ev));
  assert.equal(missing, "findings[0].confidence must be a number, not undefined");
});

test("configure's errors reach the host as a list of settings errors", () => {
  const reject = (configure) => thrown(() => detector({ info, configure, inspect: () => [] }).configure('{"a": 1}'));
  assert.deepEqual(reject(() => { throw new Error("boom"); }), [{ path: "", message: "boom" }]);
  assert.deepEqual(reject(() => { throw new SettingsErrors([{ path: "a", message: "bad" }]); }), [{ path: "a", message: "bad" }]);
  assert.deepEqual(reject(() => { throw [{ path: "a", message: "raw" }]; }), [{ path: "a", message: "raw" }]);
  assert.deepEqual(reject(() => {}), [{ path: "a", message: "this plugin takes no settings" }], "keys nobody read are unknown");
  detector({ info, configure: (s) => void s.integer("a", { default: 0 }), inspect: () => [] }).configure('{"a": 1}');
  assert.deepEqual(thrown(() => detector({ info, inspect: () => [] }).configure("{nope")), [
    { path: "", message: thrown(() => JSON.parse("{nope")).message.replace(/^/, "settings are not valid JSON: ") },
  ]);
});

test("a plugin without configure takes only empty settings", () => {
  const p = detector({ info, inspect: () => [] });
  p.configure("{}");
  assert.deepEqual(thrown(() => p.configure('{"x": 1}')), [{ path: "x", message: "this plugin takes no settings" }]);
});

test("a class is made once; info may be a method", () => {
  let made = 0;
  class Counting {
    constructor() {
      made += 1;
      this.seen = 0;
    }
    info() {
      return { ...info, settings: "none" };
    }
    inspect() {
      this.seen += 1;
      return [];
    }
  }
  const p = detector(Counting);
  p.inspect(ev);
  p.inspect(ev);
  assert.equal(made, 1);
  assert.equal(p.impl.seen, 2);
  assert.deepEqual(p.info(), { name: "probe", version: "0.1.0", description: "d", kinds: ["inference"], settings: "none" });
  assert.throws(() => detector({ info }), /no `inspect`/);
});

test("responders map errors and proposals the same way", () => {
  const r = responder({
    info: { name: "r", version: "0.1.0", description: "d" },
    respond: (i) => {
      if (i.family === "boom") throw new Error("cannot");
      return [propose.block(i.key, "why"), propose.quarantine({ name: "m", version: "1" }, "bad")];
    },
  });
  assert.deepEqual(r.respondWith(incident("INC-1", "prompt-injection", "principal", "user:x"), {}), [
    { action: { tag: "block-principal", val: "user:x" }, reason: "why" },
    { action: { tag: "quarantine-model", val: { name: "m", version: "1", digest: null } }, reason: "bad" },
  ]);
  assert.equal(thrown(() => r.respondWith(incident("INC-2", "boom", "model", "m"), {})), "cannot");
  assert.deepEqual(r.respond(incident("INC-1", "x", "principal", "p")).length, 2, "natively the host store answers nothing");
});
