/** Parses `grafana`: Grafana on the monitoring addon's metrics, its admin password in the secret key grafanaAdminPassword. */
import type { GrafanaSpec } from "../spec/grafana";
import type { AddonParseContext } from "./addon";
import { isRecord } from "./problems";
import { addonSettings } from "./addon-settings";

export const GRAFANA_SECRET_KEYS = ["grafanaAdminPassword"] as const;

export function parseGrafana(raw: unknown, context: AddonParseContext): GrafanaSpec | undefined {
  const value = addonSettings(raw, context, {
    known: ["namespace", "uiHost", "dashboards"],
    example: "give the Grafana settings, such as {uiHost: grafana.example.com}",
    store: false,
  });
  if (value === undefined) return undefined;
  const { key, problems } = context;
  const dashboards = value.dashboards;
  if (dashboards !== undefined) {
    if (!isRecord(dashboards)) {
      problems.add(`${key}.dashboards`, "is not an object", "give each dashboard's JSON model by a file name ending in .json");
    } else {
      for (const [file, model] of Object.entries(dashboards)) {
        if (!/^[a-z0-9][-a-z0-9_.]*\.json$/.test(file)) problems.add(`${key}.dashboards.${file}`, "is not a file name ending in .json", "name it such as node-exporter-full.json");
        if (typeof model !== "string" || !isJsonObject(model)) problems.add(`${key}.dashboards.${file}`, "is not a dashboard's JSON model", "paste the JSON Grafana exports for the dashboard");
      }
    }
  }
  if (!context.configured("monitoring")) {
    problems.add(key, "is configured without monitoring, whose VictoriaMetrics is its data source", `configure ${context.keyOf("monitoring")} too, or leave grafana out`);
  }
  if (!context.secretKeys.has("grafanaAdminPassword")) {
    problems.add(context.keyOf("grafanaAdminPassword"), "is not set as a secret, but grafana is configured", "set Grafana's admin password with `pulumi config set --secret grafanaAdminPassword`");
  }
  return value as GrafanaSpec;
}

function isJsonObject(text: string): boolean {
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed);
  } catch {
    return false;
  }
}
