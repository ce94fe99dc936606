// Compiled by `tsc -p .` (never run): the .d.ts types accept what the README shows.
import {
  detector,
  event,
  evidenceAt,
  excerpt,
  finding,
  incident,
  log,
  propose,
  responder,
  state,
  texts,
  type Event,
  type Finding,
  type Settings,
} from "../src/index.js";
import { Harness, ResponderHarness, Store } from "../src/testkit.js";

let watched = ["x"];

const plugin = detector({
  info: { name: "typed", version: "0.1.0", description: "d", kinds: ["inference", "tool-call"] },
  configure(settings: Settings) {
    watched = settings.strings("phrases", { default: ["x"], min: 1, max: 64, nonEmpty: true });
  },
  inspect(e: Event): Finding[] {
    const seen = state.load<number>("n") ?? 0;
    state.save("n", seen + 1);
    log.debug("seen", seen);
    return texts(e)
      .filter((t) => watched.some((w) => t.text.includes(w)))
      .map((t) => finding("typed/x", "x", "low", { techniques: ["LLM01"], evidence: [evidenceAt(t, 0, 1)] }));
  },
});
const h = new Harness(plugin, { settings: { phrases: ["hi"] } });
const found: Finding[] = h.inspect(event("e", { inference: { input: [{ role: "user", content: "hi" }] } }));
const e2: string = excerpt("abc", 1, 2);

class Blocker {
  info = { name: "blocker", version: "0.1.0" };
  respond(i: ReturnType<typeof incident>) {
    return [propose.block(i.key, "why")];
  }
}
const r = responder(Blocker);
new ResponderHarness(r, { store: new Store() }).respond(incident("I", "f", "principal", "p"));
export { e2, found };
