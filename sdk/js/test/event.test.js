import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { attribute, event, fromJson, fromJsonLines, kindOf, subjectModel, unixNanos } from "../src/index.js";

test("an aiir JSON line becomes the contract's event as the component sees it", () => {
  const e = fromJson(
    '{"id":"evt-0002","time":"2026-11-27T13:00:05Z","source":"agent","principal":"user:a","attributes":{"z":"1","a":"2"},' +
      '"payload":{"tool_call":{"tool":"lookup_order","arguments":{"order_id":"A-1"},"result":"shipped"}}}',
  );
  assert.deepEqual(e, {
    id: "evt-0002",
    timeUnixNano: 1795784405000000000,
    source: "agent",
    model: null,
    principal: "user:a",
    session: null,
    payload: { tag: "tool-call", val: { tool: "lookup_order", arguments: '{"order_id":"A-1"}', result: "shipped" } },
    attributes: [["a", "2"], ["z", "1"]],
  });
  assert.equal(kindOf(e), "tool-call");
  assert.equal(attribute(e, "z"), "1");
  assert.equal(attribute(e, "nope"), null);
});

test("every payload kind converts, with camelCase fields and nulls", () => {
  const lc = event("m", { model_lifecycle: { action: "deployed", model: { name: "m", version: "1" } } }, { model: { name: "other" } });
  assert.deepEqual(subjectModel(lc), { name: "m", version: "1", digest: null });
  const inf = event("i", { inference: { input: [{ role: "user", content: "x" }], input_tokens: 3 } });
  assert.deepEqual(inf.payload.val, { input: [{ role: "user", content: "x" }], output: [], retrieved: [], inputTokens: 3, outputTokens: null });
  const run = event("r", { training_run: { run: "r1", job: "j", state: "start", inputs: [{ dataset: "d" }] } });
  assert.deepEqual(run.payload.val.inputs, [{ dataset: "d", revision: null, batches: [] }]);
  assert.throws(() => event("x", { inference: {}, custom: {} }), /exactly one of/);
});

test("times: RFC 3339 with offsets and fractions", () => {
  assert.equal(unixNanos("1970-01-01T00:00:01.5Z"), 1_500_000_000);
  assert.equal(unixNanos("1970-01-01T01:00:00+01:00"), 0);
  assert.throws(() => unixNanos("yesterday"), /not an RFC 3339 time/);
});

test("the bench and demo logs convert line by line", () => {
  for (const file of ["../../../plugins/tools/bench-events.jsonl", "../../../examples/logs/demo.jsonl"]) {
    let text;
    try {
      text = readFileSync(new URL(file, import.meta.url), "utf8");
    } catch {
      continue; // outside the aiir repository
    }
    const events = fromJsonLines(text);
    assert.ok(events.length > 0 && events.every((e) => typeof e.payload.tag === "string"));
  }
});
