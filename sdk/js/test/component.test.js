// The SDK inside a real component: builds test/guest/ with componentize-qjs and runs it
// with `aiir test` in the strictest sandbox (no grants). Skipped unless both tools are
// found: componentize-qjs ($COMPONENTIZE_QJS, ${AIIR_TOOLS:-~/.cache/aiir/tools}/js/bin,
// or PATH) and the aiir binary ($AIIR, or PATH).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const sdk = join(here, "..");
const repo = join(sdk, "..", "..");

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function find(envVar, candidates, name) {
  if (process.env[envVar]) return process.env[envVar];
  for (const c of candidates) if (executable(c)) return c;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) if (dir && executable(join(dir, name))) return join(dir, name);
  return null;
}

const tools = join(process.env.AIIR_TOOLS ?? join(homedir(), ".cache", "aiir", "tools"), "js", "bin");
const cqjs = find("COMPONENTIZE_QJS", [join(tools, "componentize-qjs")], "componentize-qjs");
const aiir = find("AIIR", [], "aiir");
const skip = !cqjs || !aiir ? `needs componentize-qjs (${cqjs ?? "not found"}) and aiir (${aiir ?? "not found: set AIIR"})` : false;

test("inside a component: errors, logs, clocks, state and settings map to the contract", { skip }, () => {
  const out = mkdtempSync(join(tmpdir(), "aiir-js-guest-"));
  try {
    const wasm = join(out, "probe.wasm");
    const entry = join(sdk, "test", "guest", "component.js");
    execFileSync(cqjs, ["--wit", join(repo, "wit"), "--world", "detector", "--js", entry, "--module-root", sdk, "--sync", "--stub-wasi", "-o", wasm], { stdio: "ignore" });
    const cases = join(sdk, "test", "guest", "cases.toml");
    let json;
    try {
      json = execFileSync(aiir, ["test", wasm, "--cases", cases, "--json"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
      json = e.stdout; // exit 1: some cases fail, as two of them must
    }
    const report = JSON.parse(json);
    assert.deepEqual(report.imports, ["aiir:plugin/host@0.3.1", "aiir:plugin/state@0.3.1", "aiir:plugin/types@0.3.1"], "no WASI, no grants");
    const byName = Object.fromEntries(report.cases.map((c) => [c.name, c]));
    assert.ok(byName["fine"].passed);
    assert.ok(byName["extra properties are ignored"].passed);
    assert.ok(byName["console and log reach the host log"].passed);
    assert.ok(byName["state is kept across events"].passed);
    const declined = byName["declines"].failures.map((f) => [f.event, f.reason, f.detail]);
    assert.deepEqual(declined, [
      ["error", "declined", "an Error's message"],
      ["type-error", "declined", "TypeError: cannot read property 'x' of null"],
      ["string", "declined", "a thrown string"],
      ["clock", "declined", "there is no clock in the aiir sandbox: use the event's timeUnixNano (Date.now(), new Date() and performance.now() are unavailable)"],
      ["bad-finding", "declined", 'findings[0].severity must be one of info, low, medium, high, critical, not "urgent"'],
    ]);
    assert.deepEqual(byName["settings errors"].failures[0].errors, [
      "case[5].settings.n: must be at least 1, not 0",
      "case[5].settings.extra: unknown key `extra`, expected `n`",
    ]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
