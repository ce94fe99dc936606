// The names the WIT contract (aiir:plugin@0.3.1) gives its enums and variant cases,
// as the component's JavaScript bindings spell them: lowercase, with dashes.

/** The package and version of the contract this SDK is written against. */
export const CONTRACT = "aiir:plugin@0.3.1";

/** How bad a finding is, least to most. */
export const SEVERITIES = Object.freeze(["info", "low", "medium", "high", "critical"]);

/** The kinds of event a detector may ask for in its `info`. */
export const EVENT_KINDS = Object.freeze([
  "inference",
  "tool-call",
  "model-lifecycle",
  "training-data",
  "training-run",
  "custom",
]);

/** Who wrote a message. */
export const ROLES = Object.freeze(["system", "user", "assistant", "tool"]);

/** How loud a log line is. */
export const LEVELS = Object.freeze(["debug", "info", "warn", "error"]);

/** Where an incident is in its lifecycle. */
export const INCIDENT_STATES = Object.freeze(["open", "contained", "recovered", "closed"]);

/** What an incident's findings were grouped by. */
export const SCOPES = Object.freeze(["model", "session", "principal"]);

/** The actions a responder may propose (the `tag` of an action). */
export const ACTIONS = Object.freeze(["rollback-model", "quarantine-model", "block-principal", "notify", "file-report"]);

/** The rank of a severity (info 0 … critical 4), or -1 for an unknown name. */
export function severityRank(severity) {
  return SEVERITIES.indexOf(severity);
}

/** Whether `a` is at least as severe as `b`. */
export function atLeast(a, b) {
  return severityRank(a) >= severityRank(b) && severityRank(b) >= 0;
}
