// Walk every piece of text in an event, with the path of its field for evidence, and
// cut excerpts out of it.

/** Where a piece of text came from, which says how far it can be trusted. */
export const Origin = Object.freeze({
  /** The application's own instructions (system prompt). */
  System: "system",
  /** An end user's message. */
  User: "user",
  /** The model's output. */
  Assistant: "assistant",
  /** A tool's result, as a message or in a tool call. */
  ToolResult: "tool-result",
  /** A document retrieved into the context. */
  Retrieved: "retrieved",
  /** The arguments the model gave a tool. */
  ToolArguments: "tool-arguments",
  /** An example of a training-data batch. */
  TrainingRecord: "training-record",
  /** The body of a custom event. */
  Custom: "custom",
});

const ROLE_ORIGIN = { system: Origin.System, user: Origin.User, assistant: Origin.Assistant, tool: Origin.ToolResult };

/** Text that entered the model's context from a third party rather than from the
 *  user it serves: where indirect prompt injection hides. */
export function isThirdParty(origin) {
  return origin === Origin.ToolResult || origin === Origin.Retrieved;
}

/** Every piece of text in the event, in document order, as `{field, origin, text}`
 *  with the field's path in the aiir JSON format (`payload.inference.input[1].content`). */
export function texts(event) {
  const out = [];
  const p = event.payload;
  const v = p.val;
  switch (p.tag) {
    case "inference":
      for (const list of ["input", "output"]) {
        v[list].forEach((m, n) =>
          out.push({ field: `payload.inference.${list}[${n}].content`, origin: ROLE_ORIGIN[m.role], text: m.content }),
        );
      }
      v.retrieved.forEach((d, n) =>
        out.push({ field: `payload.inference.retrieved[${n}].content`, origin: Origin.Retrieved, text: d.content }),
      );
      break;
    case "tool-call":
      out.push({ field: "payload.tool_call.arguments", origin: Origin.ToolArguments, text: v.arguments });
      if (v.result != null) out.push({ field: "payload.tool_call.result", origin: Origin.ToolResult, text: v.result });
      break;
    case "training-data":
      v.records.forEach((r, n) =>
        out.push({ field: `payload.training_data.records[${n}].text`, origin: Origin.TrainingRecord, text: r.text }),
      );
      break;
    case "custom":
      out.push({ field: "payload.custom.data", origin: Origin.Custom, text: v.data });
      break;
    default: // model-lifecycle, training-run: no free text
  }
  return out;
}

/** Context kept on each side of a match in an excerpt, in characters. */
export const CONTEXT_CHARS = 40;
/** Longest match kept whole in an excerpt, in characters. */
export const MATCH_CHARS = 160;

/** The part of `text` from `start` to `end` (string indices, as `indexOf` and
 *  `RegExp` give them) with a little context either side, marked with `…` where cut;
 *  fit to be evidence. An index inside a surrogate pair is moved outwards. The same
 *  cut as the Rust SDK's `excerpt`: 40 characters of context, at most 160 of match. */
export function excerpt(text, start, end = start) {
  const len = text.length;
  let s = Math.max(0, Math.min(start, len));
  if (s > 0 && s < len && isLow(text.charCodeAt(s)) && isHigh(text.charCodeAt(s - 1))) s -= 1;
  let e = Math.max(s, Math.min(end, len));
  if (e > 0 && e < len && isLow(text.charCodeAt(e)) && isHigh(text.charCodeAt(e - 1))) e += 1;
  // Without surrogate pairs near the match a character is a code unit: plain slices.
  const from = Math.max(0, s - CONTEXT_CHARS);
  const to = Math.min(len, e + CONTEXT_CHARS);
  if (e - s <= MATCH_CHARS && !SURROGATE.test(text.slice(from, to))) {
    return `${from > 0 ? "…" : ""}${text.slice(from, to)}${to < len ? "…" : ""}`;
  }
  const matchChars = Array.from(text.slice(s, e));
  const matched = matchChars.slice(0, MATCH_CHARS).join("");
  const beforeChars = lastChars(text, s, CONTEXT_CHARS);
  const lead = beforeChars.length < s ? "…" : "";
  if (matchChars.length > MATCH_CHARS) return `${lead}${beforeChars}${matched}…`;
  const after = firstChars(text, e, CONTEXT_CHARS);
  const tail = e + after.length < len ? "…" : "";
  return `${lead}${beforeChars}${matched}${after}${tail}`;
}

const SURROGATE = /[\ud800-\udfff]/;

/** `value` with its letters and digits masked by `*`, but for the first `keepStart`
 *  and the last `keepEnd` of them; other characters (spaces, dashes, `@`, dots) are
 *  kept, so the shape shows: `mask("4111 1111 1111 1111", {keepStart: 4})` is
 *  `4111 **** **** 1111`. A value too short to keep that many shows only its
 *  first quarter. */
export function mask(value, { keepStart = 0, keepEnd = 4, char = "*" } = {}) {
  const chars = Array.from(value);
  const word = chars.map((c) => /[\p{L}\p{N}]/u.test(c));
  const total = word.filter(Boolean).length;
  const keep = keepStart + keepEnd >= total ? Math.floor(total / 4) : null;
  let seen = 0;
  return chars
    .map((c, i) => {
      if (!word[i]) return c;
      const n = seen++;
      if (keep !== null) return n < keep ? c : char;
      return n < keepStart || n >= total - keepEnd ? c : char;
    })
    .join("");
}

/** An excerpt (as `excerpt`) in which the match itself is masked (as `mask`): for
 *  evidence of a secret or personal datum that must not be repeated in clear. */
export function maskedExcerpt(text, start, end, options) {
  const s = Math.max(0, Math.min(start, text.length));
  const e = Math.max(s, Math.min(end, text.length));
  const masked = mask(text.slice(s, e), options);
  return excerpt(text.slice(0, s) + masked + text.slice(e), s, s + masked.length);
}

/** `s` with every RegExp metacharacter escaped: `new RegExp(escapeRegExp(phrase), "iu")`
 *  finds a phrase case-insensitively, at indices `excerpt` takes. */
export function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** `text` made fit for one line of a title: every control, bidi and line-break
 *  character becomes a space, and past `maxChars` characters it is cut with `…`. */
export function oneLine(text, maxChars = 80) {
  const chars = Array.from(String(text), (c) => (UNSAFE.test(c) ? " " : c));
  return chars.length > maxChars ? `${chars.slice(0, maxChars - 1).join("")}…` : chars.join("");
}

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

function isHigh(c) {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLow(c) {
  return c >= 0xdc00 && c <= 0xdfff;
}

// The last `n` characters (code points) before index `at`, as a string.
function lastChars(text, at, n) {
  let i = at;
  for (let k = 0; k < n && i > 0; k++) {
    i -= 1;
    if (i > 0 && isLow(text.charCodeAt(i)) && isHigh(text.charCodeAt(i - 1))) i -= 1;
  }
  return text.slice(i, at);
}

// The first `n` characters (code points) from index `at`, as a string.
function firstChars(text, at, n) {
  let i = at;
  for (let k = 0; k < n && i < text.length; k++) {
    i += isHigh(text.charCodeAt(i)) && i + 1 < text.length && isLow(text.charCodeAt(i + 1)) ? 2 : 1;
  }
  return text.slice(at, i);
}
