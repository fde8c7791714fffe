/** What the observability addons' parsers share: the settings object, its known keys, namespace, UI host and store. */
import { AddonParseContext, givenAddon } from "./addon";
import { isDns1123Label, isRecord } from "./problems";

/** The settings of an addon that runs on a namespace and a UI host, and optionally keeps a store. */
export interface AddonSettingsShape {
  /** Every setting the addon reads. */
  readonly known: readonly string[];
  /** The fix when the value is not an object, such as "give the logging settings, such as {retention: 7d}". */
  readonly example: string;
  /** Whether it has `retention` and `storage` (a store of its own). */
  readonly store: boolean;
}

/**
 * The addon's settings, checked for unknown keys, the namespace, the store's retention and claim, and the UI host; or
 * undefined when the key is unset or empty, or not an object (a problem then says so).
 */
export function addonSettings(raw: unknown, context: AddonParseContext, shape: AddonSettingsShape): Record<string, unknown> | undefined {
  const value = givenAddon(raw);
  if (value === undefined) return undefined;
  const { key, problems } = context;
  if (!isRecord(value)) {
    problems.add(key, "is not an object", `${shape.example} (docs/monitoring.md)`);
    return undefined;
  }
  for (const unknown of Object.keys(value).filter((k) => !shape.known.includes(k))) {
    problems.add(`${key}.${unknown}`, "is not a setting of this addon", `use one of ${shape.known.join(", ")}`);
  }
  const { namespace, retention, storage, uiHost } = value;
  if (namespace !== undefined && (typeof namespace !== "string" || !isDns1123Label(namespace))) {
    problems.add(`${key}.namespace`, `${JSON.stringify(namespace)} is not a namespace name`, "give a DNS-1123 label such as monitoring");
  }
  if (shape.store && retention !== undefined && (typeof retention !== "string" || !/^[1-9][0-9]*[hdwy]$/.test(retention))) {
    problems.add(`${key}.retention`, `${JSON.stringify(retention)} is not a retention`, "give a number and a unit h, d, w or y, such as 15d");
  }
  if (
    shape.store &&
    storage !== undefined &&
    !(isRecord(storage) && typeof storage.storageClassName === "string" && typeof storage.size === "string" && /^[1-9][0-9]*(Mi|Gi|Ti)$/.test(storage.size))
  ) {
    problems.add(`${key}.storage`, `${JSON.stringify(storage)} is not a claim`, "give {storageClassName: NAME, size: 20Gi}, or leave storage out for an emptyDir");
  }
  if (uiHost !== undefined && (typeof uiHost !== "string" || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(uiHost))) {
    problems.add(`${key}.uiHost`, `${JSON.stringify(uiHost)} is not a host name`, "give a DNS name such as metrics.example.com");
  }
  return value;
}
