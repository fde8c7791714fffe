export * from "./spec";
export * from "./cidr";
export { ConfigError } from "./problems";
export { validateClusterConfig } from "./validate";
export type { PlainClusterSpec, ValidationResult } from "./validate";
export { hasWorkloads, loadClusterSpec } from "./load";
export type { AppConfig } from "./parse-apps";
export type { AddonsConfig } from "./parse-addons";
