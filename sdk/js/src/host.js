// The bridge to the host's imports (`host`, `state`, `response`).
//
// Inside a component the entry module imports the WIT interfaces
// (`import host from "aiir:plugin/host@0.3.1"`) and hands them to `plugin.bind()`,
// which calls `bindImports` here. Natively (node --test) nothing is bound and the
// SDK's own stand-ins answer: log lines are kept for the test kit, state is a map in
// memory, the store view is whatever the test gives.

const bound = { host: null, state: null, response: null };

/** Whether the SDK runs inside a component with the host's imports bound. */
export function inComponent() {
  return bound.host !== null;
}

/** Install the host's imports (called by `plugin.bind`). */
export function bindImports(imports) {
  bound.host = imports.host ?? null;
  bound.state = imports.state ?? null;
  bound.response = imports.response ?? null;
  if (bound.host) sandboxGlobals();
}

/** The bound imports (`null` members natively). */
export function imports() {
  return bound;
}

const NO_CLOCK =
  "there is no clock in the aiir sandbox: use the event's timeUnixNano (Date.now(), new Date() and performance.now() are unavailable)";

// Inside the component WASI is stubbed: a clock read or a write to stdout would trap
// and lose the message. Make `console` log through `host.log`, and make clock reads
// throw an ordinary error, which `inspect` turns into a declined event with this text.
function sandboxGlobals() {
  const host = bound.host;
  const say = (level) => (...args) => host.log(level, args.map(show).join(" "));
  globalThis.console = {
    log: say("info"),
    info: say("info"),
    debug: say("debug"),
    trace: say("debug"),
    warn: say("warn"),
    error: say("error"),
  };
  const RealDate = globalThis.Date;
  if (!RealDate.__aiirSandboxed) {
    class SandboxDate extends RealDate {
      constructor(...args) {
        if (args.length === 0) throw new Error(NO_CLOCK);
        super(...args);
      }
      static now() {
        throw new Error(NO_CLOCK);
      }
    }
    Object.defineProperty(SandboxDate, "__aiirSandboxed", { value: true });
    globalThis.Date = SandboxDate;
  }
  if (typeof globalThis.performance === "object" && globalThis.performance !== null) {
    try {
      globalThis.performance.now = () => {
        throw new Error(NO_CLOCK);
      };
    } catch {
      // a read-only performance object: leave it
    }
  }
}

/** A value as a log line shows it. */
export function show(value) {
  if (typeof value === "string") return value;
  if (value instanceof Error) return errorText(value);
  try {
    const json = JSON.stringify(value);
    return json === undefined ? String(value) : json;
  } catch {
    return String(value);
  }
}

/** The text of anything thrown: an Error's message (with its name unless a plain
 *  `Error`), a string as it is, anything else as JSON. */
export function errorText(thrown) {
  if (thrown instanceof Error) {
    const message = thrown.message || "(no message)";
    return thrown.name && thrown.name !== "Error" ? `${thrown.name}: ${message}` : message;
  }
  if (typeof thrown === "string") return thrown;
  if (thrown === undefined) return "undefined was thrown";
  return show(thrown);
}
