// Test a plugin's logic natively, with `node --test`, no component build.
//
// `Harness` drives a detector the way the host does: `configure` with the settings,
// then `inspect` only the events whose kind `info` asks for, and checks that every
// finding passes the host's checks. `ResponderHarness` does the same for a responder,
// with a `Store` of findings, model versions and lineage standing in for the host's.

import { checkFinding, checkInfo, checkProposal } from "./boundary.js";
import { takeLogs } from "./log.js";
import { clearNativeState, inPartition } from "./state.js";
import { texts } from "./text.js";

/** The settings `configure` refused, as `[{path, message}]`. */
export class SettingsRejected extends Error {
  constructor(errors) {
    super(`settings rejected: ${errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join("; ")}`);
    this.name = "SettingsRejected";
    this.errors = errors;
  }
}

/** An event the detector declined (its `inspect` threw), with the message the host would show. */
export class Declined extends Error {
  constructor(eventId, message) {
    super(`inspect of ${eventId} declined: ${message}`);
    this.name = "Declined";
    this.reason = message;
  }
}

/** The settings as the JSON text the host hands over. */
function settingsJson(settings) {
  return typeof settings === "string" ? settings : JSON.stringify(settings ?? {});
}

/** Run the plugin's `configure`; the problems, `[]` when it accepts them. */
export function configureErrors(plugin, settings = {}) {
  try {
    plugin.configure(settingsJson(settings));
    return [];
  } catch (thrown) {
    if (Array.isArray(thrown)) return thrown;
    throw thrown;
  }
}

function configureOrThrow(plugin, json) {
  const errors = configureErrors(plugin, json);
  if (errors.length > 0) throw new SettingsRejected(errors);
}

/** Drives one detector as the host would, with the SDK's in-memory state standing in
 *  for the host's keyed state (emptied when a harness is made). */
export class Harness {
  /** A detector configured with `settings` (an object or JSON text; `{}` by default);
   *  throws `SettingsRejected` when it refuses them, or an Error when the host would
   *  refuse its info. */
  constructor(plugin, { settings = {}, partition = () => "" } = {}) {
    if (plugin.world !== "detector") throw new TypeError("Harness drives a detector: use ResponderHarness for a responder");
    this.plugin = plugin;
    this.info = plugin.info();
    const problem = checkInfo(this.info);
    if (problem) throw new Error(`plugin ${JSON.stringify(this.info.name)}: the host would refuse its info: ${problem}`);
    if (this.info.kinds.length === 0) throw new Error(`plugin ${this.info.name} asks for no event kinds`);
    this.settings = settingsJson(settings);
    this.partition = partition;
    takeLogs();
    configureOrThrow(plugin, this.settings);
    clearNativeState();
  }

  /** Keep state by the key `partition(event)` gives each event, as the host does by
   *  the detector's configured partition (one partition for all by default). */
  partitionBy(partition) {
    this.partition = partition;
    return this;
  }

  /** Configure again with the same settings, keeping the state, as the host does
   *  with a fresh instance after a failure or a restart. */
  restart() {
    configureOrThrow(this.plugin, this.settings);
  }

  /** Inspect one event; one of a kind the detector did not ask for is not sent, as
   *  in the host. Throws `Declined` when the detector declines it, and an Error
   *  when a finding would be refused by the host. */
  inspect(event) {
    if (!this.info.kinds.includes(event.payload.tag)) return [];
    let findings;
    try {
      findings = inPartition(this.partition(event), () => this.plugin.inspect(event));
    } catch (thrown) {
      throw new Declined(event.id, typeof thrown === "string" ? thrown : String(thrown));
    }
    for (const f of findings) checkFindingOf(this.info, event, f);
    return findings;
  }

  /** The rule ids found in one event, in order. */
  rules(event) {
    return this.inspect(event).map((f) => f.rule);
  }

  /** The message of the detector's refusal of `event`, or `null` when it inspects it. */
  declined(event) {
    try {
      this.inspect(event);
      return null;
    } catch (e) {
      if (e instanceof Declined) return e.reason;
      throw e;
    }
  }

  /** The log lines written since the last call, oldest first, as `[level, message]`. */
  logs() {
    return takeLogs();
  }
}

/** What the host checks of every finding, and two things it cannot: the evidence
 *  points at a field this event has, and the finding names a technique. */
function checkFindingOf(info, event, f) {
  const problem = checkFinding(info.name, f);
  if (problem) throw new Error(`the host would refuse finding ${JSON.stringify(f.rule)}: ${problem}`);
  if (f.techniques.length === 0) throw new Error(`finding ${f.rule} names no technique`);
  const fields = texts(event).map((t) => t.field);
  for (const e of f.evidence) {
    const known = fields.includes(e.field) || NON_TEXT_FIELDS.some((p) => e.field.startsWith(p));
    if (!known) throw new Error(`finding ${f.rule} points at ${JSON.stringify(e.field)}, not a field of the event`);
  }
}

/** Fields evidence may point at besides the texts of `texts(event)`. */
const NON_TEXT_FIELDS = [
  "id",
  "time",
  "source",
  "model.",
  "principal",
  "session",
  "attributes.",
  "payload.model_lifecycle.",
  "payload.tool_call.tool",
  "payload.inference.input_tokens",
  "payload.inference.output_tokens",
  "payload.training_data.",
  "payload.training_run.",
  "payload.custom.kind",
];

/** The host's store as a responder reads it, with what a test puts in. */
export class Store {
  constructor() {
    this.byIncident = new Map();
    this.byModel = new Map();
    this.impacts = new Map();
  }

  /** Add a finding to `incidentId` (an `incidentFinding(…)`). */
  finding(incidentId, f) {
    if (!this.byIncident.has(incidentId)) this.byIncident.set(incidentId, []);
    this.byIncident.get(incidentId).push(f);
    return this;
  }

  /** Add a model version (a `modelVersion(…)`). */
  version(v) {
    if (!this.byModel.has(v.model)) this.byModel.set(v.model, []);
    this.byModel.get(v.model).push(v);
    return this;
  }

  /** Say what the data of `incidentId` reached (a `lineage-impact` record). */
  impact(incidentId, impact) {
    this.impacts.set(incidentId, impact);
    return this;
  }

  /** The `response` imports over what was put in. */
  view() {
    return {
      findings: (id) => (this.byIncident.get(id) ?? []).slice(-1000),
      versions: (model) => (this.byModel.get(model) ?? []).slice(),
      impact: (id) => this.impacts.get(id) ?? null,
    };
  }
}

/** Drives one responder as the host would, over a `Store`. */
export class ResponderHarness {
  constructor(plugin, { settings = {}, store = new Store() } = {}) {
    if (plugin.world !== "responder") throw new TypeError("ResponderHarness drives a responder: use Harness for a detector");
    this.plugin = plugin;
    this.info = plugin.info();
    const problem = checkInfo(this.info);
    if (problem) throw new Error(`plugin ${JSON.stringify(this.info.name)}: the host would refuse its info: ${problem}`);
    this.store = store;
    takeLogs();
    configureOrThrow(plugin, settingsJson(settings));
  }

  /** The proposals for `incident`; throws `Declined` when the responder declines it,
   *  and an Error when the host would refuse a proposal's shape. */
  respond(incident) {
    let proposals;
    try {
      proposals = this.plugin.respondWith(incident, this.store.view());
    } catch (thrown) {
      throw new Declined(incident.id, typeof thrown === "string" ? thrown : String(thrown));
    }
    for (const [i, p] of proposals.entries()) {
      const problem = checkProposal(p);
      if (problem) throw new Error(`the host would refuse proposals[${i}]: ${problem}`);
    }
    return proposals;
  }

  /** The log lines written since the last call, oldest first, as `[level, message]`. */
  logs() {
    return takeLogs();
  }
}

export { inPartition };
