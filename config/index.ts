export * from "./spec";
export * from "./cidr";
export { ConfigError } from "./problems";
export { validateClusterConfig, PlainClusterSpec, ValidationResult } from "./validate";
export { loadClusterSpec } from "./load";
