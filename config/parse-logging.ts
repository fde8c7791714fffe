/** Parses `logging`: every container's log in VictoriaLogs. */
import type { LoggingSpec } from "../spec/logging";
import { AddonParseContext, givenAddon } from "./addon";
import { isDns1123Label, isRecord } from "./problems";
import { checkKnownSettings, checkNamespace, checkRetention, checkStorage, checkUiHost } from "./addon-settings";

const KNOWN = ["namespace", "retention", "storage", "uiHost"];

export function parseLogging(raw: unknown, context: AddonParseContext): LoggingSpec | undefined {
  const value = givenAddon(raw);
  if (value === undefined) return undefined;
  const { key, problems } = context;
  if (!isRecord(value)) {
    problems.add(key, "is not an object", "give the logging settings, such as {retention: 7d} (docs/monitoring.md)");
    return undefined;
  }
  checkKnownSettings(key, value, KNOWN, problems);
  checkNamespace(`${key}.namespace`, value.namespace, problems, isDns1123Label);
  checkRetention(`${key}.retention`, value.retention, problems);
  checkStorage(`${key}.storage`, value.storage, problems);
  checkUiHost(`${key}.uiHost`, value.uiHost, problems);
  return value as LoggingSpec;
}
