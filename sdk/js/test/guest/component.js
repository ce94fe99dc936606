import host from "aiir:plugin/host@0.3.1";
import state from "aiir:plugin/state@0.3.1";
import plugin from "./probe.js";

export const { info, configure, inspect } = plugin.bind({ host, state });
