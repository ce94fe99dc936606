// State the host keeps for a detector: what it must remember across events, kept
// outside the instance so that it survives a restart of the plugin or of the host.
//
// Keys live within the partition of the event being inspected (its session or
// principal, its model, its data set, or one partition for all, as the operator
// configured), and a call's writes count only when the call succeeds. Keep what
// decides a finding here, and nothing in module variables but settings and caches of
// this state: a resumed run then finds exactly what an uninterrupted one would have.
//
// Inside the host these are the `state` imports; natively the test kit keeps them in
// memory (`inPartition` says which partition a test is in).

import { imports } from "./host.js";
import { decodeUtf8, encodeUtf8, utf8Length } from "./utf8.js";

/** A write the host refused: too large, or outside `inspect`. */
export class StateError extends Error {
  constructor(message) {
    super(message);
    this.name = "StateError";
  }
}

/** The partition key of the event being inspected ("" for the one partition of a
 *  detector that keeps its state across everything). */
export function partition() {
  const s = imports().state;
  return s ? s.partition() : native.partition;
}

/** The bytes under `key`, or `null`. */
export function get(key) {
  const s = imports().state;
  if (s) {
    const v = s.get(key);
    return v == null ? null : v instanceof Uint8Array ? v : Uint8Array.from(v);
  }
  const kept = native.values.get(slot(native.partition, key));
  return kept ? kept.value.slice() : null;
}

/** Keep `value` (bytes, or a string kept as UTF-8) under `key`; throws a
 *  `StateError` past the host's caps (a key of 256 bytes, a value of 1 MiB, the
 *  plugin's `max_state_bytes`) or outside `inspect`. */
export function set(key, value) {
  const bytes = typeof value === "string" ? encodeUtf8(value) : value instanceof Uint8Array ? value : Uint8Array.from(value);
  const s = imports().state;
  if (s) {
    try {
      s.set(key, bytes);
    } catch (e) {
      throw new StateError(e instanceof Error ? e.message : String(e));
    }
    return;
  }
  if (!native.inspecting) throw new StateError("state is kept only while an event is inspected");
  const keyBytes = utf8Length(key);
  if (keyBytes > 256) throw new StateError(`a key of ${keyBytes} bytes, over the cap of 256`);
  if (bytes.length > 1 << 20) throw new StateError(`a value of ${bytes.length} bytes, over the cap of 1048576`);
  native.values.set(slot(native.partition, key), { n: ++native.next, value: bytes.slice() });
}

/** Forget `key`. */
export function remove(key) {
  const s = imports().state;
  if (s) s.remove(key);
  else native.values.delete(slot(native.partition, key));
}

/** The keys of the partition, the one written longest ago first. */
export function keys() {
  const s = imports().state;
  if (s) return s.keys();
  const mine = [];
  for (const [k, v] of native.values) {
    const [p, key] = JSON.parse(k);
    if (p === native.partition) mine.push([v.n, key]);
  }
  return mine.sort((a, b) => a[0] - b[0]).map(([, key]) => key);
}

/** The value under `key` as text (UTF-8), or `null`. */
export function getText(key) {
  const bytes = get(key);
  return bytes === null ? null : decodeUtf8(bytes);
}

/** The value under `key`, kept as JSON by `save`; `undefined` when absent or not
 *  JSON (written by an older version of the plugin, say). */
export function load(key) {
  const text = getText(key);
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Keep `value` under `key`, as JSON. */
export function save(key, value) {
  const json = JSON.stringify(value);
  if (json === undefined) throw new StateError(`cannot encode the state under ${JSON.stringify(key)} as JSON`);
  set(key, json);
}

// The native stand-in: one map for the process, by (partition, key), ordered by write.
const native = { partition: "", inspecting: false, values: new Map(), next: 0 };

function slot(partition, key) {
  return JSON.stringify([partition, key]);
}

/** Run `fn` as if inspecting an event of `partition` (native tests only): the state
 *  functions read and write that partition. */
export function inPartition(partitionKey, fn) {
  const before = [native.partition, native.inspecting];
  native.partition = partitionKey;
  native.inspecting = true;
  try {
    return fn();
  } finally {
    [native.partition, native.inspecting] = before;
  }
}

/** Forget all native state (the test kit does when it starts a harness). */
export function clearNativeState() {
  native.values.clear();
  native.next = 0;
}
