import assert from "node:assert/strict";
import { test } from "node:test";
import { Settings, SettingsErrors, blankEntries } from "../src/index.js";

const problems = (json, read) => {
  const s = Settings.fromJson(JSON.stringify(json));
  try {
    read(s);
    s.finish();
    return [];
  } catch (e) {
    assert.ok(e instanceof SettingsErrors);
    return e.errors.map((x) => [x.path, x.message]);
  }
};

test("defaults fill in absent keys", () => {
  const s = Settings.fromJson("{}");
  assert.deepEqual(s.strings("phrases", { default: ["a"] }), ["a"]);
  assert.equal(s.severity("severity", { default: "medium" }), "medium");
  assert.equal(s.integer("n", { default: 3 }), 3);
  assert.equal(s.boolean("b", { default: false }), false);
  s.finish();
});

test("every problem is reported at once, each at its path", () => {
  const got = problems({ phrases: ["ok", " ", 3, "long!"], severity: "urgent", n: 1.5, b: "yes", colour: "red" }, (s) => {
    s.strings("phrases", { default: [], nonEmpty: true, maxChars: 4 });
    s.severity("severity", { default: "medium" });
    s.integer("n", { default: 1, min: 1 });
    s.boolean("b", { default: false });
  });
  assert.deepEqual(got, [
    ["phrases[1]", "must not be empty"],
    ["phrases[2]", "must be a string, not a number"],
    ["phrases[3]", "must be at most 4 characters, not 5"],
    ["severity", 'must be info, low, medium, high or critical, not "urgent"'],
    ["n", "must be an integer, not 1.5"],
    ["b", "must be true or false, not a string"],
    ["colour", "unknown key `colour`, expected `phrases`, `severity`, `n` or `b`"],
  ]);
});

test("list lengths, numbers, choices and required keys", () => {
  assert.deepEqual(
    problems({ l: [], m: 0, k: "x" }, (s) => {
      s.strings("l", { default: ["a"], min: 1, max: 2 });
      s.number("m", { default: 1, min: 0.5 });
      s.oneOf("k", ["a", "b", "c"], { default: "a" });
      s.string("token");
    }),
    [
      ["l", "must be a list of 1 to 2 strings; it has 0"],
      ["m", "must be at least 0.5, not 0"],
      ["k", 'must be a, b or c, not "x"'],
      ["token", "is required"],
    ],
  );
});

test("nested tables and lists of tables carry their paths", () => {
  const got = problems({ allowed: [{ digest: "a" }, { digest: 7, extra: 1 }], limits: { max: -1 } }, (s) => {
    for (const t of s.tables("allowed")) t.string("digest", { default: "" });
    s.table("limits").integer("max", { default: 1, min: 0 });
  });
  assert.deepEqual(got, [
    ["allowed[1].digest", "must be a string, not a number"],
    ["limits.max", "must be at least 0, not -1"],
    ["allowed[1].extra", "unknown key `extra`, expected `digest`"],
  ]);
});

test("the table itself: not JSON, not a table, no settings taken", () => {
  assert.throws(() => Settings.fromJson("{"), (e) => e.errors[0].path === "" && /not valid JSON/.test(e.errors[0].message));
  assert.deepEqual(problems([], () => {}), [["", "settings must be a table"]]);
  const s = Settings.fromJson('{"a": 1, "b": 2}');
  assert.throws(() => s.expectEmpty(), (e) => e.errors.map((x) => x.path).join() === "a,b" && e.errors[0].message === "this plugin takes no settings");
});

test("custom checks add to the same list", () => {
  const got = problems({ min: 5, max: 2 }, (s) => {
    const min = s.integer("min", { default: 0 });
    const max = s.integer("max", { default: 10 });
    if (min > max) s.error("max", `must be at least min (${min}), not ${max}`);
  });
  assert.deepEqual(got, [["max", "must be at least min (5), not 2"]]);
  assert.deepEqual(blankEntries("families", ["a", " ", ""]).map((e) => e.path), ["families[1]", "families[2]"]);
});
