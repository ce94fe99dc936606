// The component's entry module: build.sh hands it to componentize-qjs. It binds the
// host's imports (the WIT interfaces, importable only inside the component) and exports
// the responder of src/responder.js as the aiir:plugin/responder@0.3.1 world.
// Nothing to edit here; node never loads this file.

import host from "aiir:plugin/host@0.3.1";
import response from "aiir:plugin/response@0.3.1";
import plugin from "./src/responder.js";

export const { info, configure, respond } = plugin.bind({ host, response });
