// Types of aiir-sdk: the contract aiir:plugin@0.3.1 (wit/plugin.wit) as the
// component's JavaScript bindings (componentize-qjs) spell it: records are objects with
// camelCase keys, an absent option is `null`, enums are their lowercase names, a
// variant is `{tag, val}`, a `u64` is a number (exact to about 256 ns for today's
// times), a `list<u8>` a Uint8Array, a tuple an array.

// ---- the contract's types ------------------------------------------------------

/** How bad a finding is. */
export type Severity = "info" | "low" | "medium" | "high" | "critical";
/** The kinds of event, as a plugin asks for them in its `info`. */
export type EventKind = "inference" | "tool-call" | "model-lifecycle" | "training-data" | "training-run" | "custom";
/** Who wrote a message. */
export type Role = "system" | "user" | "assistant" | "tool";
/** How loud a log line is. */
export type Level = "debug" | "info" | "warn" | "error";

/** Which model served or is affected by an event. */
export interface ModelRef {
  name: string;
  version: string | null;
  digest: string | null;
}
/** One chat message. */
export interface Message {
  role: Role;
  content: string;
}
/** A document retrieved into the model's context (untrusted). */
export interface Document {
  id: string;
  source: string;
  content: string;
}
/** One model call: what went in, what came out. */
export interface Inference {
  input: Message[];
  output: Message[];
  retrieved: Document[];
  inputTokens: number | null;
  outputTokens: number | null;
}
/** A tool (function) call made by a model or an agent. */
export interface ToolCall {
  tool: string;
  /** Arguments as the model produced them, usually JSON text. */
  arguments: string;
  /** What the tool returned, when the log has it (untrusted). */
  result: string | null;
}
/** Something happened to a model artifact. */
export interface ModelLifecycle {
  action: string;
  model: ModelRef;
  registry: string | null;
}
/** One labeled example of a training-data batch. */
export interface LabeledRecord {
  text: string;
  label: string;
  source: string | null;
}
/** A batch of training or fine-tuning data entering a pipeline. */
export interface TrainingData {
  dataset: string;
  batch: string;
  revision: string | null;
  records: LabeledRecord[];
}
/** Data a training run read. */
export interface DatasetInput {
  dataset: string;
  revision: string | null;
  batches: string[];
}
/** A training or fine-tuning run changed state. */
export interface TrainingRun {
  run: string;
  job: string;
  state: string;
  inputs: DatasetInput[];
  base: ModelRef | null;
  output: ModelRef | null;
}
/** An event the contract has no record for yet. */
export interface Custom {
  kind: string;
  /** Its body, as JSON text. */
  data: string;
}
/** What an event is about. */
export type Payload =
  | { tag: "inference"; val: Inference }
  | { tag: "tool-call"; val: ToolCall }
  | { tag: "model-lifecycle"; val: ModelLifecycle }
  | { tag: "training-data"; val: TrainingData }
  | { tag: "training-run"; val: TrainingRun }
  | { tag: "custom"; val: Custom };

/** One event from a model log. */
export interface Event {
  id: string;
  /** Nanoseconds since the Unix epoch (a number: exact to about 256 ns today). */
  timeUnixNano: number;
  source: string;
  model: ModelRef | null;
  principal: string | null;
  session: string | null;
  payload: Payload;
  /** Other key-value pairs of the log, sorted by key. */
  attributes: [string, string][];
}

/** Where in the event a finding's cause lies. */
export interface Evidence {
  /** Path of the field, as in the aiir JSON format: `payload.inference.retrieved[2].content`. */
  field: string;
  /** The offending part of that field, short (the host caps it at 4096 bytes). */
  excerpt: string;
}
/** Something a detector found in an event. */
export interface Finding {
  /** `<plugin>/<rule>`, the rule a slug. */
  rule: string;
  /** One line, at most 512 bytes. */
  title: string;
  severity: Severity;
  /** From 0 to 1. */
  confidence: number;
  /** MITRE ATLAS (`AML.T0051.001`) and OWASP LLM (`LLM01`) ids, at most 16. */
  techniques: string[];
  evidence: Evidence[];
}
/** What a plugin tells the host about itself. */
export interface PluginInfo {
  /** Lowercase letters, digits and dashes. */
  name: string;
  /** Semantic version. */
  version: string;
  /** One line. */
  description: string;
  /** The kinds of event `inspect` receives (ignored for responders). */
  kinds: EventKind[];
  /** The settings it accepts (Markdown), shown by `aiir inspect`. */
  settings: string;
}
/** One thing wrong with the settings handed to `configure`. */
export interface SettingsError {
  /** Path of the offending key, e.g. `allowed[1].digest`; empty for the whole table. */
  path: string;
  /** What is wrong, lowercase, no trailing period. */
  message: string;
}

/** Where an incident is in its lifecycle. */
export type IncidentState = "open" | "contained" | "recovered" | "closed";
/** What an incident's findings were grouped by. */
export type Scope = "model" | "session" | "principal";
/** A group of findings that are one incident. */
export interface Incident {
  id: string;
  title: string;
  severity: Severity;
  state: IncidentState;
  family: string;
  scope: Scope;
  key: string;
  model: ModelRef | null;
  principals: string[];
  sessions: string[];
  techniques: string[];
  rules: string[];
  findingCount: number;
  firstSeenUnixNano: number;
  lastSeenUnixNano: number;
  openedUnixNano: number;
}
/** One finding of an incident, with the event it came from. */
export interface IncidentFinding {
  eventId: string;
  timeUnixNano: number;
  plugin: string;
  model: ModelRef | null;
  principal: string | null;
  session: string | null;
  finding: Finding;
}
/** One version of a model in the host's registry. */
export interface ModelVersion {
  model: string;
  version: string;
  digest: string | null;
  knownGood: boolean;
  quarantined: boolean;
  serving: boolean;
  registeredUnixNano: number;
}
/** What the data an incident's findings name reached. */
export interface LineageImpact {
  affected: ModelRef[];
  clean: ModelRef[];
  events: number;
  sessions: number;
  principals: number;
}
/** A message for a webhook. */
export interface Notice {
  url: string;
  body: string;
}
/** A report to file. */
export interface Report {
  kind: string;
  markdown: string;
  json: string;
}
/** Something a responder wants done. */
export type Action =
  | { tag: "rollback-model"; val: string }
  | { tag: "quarantine-model"; val: ModelRef }
  | { tag: "block-principal"; val: string }
  | { tag: "notify"; val: Notice }
  | { tag: "file-report"; val: Report };
/** An action and why. */
export interface Proposal {
  action: Action;
  /** One line for the audit log. */
  reason: string;
}

// ---- the host's imports, as the component's entry module binds them -------------

/** `aiir:plugin/host@0.3.1`. */
export interface HostImport {
  log(level: Level, message: string): void;
}
/** `aiir:plugin/state@0.3.1`. */
export interface StateImport {
  partition(): string;
  get(key: string): Uint8Array | null;
  set(key: string, value: Uint8Array): void;
  remove(key: string): void;
  keys(): string[];
}
/** `aiir:plugin/response@0.3.1`, and what a responder's `respond` reads. */
export interface StoreView {
  /** The findings of an incident, oldest first (at most the newest 1000). */
  findings(incident: string): IncidentFinding[];
  /** Every version of a model the registry knows, oldest first. */
  versions(model: string): ModelVersion[];
  /** What the incident's training data reached; `null` when no recorded run read it. */
  impact(incident: string): LineageImpact | null;
}

// ---- writing plugins ------------------------------------------------------------

/** The plugin's info as an author writes it: `kinds` and `settings` may be left out. */
export interface InfoSpec {
  name: string;
  version: string;
  description?: string;
  kinds?: EventKind[];
  settings?: string;
}

/** What `detector()` takes: an object with these members, or a class whose instance has them. */
export interface DetectorSpec {
  info: InfoSpec | (() => InfoSpec);
  /** Read the operator's settings; without it only `{}` is accepted. */
  configure?(settings: Settings): void;
  /** The findings in one event (often `[]`); throw to decline it. */
  inspect(event: Event): Finding[] | null | undefined;
}
/** What `responder()` takes. */
export interface ResponderSpec {
  info: InfoSpec | (() => InfoSpec);
  configure?(settings: Settings): void;
  /** The actions to propose for an incident (often `[]`); throw to decline it. */
  respond(incident: Incident, store: StoreView): Proposal[] | null | undefined;
}

/** The exports of the `detector` world. They throw exactly the contract's errors: a
 *  string (`inspect`), a `SettingsError[]` (`configure`). */
export interface DetectorExports {
  info(): PluginInfo;
  configure(settings: string): void;
  inspect(event: Event): Finding[];
}
/** The exports of the `responder` world. */
export interface ResponderExports {
  info(): PluginInfo;
  configure(settings: string): void;
  respond(incident: Incident): Proposal[];
}

/** A detector, ready to export: `export const { info, configure, inspect } = plugin.bind({ host, state });` */
export interface DetectorPlugin<T = DetectorSpec> extends DetectorExports {
  readonly world: "detector";
  /** The author's object (the instance, for a class). */
  readonly impl: T;
  bind(imports: { host: HostImport; state?: StateImport }): DetectorExports;
}
/** A responder, ready to export: `export const { info, configure, respond } = plugin.bind({ host, response });` */
export interface ResponderPlugin<T = ResponderSpec> extends ResponderExports {
  readonly world: "responder";
  readonly impl: T;
  /** Respond with `store` standing in for the host's (used by the test kit). */
  respondWith(incident: Incident, store: StoreView): Proposal[];
  bind(imports: { host: HostImport; response?: StoreView }): ResponderExports;
}

/** Export a detector: the one SDK call of a detector's module. */
export function detector<T extends DetectorSpec>(spec: T | (new () => T)): DetectorPlugin<T>;
/** Export a responder: the one SDK call of a responder's module. */
export function responder<T extends ResponderSpec>(spec: T | (new () => T)): ResponderPlugin<T>;

// ---- findings ---------------------------------------------------------------------

export interface FindingOptions {
  /** Default 1; clamped to 0..1. */
  confidence?: number;
  techniques?: Iterable<string>;
  evidence?: Iterable<Evidence>;
}
/** A finding of `rule` (`<plugin>/<rule>`). */
export function finding(rule: string, title: string, severity: Severity, options?: FindingOptions): Finding;
/** Evidence: a field path and an excerpt. */
export function evidence(field: string, excerpt: string): Evidence;
/** Evidence for the part `start`..`end` of a text from `texts(event)`. */
export function evidenceAt(text: Text, start: number, end?: number): Evidence;

// ---- settings -----------------------------------------------------------------------

/** Thrown with every problem at once; `configure`'s error to the host. */
export class SettingsErrors extends Error {
  constructor(errors: SettingsError[]);
  readonly errors: SettingsError[];
}
export function settingsError(path: string, message: string): SettingsError;
/** `key[n]` errors for the blank entries of a list. */
export function blankEntries(key: string, list: string[]): SettingsError[];

/** `default` absent means the key is required. */
export interface Default<T> {
  default?: T;
}
export interface StringRules {
  /** Refuse blank strings. */
  nonEmpty?: boolean;
  /** At most this many characters (code points). */
  maxChars?: number;
  /** Only these values. */
  oneOf?: readonly string[];
}

/** The `settings` table, read key by key; every problem is collected at its path and
 *  thrown at once by `finish()` (which the SDK calls after `configure`), with every
 *  key nobody read reported as unknown. */
export class Settings {
  static fromJson(json: string): Settings;
  constructor(value: unknown, prefix?: string);
  /** The parsed JSON value. */
  readonly value: unknown;
  /** Every problem so far. */
  readonly errors: SettingsError[];
  readonly ok: boolean;
  path(key: string | null): string;
  error(key: string | null, message: string): void;
  errorAt(path: string, message: string): void;
  has(key: string): boolean;
  raw(key: string, fallback?: unknown): unknown;
  string(key: string, options?: Default<string> & StringRules): string;
  number(key: string, options?: Default<number> & { min?: number; max?: number; integer?: boolean }): number;
  integer(key: string, options?: Default<number> & { min?: number; max?: number }): number;
  boolean(key: string, options?: Default<boolean>): boolean;
  oneOf<C extends string>(key: string, choices: readonly C[], options?: Default<C>): C;
  severity(key: string, options?: Default<Severity>): Severity;
  strings(key: string, options?: Default<string[]> & StringRules & { min?: number; max?: number }): string[];
  table(key: string): Settings;
  tables(key: string, options?: { min?: number; max?: number }): Settings[];
  expectEmpty(): void;
  finish(): void;
}

// ---- text ----------------------------------------------------------------------------

export type OriginName = "system" | "user" | "assistant" | "tool-result" | "retrieved" | "tool-arguments" | "training-record" | "custom";
export const Origin: {
  readonly System: "system";
  readonly User: "user";
  readonly Assistant: "assistant";
  readonly ToolResult: "tool-result";
  readonly Retrieved: "retrieved";
  readonly ToolArguments: "tool-arguments";
  readonly TrainingRecord: "training-record";
  readonly Custom: "custom";
};
/** One piece of text in an event. */
export interface Text {
  /** `payload.inference.input[1].content`, `payload.tool_call.arguments`, … */
  field: string;
  origin: OriginName;
  text: string;
}
/** Every piece of text in the event, in document order, with its field path. */
export function texts(event: Event): Text[];
/** Tool results and retrieved documents: where indirect injection hides. */
export function isThirdParty(origin: OriginName): boolean;
export const CONTEXT_CHARS: 40;
export const MATCH_CHARS: 160;
/** `text[start..end]` (string indices) with 40 characters of context, `…` where cut. */
export function excerpt(text: string, start: number, end?: number): string;
export interface MaskOptions {
  keepStart?: number;
  keepEnd?: number;
  char?: string;
}
/** Letters and digits masked but for the first `keepStart` and last `keepEnd` (4). */
export function mask(value: string, options?: MaskOptions): string;
/** An excerpt whose match is masked. */
export function maskedExcerpt(text: string, start: number, end: number, options?: MaskOptions): string;
/** Controls, bidi and line breaks made spaces; cut at `maxChars` (80) with `…`. */
export function oneLine(text: string, maxChars?: number): string;
/** Escape RegExp metacharacters (safe with the `u` flag). */
export function escapeRegExp(s: string): string;

// ---- events (for tests, and plugins that carry events) ---------------------------------

/** An event from an object or line of the aiir JSON format (snake_case, `time` RFC 3339). */
export function fromJson(value: string | Record<string, unknown>): Event;
/** An event of this id and aiir JSON payload (`{inference: {input: [...]}}`). */
export function event(id: string, payload: Record<string, unknown>, rest?: Record<string, unknown>): Event;
export function fromJsonLines(text: string): Event[];
export function kindOf(event: Event): EventKind;
export function attribute(event: Event, key: string): string | null;
export function subjectModel(event: Event): ModelRef | null;
export function unixNanos(rfc3339: string): number;

// ---- responders ------------------------------------------------------------------------

export const propose: {
  rollback(model: string, reason: string): Proposal;
  quarantine(model: { name: string; version?: string | null; digest?: string | null }, reason: string): Proposal;
  block(principal: string, reason: string): Proposal;
  notify(url: string, body: string | object, reason: string): Proposal;
  fileReport(kind: string, markdown: string, json: string | object, reason: string): Proposal;
};
export function incident(id: string, family: string, scope: Scope, key: string, rest?: Partial<Incident>): Incident;
export function incidentFinding(eventId: string, timeUnixNano: number, plugin: string, finding: Finding, rest?: Partial<IncidentFinding>): IncidentFinding;
export function modelVersion(model: string, version: string, rest?: Partial<ModelVersion>): ModelVersion;

// ---- constants, host, state, log ---------------------------------------------------------

export const CONTRACT: "aiir:plugin@0.3.1";
export const SEVERITIES: readonly Severity[];
export const EVENT_KINDS: readonly EventKind[];
export const ROLES: readonly Role[];
export const LEVELS: readonly Level[];
export const INCIDENT_STATES: readonly IncidentState[];
export const SCOPES: readonly Scope[];
export const ACTIONS: readonly Action["tag"][];
export function severityRank(severity: Severity): number;
/** Whether `a` is at least as severe as `b`. */
export function atLeast(a: Severity, b: Severity): boolean;
/** Whether the host's imports are bound (inside a component). */
export function inComponent(): boolean;
export function encodeUtf8(text: string): Uint8Array;
export function decodeUtf8(bytes: Uint8Array | ArrayLike<number>): string;

export namespace log {
  function log(level: Level, ...message: unknown[]): void;
  function debug(...message: unknown[]): void;
  function info(...message: unknown[]): void;
  function warn(...message: unknown[]): void;
  function error(...message: unknown[]): void;
  /** The lines logged natively (outside a component), oldest first; emptied. */
  function takeLogs(): [Level, string][];
}

export namespace state {
  /** A write the host refused: too large, or outside `inspect`. */
  class StateError extends Error {}
  function partition(): string;
  function get(key: string): Uint8Array | null;
  /** Throws StateError past the host's caps or outside `inspect`. */
  function set(key: string, value: Uint8Array | ArrayLike<number> | string): void;
  function remove(key: string): void;
  function keys(): string[];
  function getText(key: string): string | null;
  /** The JSON value under `key`; undefined when absent or not JSON. */
  function load<T = unknown>(key: string): T | undefined;
  function save(key: string, value: unknown): void;
  /** Natively: run `fn` as if inspecting an event of `partition`. */
  function inPartition<R>(partition: string, fn: () => R): R;
  function clearNativeState(): void;
}
