import assert from "node:assert/strict";
import { test } from "node:test";
import { detector, event, finding, incident, incidentFinding, log, propose, responder, state } from "../src/index.js";
import { Declined, Harness, ResponderHarness, SettingsRejected, Store, configureErrors } from "../src/testkit.js";

const info = { name: "probe", version: "0.1.0", description: "d", kinds: ["inference"] };
const hi = event("e1", { inference: { input: [{ role: "user", content: "hi" }] } });
const call = event("e2", { tool_call: { tool: "t", arguments: "{}" } });
const ok = (rule = "probe/hit", more = {}) => finding(rule, "a hit", "low", { techniques: ["LLM01"], evidence: [{ field: "payload.inference.input[0].content", excerpt: "hi" }], ...more });

test("only the kinds info asks for are sent", () => {
  let calls = 0;
  const h = new Harness(detector({ info, inspect: () => (calls++, [ok()]) }));
  assert.deepEqual(h.rules(hi), ["probe/hit"]);
  assert.deepEqual(h.inspect(call), []);
  assert.equal(calls, 1);
});

test("findings the host would refuse fail the test", () => {
  const refused = (f) => assert.throws(() => new Harness(detector({ info, inspect: () => [f] })).inspect(hi));
  refused(ok("other/hit"));
  refused(ok("probe/Hit"));
  refused(ok("probe/hit", { techniques: [] }));
  refused(ok("probe/hit", { techniques: ["T1059"] }));
  refused(finding("probe/hit", "two\nlines", "low", { techniques: ["LLM01"] }));
  refused(ok("probe/hit", { evidence: [{ field: "payload.inference.input[9].content", excerpt: "" }] }));
  refused(ok("probe/hit", { evidence: [{ field: "nowhere", excerpt: "" }] }));
  refused(ok("probe/hit", { confidence: Number.NaN }));
});

test("info the host would refuse fails at once", () => {
  assert.throws(() => new Harness(detector({ info: { ...info, name: "Probe" }, inspect: () => [] })), /refuse its info/);
  assert.throws(() => new Harness(detector({ info: { ...info, version: "1.0" }, inspect: () => [] })), /semantic version/);
  assert.throws(() => new Harness(detector({ info: { ...info, kinds: [] }, inspect: () => [] })), /no event kinds/);
});

test("settings refused, events declined, logs kept", () => {
  const p = detector({
    info,
    configure: (s) => void s.integer("n", { default: 1, min: 1 }),
    inspect: (e) => {
      log.debug(`looking at ${e.id}`);
      throw new Error("not today");
    },
  });
  assert.throws(() => new Harness(p, { settings: { n: 0 } }), (e) => e instanceof SettingsRejected && e.errors[0].path === "n");
  assert.deepEqual(configureErrors(p, '{"n": 2}'), []);
  const h = new Harness(p, { settings: '{"n": 2}' });
  assert.throws(() => h.inspect(hi), (e) => e instanceof Declined && e.reason === "not today");
  assert.equal(h.declined(hi), "not today");
  assert.deepEqual(h.logs(), [["debug", "looking at e1"], ["debug", "looking at e1"]]);
});

test("state is kept by partition, and across a restart", () => {
  const p = detector({
    info,
    inspect: () => {
      const n = (state.load("n") ?? 0) + 1;
      state.save("n", n);
      return n >= 2 ? [ok("probe/again")] : [];
    },
  });
  const h = new Harness(p).partitionBy((e) => e.session ?? "");
  const inSession = (id, session) => event(id, { inference: { input: [{ role: "user", content: "hi" }] } }, { session });
  assert.deepEqual(h.rules(inSession("a1", "A")), []);
  assert.deepEqual(h.rules(inSession("b1", "B")), []);
  h.restart();
  assert.deepEqual(h.rules(inSession("a2", "A")), ["probe/again"]);
});

test("responders are driven over a store, and their proposals checked", () => {
  const r = responder({
    info: { name: "blocker", version: "0.1.0", description: "blocks" },
    respond: (i, store) => {
      const by = store.findings(i.id).filter((f) => f.principal === i.key).length;
      return by >= 2 ? [propose.block(i.key, `${by} findings by ${i.key}`)] : [];
    },
  });
  const f = (id) => incidentFinding(id, 1, "prompt-injection", finding("prompt-injection/direct", "x", "high"), { principal: "mallory" });
  const store = new Store().finding("INC-1", f("e1")).finding("INC-1", f("e2"));
  const h = new ResponderHarness(r, { store });
  assert.deepEqual(h.respond(incident("INC-1", "prompt-injection", "principal", "mallory")), [
    { action: { tag: "block-principal", val: "mallory" }, reason: "2 findings by mallory" },
  ]);
  assert.deepEqual(h.respond(incident("INC-2", "prompt-injection", "principal", "mallory")), []);
  const bad = responder({ info: { name: "bad", version: "0.1.0", description: "" }, respond: () => [propose.block("a\nb", "x")] });
  assert.throws(() => new ResponderHarness(bad).respond(incident("I", "f", "model", "m")), /would refuse proposals\[0\]: principal/);
});
