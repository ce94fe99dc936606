// The operator's settings for a plugin, as handed to `configure`: read them key by
// key, and report every problem at once, each at its path (`phrases[2]`,
// `allowed[1].digest`, `severity`), as the contract's `settings-error` list.

import { SEVERITIES } from "./contract.js";
import { kind } from "./finding.js";

/** One thing wrong with the settings: the contract's `settings-error`. */
export function settingsError(path, message) {
  return { path, message };
}

/** Thrown by `configure` (or by `Settings.finish`) with every problem at once; the
 *  SDK hands `errors` to the host as the contract's `list<settings-error>`. */
export class SettingsErrors extends Error {
  constructor(errors) {
    super(errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join("; "));
    this.name = "SettingsErrors";
    this.errors = errors;
  }
}

/**
 * The `settings` table of a plugin's entry in `aiir.toml`, read key by key.
 *
 * Each getter returns the value, or its default when the key is absent; a value of
 * the wrong shape records an error at its path and returns the default, so that
 * `configure` goes on and every problem is reported at once. `finish()` (which the
 * SDK calls after `configure` returns) adds an error for every key nobody read and
 * throws them all as `SettingsErrors`.
 */
export class Settings {
  /** Parse the JSON text the host passes to `configure`. */
  static fromJson(json) {
    let value;
    try {
      value = JSON.parse(json);
    } catch (e) {
      throw new SettingsErrors([settingsError("", `settings are not valid JSON: ${e.message}`)]);
    }
    return new Settings(value);
  }

  /** Settings over a parsed value; `prefix` and `sink` are for nested tables. */
  constructor(value, prefix = "", sink = { errors: [], finished: false }) {
    this.value = value;
    this.prefix = prefix;
    this.sink = sink;
    this.read = new Set();
    this.children = [];
    this.isTable = value !== null && typeof value === "object" && !Array.isArray(value);
    if (!this.isTable) this.error(null, prefix ? `must be a table, not ${kind(value)}` : "settings must be a table");
  }

  /** The path of `key` in this table (`key`, `outer.key`, `list[1].key`). */
  path(key) {
    if (key === null || key === undefined) return this.prefix;
    return this.prefix ? `${this.prefix}.${key}` : String(key);
  }

  /** Record a problem with `key` (its path is made for you; `null` for this table). */
  error(key, message) {
    this.sink.errors.push(settingsError(this.path(key), message));
  }

  /** Record a problem at a full path you made (`phrases[2]`). */
  errorAt(path, message) {
    this.sink.errors.push(settingsError(path, message));
  }

  /** Every problem recorded so far, in this table and the tables it gave. */
  get errors() {
    return this.sink.errors.slice();
  }

  /** Whether no problem has been recorded. */
  get ok() {
    return this.sink.errors.length === 0;
  }

  /** Whether the table has `key` (it counts as read). */
  has(key) {
    this.read.add(key);
    return this.isTable && Object.hasOwn(this.value, key);
  }

  /** The raw value under `key` (it counts as read), or `fallback` when absent. */
  raw(key, fallback = undefined) {
    return this.has(key) ? this.value[key] : fallback;
  }

  /** A string; `nonEmpty`, `maxChars` (characters, not bytes) and `oneOf` check it. */
  string(key, { default: dflt = undefined, nonEmpty = false, maxChars = undefined, oneOf = undefined } = {}) {
    if (!this.has(key)) return this.#missing(key, dflt);
    const v = this.value[key];
    const problem = stringProblem(v, { nonEmpty, maxChars, oneOf });
    if (problem) return this.#bad(key, problem, dflt);
    return v;
  }

  /** A number within `min`..`max`; `integer` refuses fractions. */
  number(key, { default: dflt = undefined, min = undefined, max = undefined, integer = false } = {}) {
    if (!this.has(key)) return this.#missing(key, dflt);
    const v = this.value[key];
    if (typeof v !== "number" || !Number.isFinite(v)) return this.#bad(key, `must be ${integer ? "an integer" : "a number"}, not ${kind(v)}`, dflt);
    if (integer && !Number.isInteger(v)) return this.#bad(key, `must be an integer, not ${v}`, dflt);
    if (min !== undefined && v < min) return this.#bad(key, `must be at least ${min}, not ${v}`, dflt);
    if (max !== undefined && v > max) return this.#bad(key, `must be at most ${max}, not ${v}`, dflt);
    return v;
  }

  /** An integer within `min`..`max`. */
  integer(key, options = {}) {
    return this.number(key, { ...options, integer: true });
  }

  /** `true` or `false`. */
  boolean(key, { default: dflt = undefined } = {}) {
    if (!this.has(key)) return this.#missing(key, dflt);
    const v = this.value[key];
    if (typeof v !== "boolean") return this.#bad(key, `must be true or false, not ${kind(v)}`, dflt);
    return v;
  }

  /** One of the names in `choices`. */
  oneOf(key, choices, { default: dflt = undefined } = {}) {
    return this.string(key, { default: dflt, oneOf: choices });
  }

  /** A severity name (`info` … `critical`); the message is the Rust SDK's. */
  severity(key, { default: dflt = undefined } = {}) {
    if (!this.has(key)) return this.#missing(key, dflt);
    const v = this.value[key];
    if (typeof v === "string" && SEVERITIES.includes(v)) return v;
    const shown = typeof v === "string" ? JSON.stringify(v) : kind(v);
    return this.#bad(key, `must be info, low, medium, high or critical, not ${shown}`, dflt);
  }

  /**
   * A list of strings, each checked as `string` checks one (problems at `key[n]`);
   * `min` and `max` bound its length. Returns the default if anything is wrong.
   */
  strings(key, { default: dflt = undefined, min = 0, max = undefined, nonEmpty = false, maxChars = undefined, oneOf = undefined } = {}) {
    if (!this.has(key)) return this.#missing(key, dflt);
    const v = this.value[key];
    const shape = listShape("strings", min, max);
    if (!Array.isArray(v)) return this.#bad(key, `must be ${shape}, not ${kind(v)}`, dflt);
    let ok = true;
    if (v.length < min || (max !== undefined && v.length > max)) {
      this.error(key, `must be ${shape}; it has ${v.length}`);
      ok = false;
    }
    v.forEach((s, n) => {
      const problem = stringProblem(s, { nonEmpty, maxChars, oneOf });
      if (problem) {
        this.errorAt(`${this.path(key)}[${n}]`, problem);
        ok = false;
      }
    });
    return ok ? v.slice() : dflt;
  }

  /** A nested table, read the same way (problems at `key.inner`); an absent key
   *  gives an empty table. */
  table(key) {
    const child = new Settings(this.has(key) ? this.value[key] : {}, this.path(key), this.sink);
    this.children.push(child);
    return child;
  }

  /** A list of tables (problems at `key[n].inner`); absent gives `[]`. */
  tables(key, { min = 0, max = undefined } = {}) {
    if (!this.has(key)) return [];
    const v = this.value[key];
    const shape = listShape("tables", min, max);
    if (!Array.isArray(v)) return this.#bad(key, `must be ${shape}, not ${kind(v)}`, []);
    if (v.length < min || (max !== undefined && v.length > max)) this.error(key, `must be ${shape}; it has ${v.length}`);
    return v.map((item, n) => {
      const child = new Settings(item, `${this.path(key)}[${n}]`, this.sink);
      this.children.push(child);
      return child;
    });
  }

  /** Accept no settings at all: every key is an error. */
  expectEmpty() {
    if (this.isTable) for (const key of Object.keys(this.value)) this.error(key, "this plugin takes no settings");
    this.#throwIfAny();
  }

  /** Report every key that was never read as unknown, then throw every problem
   *  recorded (in this table and its nested ones) as `SettingsErrors`. */
  finish() {
    if (this.sink.finished) return;
    this.sink.finished = true;
    this.#unknownKeys();
    this.#throwIfAny();
  }

  #unknownKeys() {
    if (this.isTable) {
      const known = [...this.read];
      const expected = known.length === 0 ? "this plugin takes no settings" : `expected ${orList(known.map((k) => `\`${k}\``))}`;
      for (const key of Object.keys(this.value)) {
        if (!this.read.has(key)) this.error(key, known.length === 0 ? expected : `unknown key \`${key}\`, ${expected}`);
      }
    }
    for (const child of this.children) child.#unknownKeys();
  }

  #throwIfAny() {
    if (this.sink.errors.length > 0) throw new SettingsErrors(this.sink.errors.slice());
  }

  #missing(key, dflt) {
    if (dflt === undefined) this.error(key, "is required");
    return dflt;
  }

  #bad(key, message, dflt) {
    this.error(key, message);
    return dflt;
  }
}

function orList(items) {
  return items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

function listShape(what, min, max) {
  if (max !== undefined) return min > 0 ? `a list of ${min} to ${max} ${what}` : `a list of at most ${max} ${what}`;
  return min > 0 ? `a list of at least ${min} ${what}` : `a list of ${what}`;
}

function stringProblem(v, { nonEmpty, maxChars, oneOf }) {
  if (typeof v !== "string") return `must be a string, not ${kind(v)}`;
  if (oneOf !== undefined && !oneOf.includes(v)) return `must be ${orList(oneOf)}, not ${JSON.stringify(v)}`;
  if (nonEmpty && v.trim() === "") return "must not be empty";
  if (maxChars !== undefined) {
    const n = Array.from(v).length;
    if (n > maxChars) return `must be at most ${maxChars} characters, not ${n}`;
  }
  return null;
}

/** The errors a list of blank entries of `list` makes, at `key[n]` (as the Rust SDK's
 *  `blank_entries`). */
export function blankEntries(key, list) {
  const out = [];
  list.forEach((s, n) => {
    if (String(s).trim() === "") out.push(settingsError(`${key}[${n}]`, "must not be empty"));
  });
  return out;
}
