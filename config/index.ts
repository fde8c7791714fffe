export { ConfigError } from "./problems";
export { validateClusterConfig } from "./validate";
export type { PlainClusterSpec, ValidationResult } from "./validate";
export { hasWorkloads, loadClusterSpec } from "./load";
export type { AddonParseContext, AddonParser } from "./addon";
