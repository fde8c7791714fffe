/** How config sees an addon: its key, the secret keys it reads and its parser. The list of addons is ../addons.ts. */
import { LoadBalancerSpec } from "../spec/cluster";
import { Problems } from "./problems";

/** What an addon's parser gets besides its own raw value. */
export interface AddonParseContext {
  /** The full config key of the addon's own value, such as `onprem-k8s:traefik`, for its messages. */
  readonly key: string;
  /** The full config key of any other top-level key. */
  readonly keyOf: (name: string) => string;
  /** The keys the stack stores as secrets. */
  readonly secretKeys: ReadonlySet<string>;
  /** The parsed `versions`. */
  readonly versions: Readonly<Record<string, string>>;
  /** The parsed `loadBalancers`. */
  readonly loadBalancers: readonly LoadBalancerSpec[];
  /** Whether the config sets another addon's key. */
  readonly configured: (addonKey: string) => boolean;
  readonly problems: Problems;
}

export interface AddonParser {
  /** The addon's top-level config key. */
  readonly key: string;
  /** Secret config keys the addon reads; they are known keys, and set only with the addon. */
  readonly secretKeys: readonly string[];
  /** The addon's spec, or undefined when the key is unset or empty (the addon is not installed). */
  parse(raw: unknown, context: AddonParseContext): unknown;
  /** The images the addon runs, given the spec its parse made; an air-gapped site must serve each. @default none */
  images?(spec: unknown): readonly string[];
}

/** The project config declares every addon key with an empty default: empty means "not installed". */
export function givenAddon(value: unknown): unknown {
  return value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0 ? undefined : value;
}
