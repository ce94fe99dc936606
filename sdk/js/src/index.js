// aiir-sdk: write aiir detector and responder plugins in JavaScript.
//
// A detector is one object and one call:
//
//   import { detector, finding, texts, evidenceAt } from "../aiir/sdk/js/src/index.js";
//   export default detector({
//     info: { name: "shouting", version: "0.1.0", description: "a user shouts", kinds: ["inference"] },
//     inspect(event) {
//       return texts(event)
//         .filter((t) => t.origin === "user" && t.text.length > 20 && t.text === t.text.toUpperCase())
//         .map((t) => finding("shouting/caps", "all caps", "info", { techniques: ["LLM01"], evidence: [evidenceAt(t, 0, t.text.length)] }));
//     },
//   });
//
// and the component's entry module binds the host's imports and exports the world:
//
//   import host from "aiir:plugin/host@0.3.1";
//   import state from "aiir:plugin/state@0.3.1";
//   import plugin from "./src/detector.js";
//   export const { info, configure, inspect } = plugin.bind({ host, state });
//
// Test it natively with `Harness` from "./testkit.js" and `node --test`.

export { ACTIONS, CONTRACT, EVENT_KINDS, INCIDENT_STATES, LEVELS, ROLES, SCOPES, SEVERITIES, atLeast, severityRank } from "./contract.js";
export { detector, responder } from "./plugin.js";
export { evidence, evidenceAt, finding } from "./finding.js";
export { Settings, SettingsErrors, blankEntries, settingsError } from "./settings.js";
export { CONTEXT_CHARS, MATCH_CHARS, Origin, escapeRegExp, excerpt, isThirdParty, mask, maskedExcerpt, oneLine, texts } from "./text.js";
export { attribute, event, fromJson, fromJsonLines, kindOf, subjectModel, unixNanos } from "./event.js";
export { incident, incidentFinding, modelVersion, propose } from "./incident.js";
export { inComponent } from "./host.js";
export { decodeUtf8, encodeUtf8 } from "./utf8.js";
export * as log from "./log.js";
export * as state from "./state.js";
