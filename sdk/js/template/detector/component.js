// The component's entry module: build.sh hands it to componentize-qjs. It binds the
// host's imports (the WIT interfaces, importable only inside the component) and exports
// the detector of src/detector.js as the aiir:plugin/detector@0.3.1 world.
// Nothing to edit here; node never loads this file.

import host from "aiir:plugin/host@0.3.1";
import state from "aiir:plugin/state@0.3.1";
import plugin from "./src/detector.js";

export const { info, configure, inspect } = plugin.bind({ host, state });
