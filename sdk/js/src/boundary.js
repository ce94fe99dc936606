// The host's checks on what a plugin returns (its trust boundary, `sdk/boundary` in
// the aiir repository), so that native tests fail where the host would refuse.
// Each returns `null` when the value passes, else the first rule it breaks.

import { utf8Length } from "./utf8.js";

const LIMITS = Object.freeze({
  name: 64,
  version: 64,
  description: 1024,
  settingsDoc: 16 * 1024,
  slug: 64,
  title: 512,
  techniques: 16,
  technique: 32,
  evidence: 256,
  field: 256,
  excerpt: 4096,
  target: 256,
  reason: 1024,
  url: 2048,
});

const FIELD_ROOTS = ["id", "time", "source", "model", "principal", "session", "payload", "attributes"];

/** Lowercase ASCII letters, digits and dashes, not starting with a dash. */
export function isSlug(s) {
  return /^[a-z0-9][a-z0-9-]*$/.test(s);
}

/** A control (C0, DEL, C1), bidi or line-separator character the host refuses in one-line text. */
export function isUnsafe(c) {
  const n = c.codePointAt(0);
  return (
    n < 0x20 ||
    (n >= 0x7f && n <= 0x9f) ||
    [0x061c, 0x200e, 0x200f, 0x2028, 0x2029].includes(n) ||
    (n >= 0x202a && n <= 0x202e) ||
    (n >= 0x2066 && n <= 0x2069)
  );
}

function checkText(at, text, max, allowed = [], required = true) {
  if (typeof text !== "string") return `${at}: not a string`;
  const bytes = utf8Length(text);
  if (bytes > max) return `${at}: ${bytes} bytes, more than the cap of ${max}`;
  if (required && text.trim() === "") return `${at}: is empty`;
  for (const c of text) {
    if (isUnsafe(c) && !allowed.includes(c)) {
      return `${at}: control character U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
    }
  }
  return null;
}

function isSemver(v) {
  return /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/.test(v);
}

/** The host's checks on a plugin's `info`. */
export function checkInfo(info) {
  if (!isSlug(info.name) || utf8Length(info.name) > LIMITS.name) {
    return `info.name: ${JSON.stringify(info.name)} is not a name: use lowercase letters, digits and dashes, at most 64 bytes`;
  }
  if (info.name === "aiir") return 'info.name: "aiir" is the host\'s own name';
  return (
    checkText("info.version", info.version, LIMITS.version) ??
    (isSemver(info.version) ? null : `info.version: ${JSON.stringify(info.version)} is not a semantic version such as 1.2.3`) ??
    checkText("info.description", info.description, LIMITS.description, [], false) ??
    checkText("info.settings", info.settings, LIMITS.settingsDoc, ["\n", "\t"], false)
  );
}

/** An ATLAS id (`AML.T0051`, `AML.T0051.001`, `AML.TA0004`), an OWASP LLM id
 *  (`LLM01`), or a slug of at most 32 bytes. */
export function isTechnique(id) {
  return /^(AML\.TA\d{4}|AML\.T\d{4}(\.\d{3})?|LLM\d{2})$/.test(id) || (isSlug(id) && id.length <= LIMITS.technique);
}

/** The host's checks on a finding of the plugin `name`. */
export function checkFinding(name, f) {
  const [prefix, ...rest] = f.rule.split("/");
  const slug = rest.join("/");
  if (rest.length === 0 || prefix !== name || prefix === "aiir" || !isSlug(slug) || slug.length > LIMITS.slug) {
    return `rule: ${JSON.stringify(f.rule)} is not <plugin>/<slug> with the plugin's own name (${name})`;
  }
  const title = checkText("title", f.title, LIMITS.title);
  if (title) return title;
  if (!(Number.isFinite(f.confidence) && f.confidence >= 0 && f.confidence <= 1)) {
    return `confidence: ${f.confidence} is not a number from 0 to 1`;
  }
  if (f.techniques.length > LIMITS.techniques) return `techniques: ${f.techniques.length} ids, more than the cap of 16`;
  const bad = f.techniques.findIndex((t) => !isTechnique(t));
  if (bad >= 0) {
    return `techniques[${bad}]: ${JSON.stringify(f.techniques[bad])} is neither an ATLAS id (AML.T0051.001), an OWASP LLM id (LLM01) nor a short slug`;
  }
  if (f.evidence.length > LIMITS.evidence) return `evidence: ${f.evidence.length} entries, more than the cap of 256`;
  for (const [i, e] of f.evidence.entries()) {
    const field = checkText(`evidence[${i}].field`, e.field, LIMITS.field);
    if (field) return field;
    const root = e.field.split(/[.[]/)[0];
    if (!FIELD_ROOTS.includes(root) || /\s/.test(e.field)) {
      return `evidence[${i}].field: ${JSON.stringify(e.field)} is not a field of the event (it starts with one of ${FIELD_ROOTS.join(", ")})`;
    }
    const bytes = utf8Length(e.excerpt);
    if (bytes > LIMITS.excerpt) return `evidence[${i}].excerpt: ${bytes} bytes, more than the cap of 4096`;
  }
  return null;
}

function isJson(text) {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The host's shape checks on a proposal (not its scope, which needs the store). */
export function checkProposal(p) {
  const reason = checkText("reason", p.reason, LIMITS.reason, [], false);
  if (reason) return reason;
  const { tag, val } = p.action;
  const name = (what, v) => checkText(what, v, LIMITS.target);
  const jsonOrText = (what, v) => (isJson(v) ? null : checkText(what, v, Infinity, ["\n", "\t"], false));
  switch (tag) {
    case "rollback-model":
      return name("model", val);
    case "block-principal":
      return name("principal", val);
    case "quarantine-model":
      return name("model", val.name) ?? (val.version ? name("version", val.version) : null) ?? (val.digest ? name("digest", val.digest) : null);
    case "notify":
      return checkText("url", val.url, LIMITS.url) ?? jsonOrText("body", val.body);
    default:
      if (!isSlug(val.kind) || val.kind.length > LIMITS.target) return `kind: ${JSON.stringify(val.kind)} is not a slug: lowercase letters, digits and dashes`;
      return checkText("markdown", val.markdown, Infinity, ["\n", "\t"], false) ?? jsonOrText("json", val.json);
  }
}
