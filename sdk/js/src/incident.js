// The proposals a responder returns, and incidents, their findings and model versions
// built for tests.

import { ACTIONS, INCIDENT_STATES, SCOPES, SEVERITIES } from "./contract.js";
import { kind } from "./finding.js";

/** Actions a responder proposes, each with a one-line reason for the audit log. The
 *  host carries out what the operator's policy allows. */
export const propose = Object.freeze({
  /** Move `model`'s serving alias back to its newest known-good version. */
  rollback: (model, reason) => ({ action: { tag: "rollback-model", val: model }, reason }),
  /** Quarantine a model version (`{name, version?, digest?}`): events it serves become findings. */
  quarantine: (model, reason) => ({
    action: { tag: "quarantine-model", val: { name: model.name, version: model.version ?? null, digest: model.digest ?? null } },
    reason,
  }),
  /** Block a principal: its later events become findings. */
  block: (principal, reason) => ({ action: { tag: "block-principal", val: principal }, reason }),
  /** POST `body` (JSON text) to the webhook at `url` (on the responder's `allow_hosts`). */
  notify: (url, body, reason) => ({ action: { tag: "notify", val: { url, body: typeof body === "string" ? body : JSON.stringify(body) } }, reason }),
  /** File a report (`kind` a slug, e.g. `art73`) beside the store: Markdown and JSON. */
  fileReport: (reportKind, markdown, json, reason) => ({
    action: { tag: "file-report", val: { kind: reportKind, markdown, json: typeof json === "string" ? json : JSON.stringify(json) } },
    reason,
  }),
});

/** What `respond` returned, as the contract's `list<proposal>`; throws an Error
 *  naming the first thing that is not. `undefined` or `null` is no proposals. */
export function toProposals(value) {
  if (value == null) return [];
  if (!Array.isArray(value)) throw new Error(`respond must return a list of proposals, not ${kind(value)}`);
  return value.map((p, i) => {
    const at = `proposals[${i}]`;
    if (p === null || typeof p !== "object" || p.action === null || typeof p.action !== "object") {
      throw new Error(`${at} must be {action, reason} (use propose.block(…) and the like), not ${kind(p)}`);
    }
    if (typeof p.reason !== "string") throw new Error(`${at}.reason must be a string, not ${kind(p.reason)}`);
    const { tag, val } = p.action;
    if (!ACTIONS.includes(tag)) throw new Error(`${at}.action.tag must be one of ${ACTIONS.join(", ")}, not ${JSON.stringify(tag)}`);
    const str = (v, name) => {
      if (typeof v !== "string") throw new Error(`${at}.action.${name} must be a string, not ${kind(v)}`);
      return v;
    };
    const opt = (v, name) => (v == null ? null : str(v, name));
    let out;
    switch (tag) {
      case "rollback-model":
      case "block-principal":
        out = str(val, "val");
        break;
      case "quarantine-model":
        if (val === null || typeof val !== "object") throw new Error(`${at}.action.val must be a model {name, version, digest}`);
        out = { name: str(val.name, "val.name"), version: opt(val.version, "val.version"), digest: opt(val.digest, "val.digest") };
        break;
      case "notify":
        if (val === null || typeof val !== "object") throw new Error(`${at}.action.val must be {url, body}`);
        out = { url: str(val.url, "val.url"), body: str(val.body, "val.body") };
        break;
      default:
        if (val === null || typeof val !== "object") throw new Error(`${at}.action.val must be {kind, markdown, json}`);
        out = { kind: str(val.kind, "val.kind"), markdown: str(val.markdown, "val.markdown"), json: str(val.json, "val.json") };
    }
    return { action: { tag, val: out }, reason: p.reason };
  });
}

/**
 * An incident as `respond` receives it (for tests). Like the Rust SDK's
 * `Incident::new`: an open incident of `family` grouped by `scope` = `key`, of medium
 * severity, with one finding, titled after its family; `rest` overrides any field
 * (`severity`, `state`, `model`, `principals`, `sessions`, `techniques`, `rules`,
 * `findingCount`, `firstSeenUnixNano`, `lastSeenUnixNano`, `openedUnixNano`, `title`).
 */
export function incident(id, family, scope, key, rest = {}) {
  if (!SCOPES.includes(scope)) throw new Error(`scope must be ${SCOPES.join(", ")}, not ${JSON.stringify(scope)}`);
  const out = {
    id,
    title: family,
    severity: "medium",
    state: "open",
    family,
    scope,
    key,
    model: null,
    principals: [],
    sessions: [],
    techniques: [],
    rules: [],
    findingCount: 1,
    firstSeenUnixNano: 0,
    lastSeenUnixNano: 0,
    openedUnixNano: 0,
    ...rest,
  };
  if (!SEVERITIES.includes(out.severity)) throw new Error(`severity must be ${SEVERITIES.join(", ")}, not ${JSON.stringify(out.severity)}`);
  if (!INCIDENT_STATES.includes(out.state)) throw new Error(`state must be ${INCIDENT_STATES.join(", ")}, not ${JSON.stringify(out.state)}`);
  return out;
}

/** One finding of an incident with the event it came from (for tests). */
export function incidentFinding(eventId, timeUnixNano, plugin, finding, rest = {}) {
  return { eventId, timeUnixNano, plugin, model: null, principal: null, session: null, finding, ...rest };
}

/** One version of a model in the registry (for tests). */
export function modelVersion(model, version, rest = {}) {
  return { model, version, digest: null, knownGood: false, quarantined: false, serving: false, registeredUnixNano: 0, ...rest };
}
