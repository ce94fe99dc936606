import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeUtf8, encodeUtf8, log, state } from "../src/index.js";
import { takeLogs } from "../src/log.js";

test("state is kept per partition, in write order, only while inspecting", () => {
  state.clearNativeState();
  assert.throws(() => state.set("k", "v"), (e) => e instanceof state.StateError && /only while an event is inspected/.test(e.message));
  state.inPartition("sess-1", () => {
    state.save("count", 1);
    state.set("raw", Uint8Array.of(1, 2, 3));
    state.save("count", 2);
    assert.deepEqual(state.keys(), ["raw", "count"]);
    assert.equal(state.load("count"), 2);
    assert.deepEqual(Array.from(state.get("raw")), [1, 2, 3]);
    assert.equal(state.partition(), "sess-1");
  });
  state.inPartition("sess-2", () => {
    assert.equal(state.load("count"), undefined);
    assert.deepEqual(state.keys(), []);
  });
  state.inPartition("sess-1", () => {
    state.remove("raw");
    assert.deepEqual(state.keys(), ["count"]);
    assert.equal(state.get("raw"), null);
    state.set("text", "héllo");
    assert.equal(state.getText("text"), "héllo");
    assert.equal(state.load("text"), undefined, "not JSON: absent");
  });
});

test("the host's caps on keys and values", () => {
  state.inPartition("", () => {
    assert.throws(() => state.set("k".repeat(257), "v"), /a key of 257 bytes/);
    assert.throws(() => state.set("k", new Uint8Array((1 << 20) + 1)), /a value of 1048577 bytes/);
    assert.throws(() => state.save("k", undefined), /cannot encode/);
  });
});

test("UTF-8 round-trips, and malformed bytes become U+FFFD", () => {
  for (const s of ["", "ascii", "é", "€", "😀 mixed ✓"]) {
    assert.deepEqual(Array.from(encodeUtf8(s)), Array.from(Buffer.from(s, "utf8")));
    assert.equal(decodeUtf8(encodeUtf8(s)), s);
  }
  assert.equal(decodeUtf8(Uint8Array.of(0x61, 0xff, 0x62, 0xe2, 0x82)), "a\ufffdb\ufffd");
  assert.equal(decodeUtf8(Uint8Array.of(0xc0, 0x80)), "\ufffd\ufffd", "no overlong forms");
});

test("log lines are kept natively", () => {
  takeLogs();
  log.info("hello", { n: 1 });
  log.warn("careful");
  assert.deepEqual(takeLogs(), [["info", 'hello {"n":1}'], ["warn", "careful"]]);
  assert.throws(() => log.log("loud", "x"), /not a log level/);
});
