export * from "./spec";
export * from "./cidr";
export { ConfigError } from "./problems";
export { validateClusterConfig } from "./validate";
export type { PlainClusterSpec, ValidationResult } from "./validate";
export { loadClusterSpec } from "./load";
export type { AppConfig } from "./parse-apps";
