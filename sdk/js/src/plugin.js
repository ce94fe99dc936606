// `detector()` and `responder()`: turn an author's object (or class) into the exports
// of the contract's `detector` or `responder` world, with every error mapped.
//
// The component's bindings (componentize-qjs) map a WIT `result<T, E>` of an export to
// "return T, or throw E itself": a thrown `Error` or a trap loses or garbles the
// message. So the exports here catch everything and throw exactly the contract's
// error: a string for `inspect` and `respond`, a `list<settings-error>` for
// `configure`.

import { EVENT_KINDS } from "./contract.js";
import { toFindings } from "./finding.js";
import { bindImports, errorText, imports } from "./host.js";
import { toProposals } from "./incident.js";
import { Settings, SettingsErrors, settingsError } from "./settings.js";

/**
 * Export a detector. `spec` is an object (or a class, made once) with
 * - `info`: the plugin's info `{name, version, description, kinds, settings}`, or a
 *   function returning it;
 * - `configure(settings)` (optional): read the operator's settings from a `Settings`;
 *   keep them in module state; throw `SettingsErrors` (or just let `finish()` do it).
 *   Without it only empty settings are accepted;
 * - `inspect(event)`: return a list of findings (often `[]`); throw to decline the
 *   event (the message goes to the host).
 *
 * The plugin's entry module exports what it returns:
 * `export const { info, configure, inspect } = plugin.bind({ host, state });`
 */
export function detector(spec) {
  const impl = instance(spec, ["inspect"]);
  const exports = {
    info: () => pluginInfo(impl),
    configure: (json) => configureWith(impl, json),
    inspect: (event) => {
      try {
        return toFindings(settle(impl.inspect(event), "inspect"));
      } catch (thrown) {
        throw errorText(thrown);
      }
    },
  };
  return Object.freeze({
    world: "detector",
    impl,
    ...exports,
    /** Bind the host's imports (`host`, `state`) and return the world's exports. */
    bind(hostImports) {
      bindImports(hostImports);
      return exports;
    },
  });
}

/**
 * Export a responder. `spec` is an object (or a class, made once) with `info`,
 * `configure(settings)` (optional, as for a detector) and
 * `respond(incident, store)`: return a list of proposals (`propose.block(…)` …);
 * `store` has `findings(incidentId)`, `versions(model)` and `impact(incidentId)`.
 */
export function responder(spec) {
  const impl = instance(spec, ["respond"]);
  const respondWith = (incident, store) => {
    try {
      return toProposals(settle(impl.respond(incident, store), "respond"));
    } catch (thrown) {
      throw errorText(thrown);
    }
  };
  const exports = {
    info: () => pluginInfo(impl),
    configure: (json) => configureWith(impl, json),
    respond: (incident) => respondWith(incident, hostStore),
  };
  return Object.freeze({
    world: "responder",
    impl,
    ...exports,
    /** Respond with `store` standing in for the host's (the test kit uses it). */
    respondWith,
    /** Bind the host's imports (`host`, `response`) and return the world's exports. */
    bind(hostImports) {
      bindImports(hostImports);
      return exports;
    },
  });
}

/** The `response` imports, once bound; natively they answer nothing. */
const hostStore = Object.freeze({
  findings: (incidentId) => imports().response?.findings(incidentId) ?? [],
  versions: (model) => imports().response?.versions(model) ?? [],
  impact: (incidentId) => imports().response?.impact(incidentId) ?? null,
});

function instance(spec, required) {
  const impl = typeof spec === "function" ? new spec() : spec;
  if (impl === null || typeof impl !== "object") throw new TypeError("a plugin is an object or a class");
  for (const name of ["info", ...required]) {
    if (impl[name] === undefined) throw new TypeError(`the plugin has no \`${name}\``);
  }
  return impl;
}

function pluginInfo(impl) {
  const i = typeof impl.info === "function" ? impl.info() : impl.info;
  const kinds = Array.from(i.kinds ?? []);
  for (const k of kinds) {
    if (!EVENT_KINDS.includes(k)) throw new TypeError(`info.kinds: ${JSON.stringify(k)} is not one of ${EVENT_KINDS.join(", ")}`);
  }
  return {
    name: String(i.name),
    version: String(i.version),
    description: String(i.description ?? ""),
    kinds,
    settings: String(i.settings ?? ""),
  };
}

function configureWith(impl, json) {
  try {
    const settings = Settings.fromJson(json);
    if (typeof impl.configure === "function") {
      settle(impl.configure(settings), "configure");
      settings.finish();
    } else {
      settings.expectEmpty();
    }
  } catch (thrown) {
    throw settingsErrorList(thrown);
  }
}

/** Anything `configure` threw, as the contract's `list<settings-error>`. */
function settingsErrorList(thrown) {
  if (thrown instanceof SettingsErrors) return thrown.errors.map((e) => settingsError(String(e.path), String(e.message)));
  if (Array.isArray(thrown) && thrown.every((e) => e && typeof e === "object" && "message" in e)) {
    return thrown.map((e) => settingsError(String(e.path ?? ""), String(e.message)));
  }
  return [settingsError("", errorText(thrown))];
}

function settle(value, what) {
  if (value !== null && typeof value === "object" && typeof value.then === "function") {
    throw new Error(`${what} returned a Promise: plugins run synchronously, so make it a plain function`);
  }
  return value;
}
