// A guest that exercises the SDK inside a component (test/component.test.js builds it).
import { detector, finding, log, state } from "../../src/index.js";

export default detector({
  info: { name: "probe", version: "0.1.0", description: "exercises the SDK in a component", kinds: ["inference"] },
  configure(settings) {
    settings.integer("n", { default: 1, min: 1 });
  },
  inspect(event) {
    const ok = (rule) => [finding(`probe/${rule}`, rule, "low", { techniques: ["LLM01"], evidence: [{ field: "id", excerpt: event.id }] })];
    switch (event.id) {
      case "error":
        throw new Error("an Error's message");
      case "type-error":
        return null.x;
      case "string":
        throw "a thrown string";
      case "clock":
        return Date.now();
      case "bad-finding":
        return [{ rule: "probe/x", title: "t", severity: "urgent" }];
      case "extra":
        return [{ ...ok("extra")[0], note: "ignored", evidence: [{ field: "id", excerpt: "x", why: 1 }] }];
      case "console":
        console.log("through console", { n: 1 });
        log.warn("through log");
        return ok("logged");
      case "state":
      case "state2": {
        const n = (state.load("n") ?? 0) + 1;
        state.save("n", n);
        return ok(`count-${n}`);
      }
      default:
        return ok("fine");
    }
  },
});
