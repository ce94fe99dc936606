// {{name}}: proposes to block each principal behind enough findings of an incident of
// the configured families.
//
// Edit freely: this file is yours. `node --test` runs test/, `./build.sh` builds
// {{name}}.wasm. The SDK is vendored in aiir/sdk/js (see its README.md).
// A responder never acts: it proposes, and the host carries a proposal out only as the
// operator's `mode` allows (`dry-run`, `approve`, `enforce`).

import { log, oneLine, propose, responder } from "../aiir/sdk/js/src/index.js";

/** @typedef {{ families: string[], minFindings: number }} Config */

/** @type {Config} */
const DEFAULTS = { families: ["prompt-injection"], minFindings: 3 };

const SETTINGS_DOC = `Every key is optional.

- \`families\` (list of non-empty strings, default \`["prompt-injection"]\`): the incident families it answers.
- \`min_findings\` (integer, at least 1, default \`3\`): findings by one principal in an incident before it is blocked.`;

// The settings in force, kept at module level: the host configures each instance once
// (and configures a fresh one after a failure), so nothing lives on a per-call object.
let config = DEFAULTS;

export default responder({
  info: {
    name: "{{name}}",
    version: "0.1.0",
    description: "Proposes to block principals behind repeated findings",
    settings: SETTINGS_DOC,
  },

  configure(settings) {
    const families = settings.strings("families", { default: DEFAULTS.families, nonEmpty: true });
    const minFindings = settings.integer("min_findings", { default: DEFAULTS.minFindings, min: 1 });
    settings.finish(); // unknown keys are errors too; every problem is thrown at once
    config = { families, minFindings };
  },

  respond(incident, store) {
    if (!config.families.includes(incident.family)) return [];
    const findings = store.findings(incident.id);
    const proposals = [];
    for (const principal of incident.principals) {
      const n = findings.filter((f) => f.principal === principal).length;
      if (n >= config.minFindings) {
        proposals.push(propose.block(principal, oneLine(`${n} findings by ${principal} in ${incident.id}`, 1024)));
      }
    }
    if (proposals.length === 0) log.info(`${incident.id}: no principal has ${config.minFindings} findings yet`);
    return proposals;
  },
});
