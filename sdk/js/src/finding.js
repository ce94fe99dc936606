// Building findings and their evidence, and checking what a detector returns before
// it crosses into the host.

import { SEVERITIES } from "./contract.js";
import { excerpt as cut } from "./text.js";

/**
 * A finding of `rule` (`<plugin>/<rule>`): what the contract's `finding` record holds.
 * `confidence` defaults to 1 and is clamped to 0..1; `techniques` are MITRE ATLAS
 * (`AML.T0051`) and OWASP LLM (`LLM01`) ids; `evidence` is a list of
 * `{field, excerpt}` (see `evidence` and `evidenceAt`).
 */
export function finding(rule, title, severity, { confidence = 1, techniques = [], evidence = [] } = {}) {
  if (!SEVERITIES.includes(severity)) {
    throw new TypeError(`finding ${JSON.stringify(rule)}: severity must be ${SEVERITIES.join(", ")}, not ${JSON.stringify(severity)}`);
  }
  const c = Number(confidence);
  return {
    rule: String(rule),
    title: String(title),
    severity,
    confidence: c > 1 ? 1 : c < 0 ? 0 : c,
    techniques: Array.isArray(techniques) ? techniques.slice() : Array.from(techniques),
    evidence: Array.isArray(evidence) ? evidence.slice() : Array.from(evidence),
  };
}

/** Evidence: the field's path in the event and the offending excerpt. */
export function evidence(field, excerpt) {
  return { field, excerpt };
}

/** Evidence for the part `start`..`end` of a text that `texts(event)` gave: its field,
 *  and an excerpt around that part. */
export function evidenceAt(text, start, end = start) {
  return { field: text.field, excerpt: cut(text.text, start, end) };
}

/** What `inspect` returned, checked to be the contract's `list<finding>` (extra
 *  properties are ignored); throws an Error naming the first thing that is not.
 *  `undefined` or `null` is no findings. */
export function toFindings(value) {
  if (value == null) return [];
  if (!Array.isArray(value)) throw new Error(`inspect must return a list of findings, not ${kind(value)}`);
  for (let i = 0; i < value.length; i++) {
    const f = value[i];
    const at = `findings[${i}]`;
    if (f === null || typeof f !== "object") throw new Error(`${at} is ${kind(f)}, not a finding`);
    if (typeof f.rule !== "string") throw new Error(`${at}.rule must be a string, not ${kind(f.rule)}`);
    if (typeof f.title !== "string") throw new Error(`${at}.title must be a string, not ${kind(f.title)}`);
    if (!SEVERITIES.includes(f.severity)) {
      throw new Error(`${at}.severity must be one of ${SEVERITIES.join(", ")}, not ${JSON.stringify(f.severity) ?? "undefined"}`);
    }
    if (typeof f.confidence !== "number") throw new Error(`${at}.confidence must be a number, not ${kind(f.confidence)}`);
    if (!Array.isArray(f.techniques)) throw new Error(`${at}.techniques must be a list, not ${kind(f.techniques)}`);
    for (let j = 0; j < f.techniques.length; j++) {
      if (typeof f.techniques[j] !== "string") throw new Error(`${at}.techniques[${j}] must be a string, not ${kind(f.techniques[j])}`);
    }
    if (!Array.isArray(f.evidence)) throw new Error(`${at}.evidence must be a list, not ${kind(f.evidence)}`);
    for (let j = 0; j < f.evidence.length; j++) {
      const e = f.evidence[j];
      const where = `${at}.evidence[${j}]`;
      if (e === null || typeof e !== "object") throw new Error(`${where} must be {field, excerpt}, not ${kind(e)}`);
      if (typeof e.field !== "string") throw new Error(`${where}.field must be a string, not ${kind(e.field)}`);
      if (typeof e.excerpt !== "string") throw new Error(`${where}.excerpt must be a string, not ${kind(e.excerpt)}`);
    }
  }
  return value;
}

/** How a value is named in an error message. */
export function kind(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (value instanceof Uint8Array) return "bytes";
  switch (typeof value) {
    case "string":
      return "a string";
    case "number":
      return "a number";
    case "boolean":
      return "a boolean";
    case "undefined":
      return "undefined";
    case "object":
      return "a table";
    default:
      return `a ${typeof value}`;
  }
}
