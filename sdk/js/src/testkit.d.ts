// Types of aiir-sdk's native test kit (src/testkit.js).

import type {
  DetectorPlugin,
  Event,
  Finding,
  Incident,
  IncidentFinding,
  Level,
  LineageImpact,
  ModelVersion,
  PluginInfo,
  Proposal,
  ResponderPlugin,
  SettingsError,
  StoreView,
} from "./index.js";

/** `configure` refused the settings. */
export class SettingsRejected extends Error {
  readonly errors: SettingsError[];
}
/** The plugin declined an event or incident; `reason` is the text the host would show. */
export class Declined extends Error {
  readonly reason: string;
}

/** Run `configure` with `settings` (object or JSON text); its problems, `[]` when accepted. */
export function configureErrors(plugin: DetectorPlugin<any> | ResponderPlugin<any>, settings?: object | string): SettingsError[];

/** Drives one detector as the host would, checking each finding as the host does. */
export class Harness {
  constructor(plugin: DetectorPlugin<any>, options?: { settings?: object | string; partition?: (event: Event) => string });
  readonly info: PluginInfo;
  /** Keep state by this key of each event (one partition for all by default). */
  partitionBy(partition: (event: Event) => string): this;
  /** Configure afresh with the same settings, keeping the state. */
  restart(): void;
  /** The findings; `[]` for a kind not asked for; throws Declined when declined. */
  inspect(event: Event): Finding[];
  rules(event: Event): string[];
  /** The decline message, or null when the event is inspected. */
  declined(event: Event): string | null;
  /** Log lines since the last call. */
  logs(): [Level, string][];
}

/** The host's store as a responder sees it, filled by the test. */
export class Store {
  finding(incident: string, finding: IncidentFinding): this;
  version(version: ModelVersion): this;
  impact(incident: string, impact: LineageImpact): this;
  view(): StoreView;
}

/** Drives one responder as the host would, over a Store. */
export class ResponderHarness {
  constructor(plugin: ResponderPlugin<any>, options?: { settings?: object | string; store?: Store });
  readonly info: PluginInfo;
  respond(incident: Incident): Proposal[];
  logs(): [Level, string][];
}

export function inPartition<R>(partition: string, fn: () => R): R;
