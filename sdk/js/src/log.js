// Write to the host's log, tagged with the plugin's name.
//
// Inside the host these go through the `host.log` import (so does `console.log`,
// which the SDK reroutes there); natively they are kept for the test kit's `logs()`.

import { LEVELS } from "./contract.js";
import { imports, show } from "./host.js";

const kept = [];

/** Log a line at `level` (`debug`, `info`, `warn`, `error`). */
export function log(level, ...message) {
  if (!LEVELS.includes(level)) throw new TypeError(`not a log level: ${show(level)}`);
  const text = message.map(show).join(" ");
  const host = imports().host;
  if (host) host.log(level, text);
  else kept.push([level, text]);
}

/** Log detail for the plugin's author. */
export const debug = (...message) => log("debug", ...message);
/** Log normal operation. */
export const info = (...message) => log("info", ...message);
/** Log something the operator should look at. */
export const warn = (...message) => log("warn", ...message);
/** Log a failure. */
export const error = (...message) => log("error", ...message);

/** The lines logged natively so far, oldest first, as `[level, message]`; emptied. */
export function takeLogs() {
  return kept.splice(0, kept.length);
}
