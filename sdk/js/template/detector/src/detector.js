// {{name}}: flags watched phrases in what goes into and comes out of a model.
//
// Edit freely: this file is yours. `node --test` runs test/, `./build.sh` builds
// {{name}}.wasm. The SDK is vendored in aiir/sdk/js (see its README.md).

import { detector, escapeRegExp, evidenceAt, finding, oneLine, texts } from "../aiir/sdk/js/src/index.js";

/** @typedef {{ phrases: string[], severity: import("../aiir/sdk/js/src/index.js").Severity }} Config */

/** @type {Config} */
const DEFAULTS = { phrases: ["previous instructions"], severity: "medium" };

const SETTINGS_DOC = `Every key is optional.

- \`phrases\` (list of 1 to 64 non-empty strings of at most 200 characters, default \`["previous instructions"]\`): the phrases to look for, matched case-insensitively.
- \`severity\` (\`info\`, \`low\`, \`medium\`, \`high\` or \`critical\`, default \`"medium"\`): the severity of every finding.`;

// The settings in force, kept at module level: the host configures each instance once
// (and configures a fresh one after a failure), so nothing lives on a per-call object.
let config = compile(DEFAULTS);

// Each phrase's pattern and the way titles show it, made once per configure.
/** @param {Config} config */
function compile({ phrases, severity }) {
  return {
    severity,
    phrases: phrases.map((phrase) => ({ shown: oneLine(phrase, 60), pattern: new RegExp(escapeRegExp(phrase), "iu") })),
  };
}

export default detector({
  info: {
    name: "{{name}}",
    version: "0.1.0",
    description: "flags watched phrases in model inputs, outputs, retrieved documents and tool calls",
    kinds: ["inference", "tool-call"],
    settings: SETTINGS_DOC,
  },

  configure(settings) {
    const phrases = settings.strings("phrases", { default: DEFAULTS.phrases, min: 1, max: 64, nonEmpty: true, maxChars: 200 });
    const severity = settings.severity("severity", { default: DEFAULTS.severity });
    settings.finish(); // unknown keys are errors too; every problem is thrown at once
    config = compile({ phrases, severity });
  },

  inspect(event) {
    const found = [];
    for (const t of texts(event)) {
      for (const { shown, pattern } of config.phrases) {
        const m = pattern.exec(t.text);
        if (m === null) continue;
        found.push(
          finding("{{name}}/phrase", `Watched phrase "${shown}" in ${t.field}`, config.severity, {
            confidence: 0.9,
            techniques: ["AML.T0051"],
            evidence: [evidenceAt(t, m.index, m.index + m[0].length)],
          }),
        );
      }
    }
    return found;
  },
});
