/** Parses `monitoring`: metrics, alert rules and Alertmanager, whose webhook URL is the secret key alertWebhookUrl. */
import type { MonitoringSpec } from "../spec/monitoring";
import { AddonParseContext, givenAddon } from "./addon";
import { isDns1123Label, isRecord } from "./problems";
import { checkKnownSettings, checkNamespace, checkRetention, checkStorage, checkUiHost } from "./addon-settings";

export const MONITORING_SECRET_KEYS = ["alertWebhookUrl"] as const;

const KNOWN = ["namespace", "retention", "scrapeIntervalSeconds", "storage", "uiHost"];

export function parseMonitoring(raw: unknown, context: AddonParseContext): MonitoringSpec | undefined {
  const value = givenAddon(raw);
  if (value === undefined) return undefined;
  const { key, problems } = context;
  if (!isRecord(value)) {
    problems.add(key, "is not an object", "give the monitoring settings, such as {retention: 15d} (docs/monitoring.md)");
    return undefined;
  }
  checkKnownSettings(key, value, KNOWN, problems);
  checkNamespace(`${key}.namespace`, value.namespace, problems, isDns1123Label);
  checkRetention(`${key}.retention`, value.retention, problems);
  checkStorage(`${key}.storage`, value.storage, problems);
  checkUiHost(`${key}.uiHost`, value.uiHost, problems);
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
