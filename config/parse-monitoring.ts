/** Parses `monitoring`: metrics, alert rules and Alertmanager, whose webhook URL is the secret key alertWebhookUrl. */
import type { MonitoringSpec } from "../spec/monitoring";
import type { AddonParseContext } from "./addon";
import { addonSettings } from "./addon-settings";

export const MONITORING_SECRET_KEYS = ["alertWebhookUrl"] as const;

export function parseMonitoring(raw: unknown, context: AddonParseContext): MonitoringSpec | undefined {
  const value = addonSettings(raw, context, {
    known: ["namespace", "retention", "scrapeIntervalSeconds", "storage", "uiHost"],
    example: "give the monitoring settings, such as {retention: 15d}",
    store: true,
  });
  if (value === undefined) return undefined;
  const { key, problems } = context;
  const interval = value.scrapeIntervalSeconds;
  if (interval !== undefined && (!Number.isInteger(interval) || (interval as number) < 5 || (interval as number) > 300)) {
    problems.add(`${key}.scrapeIntervalSeconds`, `${JSON.stringify(interval)} is not a whole number of seconds from 5 to 300`, "give one such as 30");
  }
  if (!context.secretKeys.has("alertWebhookUrl")) {
    problems.add(
      context.keyOf("alertWebhookUrl"),
      "is not set as a secret, but monitoring is configured",
      "set the URL Alertmanager sends alerts to with `pulumi config set --secret alertWebhookUrl https://…`",
    );
  }
  return value as MonitoringSpec;
}
