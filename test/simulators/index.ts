/**
 * Entry point of the provider simulators used by tests and benchmarks.
 * See common.ts for the shared options, fault plan and records.
 */
export * from "./common";
export * from "./apiinone";
export * from "./bytecompute";
export * from "./ltx2api";
export * from "./ltx";
export * from "./apixo";
