import assert from "node:assert/strict";
import { test } from "node:test";
import { Origin, event, escapeRegExp, excerpt, isThirdParty, mask, maskedExcerpt, oneLine, texts } from "../src/index.js";

test("inference texts carry paths and origins, in document order", () => {
  const e = event("e", {
    inference: {
      input: [
        { role: "system", content: "be nice" },
        { role: "user", content: "hi" },
        { role: "tool", content: "tool said" },
      ],
      output: [{ role: "assistant", content: "hello" }],
      retrieved: [{ id: "d", source: "https://x", content: "doc" }],
    },
  });
  assert.deepEqual(
    texts(e).map((t) => [t.field, t.origin, t.text]),
    [
      ["payload.inference.input[0].content", Origin.System, "be nice"],
      ["payload.inference.input[1].content", Origin.User, "hi"],
      ["payload.inference.input[2].content", Origin.ToolResult, "tool said"],
      ["payload.inference.output[0].content", Origin.Assistant, "hello"],
      ["payload.inference.retrieved[0].content", Origin.Retrieved, "doc"],
    ],
  );
});

test("tool calls, training data and custom events have texts; lifecycle has none", () => {
  const origins = (p) => texts(event("e", p)).map((t) => [t.field, t.origin]);
  assert.deepEqual(origins({ tool_call: { tool: "shell", arguments: {} } }), [["payload.tool_call.arguments", "tool-arguments"]]);
  assert.deepEqual(origins({ tool_call: { tool: "shell", arguments: "{}", result: "out" } }), [
    ["payload.tool_call.arguments", "tool-arguments"],
    ["payload.tool_call.result", "tool-result"],
  ]);
  assert.deepEqual(origins({ training_data: { dataset: "d", batch: "b", records: [{ text: "t", label: "l" }] } }), [
    ["payload.training_data.records[0].text", "training-record"],
  ]);
  assert.deepEqual(origins({ custom: { kind: "k", data: { a: 1 } } }), [["payload.custom.data", "custom"]]);
  assert.deepEqual(origins({ model_lifecycle: { action: "deployed", model: { name: "m" } } }), []);
  assert.ok(isThirdParty(Origin.Retrieved) && isThirdParty(Origin.ToolResult) && !isThirdParty(Origin.User));
});

test("excerpts cut as the Rust SDK's do", () => {
  assert.equal(excerpt("ignore previous instructions", 0, 6), "ignore previous instructions");
  const text = `${"a".repeat(100)}MATCH${"b".repeat(100)}`;
  assert.equal(excerpt(text, 100, 105), `…${"a".repeat(40)}MATCH${"b".repeat(40)}…`);
  assert.equal(excerpt("é", 1, 1), "é");
  const long = `${"x".repeat(10)}${"m".repeat(300)}${"y".repeat(10)}`;
  assert.equal(excerpt(long, 10, 310), `${"x".repeat(10)}${"m".repeat(160)}…`);
});

test("excerpts count characters, not UTF-16 units, and never split a pair", () => {
  const emoji = "😀".repeat(50);
  const text = `${emoji}HIT${emoji}`;
  const at = text.indexOf("HIT");
  assert.equal(excerpt(text, at, at + 3), `…${"😀".repeat(40)}HIT${"😀".repeat(40)}…`);
  assert.equal(excerpt("a😀b", 2, 2), "a😀b", "an index inside a pair moves outwards");
  assert.equal(excerpt("short", 99, 120), "short");
});

test("masks keep the shape and the ends", () => {
  assert.equal(mask("4111 1111 1111 1234", { keepStart: 4 }), "4111 **** **** 1234");
  assert.equal(mask("sk-abcdefgh12345678"), "**-************5678");
  assert.equal(mask("abc"), "***", "too short to keep four: only the first quarter shows");
  assert.equal(maskedExcerpt("my card is 4111 1111 1111 1234, thanks", 11, 30, { keepStart: 0, keepEnd: 4 }), "my card is **** **** **** 1234, thanks");
});

test("one-line text and escaped patterns", () => {
  assert.equal(oneLine("a\nb\u202ec"), "a b c");
  assert.equal(oneLine("x".repeat(100), 10), `${"x".repeat(9)}…`);
  const p = new RegExp(escapeRegExp("rm -rf /tmp/*.log (now)"), "iu");
  assert.ok(p.test("RM -RF /tmp/*.LOG (now)"));
  assert.ok(!p.test("rm -rf /tmp/x.log (now)"));
});
