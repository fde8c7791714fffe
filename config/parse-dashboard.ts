/** Parses `dashboard`: the Kubernetes Dashboard, whose admin token is a secret stack output. */
import type { DashboardSpec } from "../spec/dashboard";
import { AddonParseContext, givenAddon } from "./addon";
import { isDns1123Label, isRecord } from "./problems";
import { checkKnownSettings, checkNamespace, checkUiHost } from "./addon-settings";

const KNOWN = ["namespace", "uiHost"];

export function parseDashboard(raw: unknown, context: AddonParseContext): DashboardSpec | undefined {
  const value = givenAddon(raw);
  if (value === undefined) return undefined;
  const { key, problems } = context;
  if (!isRecord(value)) {
    problems.add(key, "is not an object", "give the dashboard settings, such as {uiHost: dashboard.example.com} (docs/monitoring.md)");
    return undefined;
  }
  checkKnownSettings(key, value, KNOWN, problems);
  checkNamespace(`${key}.namespace`, value.namespace, problems, isDns1123Label);
  checkUiHost(`${key}.uiHost`, value.uiHost, problems);
  return value as DashboardSpec;
}
