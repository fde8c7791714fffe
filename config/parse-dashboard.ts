/** Parses `dashboard`: the Kubernetes Dashboard, whose admin token is a secret stack output. */
import type { DashboardSpec } from "../spec/dashboard";
import type { AddonParseContext } from "./addon";
import { addonSettings } from "./addon-settings";

export function parseDashboard(raw: unknown, context: AddonParseContext): DashboardSpec | undefined {
  return addonSettings(raw, context, {
    known: ["namespace", "uiHost"],
    example: "give the dashboard settings, such as {uiHost: dashboard.example.com}",
    store: false,
  }) as DashboardSpec | undefined;
}
