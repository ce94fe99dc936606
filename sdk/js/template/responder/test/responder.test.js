// Native tests of the responder's logic: `node --test` (no component build needed).
// ResponderHarness drives it as the host does, over a Store the test fills, and checks
// every proposal against the host's rules.

import assert from "node:assert/strict";
import { test } from "node:test";
import { finding, incident, incidentFinding, propose } from "../aiir/sdk/js/src/index.js";
import { ResponderHarness, Store, configureErrors } from "../aiir/sdk/js/src/testkit.js";
import plugin from "../src/responder.js";

/** @param {string} eventId @param {string} principal */
const hit = (eventId, principal) =>
  incidentFinding(eventId, 1, "prompt-injection", finding("prompt-injection/direct", "injection", "high"), { principal });

/** A store with one finding in INC-1 per principal given. @param {string[]} principals */
const store = (...principals) => principals.reduce((s, p, n) => s.finding("INC-1", hit(`e${n}`, p)), new Store());

const INCIDENT = incident("INC-1", "prompt-injection", "session", "sess-1", { principals: ["mallory", "alice"] });

test("only the principal behind enough findings is blocked", () => {
  const h = new ResponderHarness(plugin, { store: store("mallory", "alice", "mallory", "mallory") });
  assert.deepEqual(h.respond(INCIDENT), [propose.block("mallory", "3 findings by mallory in INC-1")]);
});

test("fewer findings or other families get nothing", () => {
  const h = new ResponderHarness(plugin, { store: store("mallory", "mallory") });
  assert.deepEqual(h.respond(INCIDENT), []);
  assert.deepEqual(h.logs(), [["info", "INC-1: no principal has 3 findings yet"]]);
  const other = incident("INC-1", "data-leakage", "session", "sess-1", { principals: ["mallory"] });
  assert.deepEqual(new ResponderHarness(plugin, { store: store("mallory", "mallory", "mallory") }).respond(other), []);
});

test("settings choose the families and the threshold", () => {
  const h = new ResponderHarness(plugin, { settings: { families: ["data-leakage"], min_findings: 1 }, store: store("mallory") });
  const other = incident("INC-1", "data-leakage", "principal", "mallory", { principals: ["mallory"] });
  assert.deepEqual(h.respond(other), [propose.block("mallory", "1 findings by mallory in INC-1")]);
});

test("every settings problem is reported with its path", () => {
  const errors = configureErrors(plugin, { families: ["ok", ""], min_findings: 0, mode: 1 });
  assert.deepEqual(
    errors.map((e) => [e.path, e.message]),
    [
      ["families[1]", "must not be empty"],
      ["min_findings", "must be at least 1, not 0"],
      ["mode", "unknown key `mode`, expected `families` or `min_findings`"],
    ],
  );
  assert.deepEqual(configureErrors(plugin, { families: "prompt-injection", min_findings: 2.5 }).map((e) => e.path), ["families", "min_findings"]);
  assert.deepEqual(configureErrors(plugin, {}), []);
});
