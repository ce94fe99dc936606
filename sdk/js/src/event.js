// Events as a plugin receives them, made from the aiir JSON format (the one of log
// files and of `aiir test` cases): for native tests, and for plugins that carry events.
//
// Inside a component the host hands `inspect` the contract's `event` record, which the
// JavaScript bindings spell with camelCase keys, `null` for an absent option, a
// `{tag, val}` object for the payload variant and `[key, value]` pairs for the
// attributes. `fromJson` makes exactly that shape.

const PAYLOAD_TAGS = {
  inference: "inference",
  tool_call: "tool-call",
  model_lifecycle: "model-lifecycle",
  training_data: "training-data",
  training_run: "training-run",
  custom: "custom",
};

/**
 * An event from one object (or one line of text) of the aiir JSON format:
 * `{"id", "time", "source", "model"?, "principal"?, "session"?, "payload", "attributes"?}`.
 * `time` is an RFC 3339 string or nanoseconds since the epoch; `time` and `source`
 * may be left out in tests (epoch, empty).
 */
export function fromJson(value) {
  const o = typeof value === "string" ? JSON.parse(value) : value;
  if (o === null || typeof o !== "object") throw new TypeError("an event must be a JSON object");
  if (typeof o.id !== "string") throw new TypeError("an event needs an `id` string");
  const attributes = Object.entries(o.attributes ?? {})
    .map(([k, v]) => [k, String(v)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    id: o.id,
    timeUnixNano: o.time === undefined ? 0 : typeof o.time === "number" ? o.time : unixNanos(o.time),
    source: o.source ?? "",
    model: modelRef(o.model),
    principal: o.principal ?? null,
    session: o.session ?? null,
    payload: payload(o.payload),
    attributes,
  };
}

/** An event with this id and payload (the aiir JSON payload, e.g.
 *  `{inference: {input: [{role: "user", content: "hi"}]}}`); `rest` may give the
 *  other fields (`time`, `source`, `model`, `principal`, `session`, `attributes`). */
export function event(id, payloadJson, rest = {}) {
  return fromJson({ ...rest, id, payload: payloadJson });
}

/** Every event of a JSON Lines text (blank lines skipped). */
export function fromJsonLines(text) {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => fromJson(line));
}

/** The kind of an event (`inference`, `tool-call`, …): its payload's tag. */
export function kindOf(event) {
  return event.payload.tag;
}

/** The value of the attribute `key`, or `null`. */
export function attribute(event, key) {
  const found = event.attributes.find(([k]) => k === key);
  return found ? found[1] : null;
}

/** The model the event is about: a lifecycle event's model, else the event's. */
export function subjectModel(event) {
  return event.payload.tag === "model-lifecycle" ? event.payload.val.model : event.model;
}

/** Nanoseconds since the Unix epoch of an RFC 3339 time (a JavaScript number: exact
 *  to about 256 ns today, as the component's `u64` is). */
export function unixNanos(time) {
  const m = /^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(time);
  if (!m) throw new TypeError(`not an RFC 3339 time: ${JSON.stringify(time)}`);
  const ms = Date.parse(`${m[1].replace(/[t ]/, "T")}${m[3].toUpperCase()}`);
  if (Number.isNaN(ms)) throw new TypeError(`not an RFC 3339 time: ${JSON.stringify(time)}`);
  const frac = m[2] ? Number(m[2].slice(1, 10).padEnd(9, "0")) : 0;
  return (ms / 1000) * 1e9 + frac;
}

function modelRef(m) {
  if (m == null) return null;
  return { name: m.name, version: m.version ?? null, digest: m.digest ?? null };
}

function jsonText(v) {
  return typeof v === "string" ? v : JSON.stringify(v);
}

function payload(p) {
  if (p === null || typeof p !== "object") throw new TypeError("an event needs a `payload` object");
  const keys = Object.keys(p);
  if (keys.length !== 1 || !(keys[0] in PAYLOAD_TAGS)) {
    throw new TypeError(`a payload has exactly one of ${Object.keys(PAYLOAD_TAGS).join(", ")}; this one has ${keys.join(", ") || "none"}`);
  }
  const v = p[keys[0]];
  const tag = PAYLOAD_TAGS[keys[0]];
  switch (tag) {
    case "inference":
      return {
        tag,
        val: {
          input: (v.input ?? []).map(message),
          output: (v.output ?? []).map(message),
          retrieved: (v.retrieved ?? []).map((d) => ({ id: d.id, source: d.source, content: d.content })),
          inputTokens: v.input_tokens ?? null,
          outputTokens: v.output_tokens ?? null,
        },
      };
    case "tool-call":
      return { tag, val: { tool: v.tool, arguments: jsonText(v.arguments ?? ""), result: v.result == null ? null : jsonText(v.result) } };
    case "model-lifecycle":
      return { tag, val: { action: v.action, model: modelRef(v.model), registry: v.registry ?? null } };
    case "training-data":
      return {
        tag,
        val: {
          dataset: v.dataset,
          batch: v.batch,
          revision: v.revision ?? null,
          records: (v.records ?? []).map((r) => ({ text: r.text, label: r.label, source: r.source ?? null })),
        },
      };
    case "training-run":
      return {
        tag,
        val: {
          run: v.run,
          job: v.job,
          state: v.state,
          inputs: (v.inputs ?? []).map((i) => ({ dataset: i.dataset, revision: i.revision ?? null, batches: i.batches ?? [] })),
          base: modelRef(v.base),
          output: modelRef(v.output),
        },
      };
    default:
      return { tag, val: { kind: v.kind, data: jsonText(v.data) } };
  }
}

function message(m) {
  return { role: m.role, content: m.content };
}
