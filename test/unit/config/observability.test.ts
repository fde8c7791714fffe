// The monitoring, logging, dashboard and grafana keys: bad values are refused with their key and the fix.
import { validateClusterConfig } from "../../../config";
import { ADDONS } from "../../../addons";
import { NS, SECRET_KEYS, validRawConfig } from "./fixture";

const problemsOf = (extra: Record<string, unknown>, secretKeys: ReadonlySet<string> = SECRET_KEYS) => validateClusterConfig({ ...validRawConfig(), ...extra }, secretKeys, NS, ADDONS).problems;
const withSecrets = (...keys: string[]) => new Set([...SECRET_KEYS, ...keys]);

test("monitoring needs the webhook URL as a secret", () => {
  expect(problemsOf({ monitoring: { retention: "15d" } })).toEqual([
    `${NS}:alertWebhookUrl: is not set as a secret, but monitoring is configured; set the URL Alertmanager sends alerts to with \`pulumi config set --secret alertWebhookUrl https://…\``,
  ]);
  expect(problemsOf({ monitoring: { retention: "15d" } }, withSecrets("alertWebhookUrl"))).toEqual([]);
});

test("monitoring's settings are checked one by one", () => {
  expect(problemsOf({ monitoring: { retention: "two weeks", scrapeIntervalSeconds: 1, storage: { size: "big" }, uiHost: "Metrics!", colour: "red" } }, withSecrets("alertWebhookUrl"))).toEqual([
    `${NS}:monitoring.colour: is not a setting of this addon; use one of namespace, retention, scrapeIntervalSeconds, storage, uiHost`,
    `${NS}:monitoring.retention: "two weeks" is not a retention; give a number and a unit h, d, w or y, such as 15d`,
    `${NS}:monitoring.storage: {"size":"big"} is not a claim; give {storageClassName: NAME, size: 20Gi}, or leave storage out for an emptyDir`,
    `${NS}:monitoring.uiHost: "Metrics!" is not a host name; give a DNS name such as metrics.example.com`,
    `${NS}:monitoring.scrapeIntervalSeconds: 1 is not a whole number of seconds from 5 to 300; give one such as 30`,
  ]);
});

test("logging takes a retention and a claim", () => {
  expect(problemsOf({ logging: { retention: "7d", storage: { storageClassName: "ceph-rdb", size: "50Gi" } } })).toEqual([]);
  expect(problemsOf({ logging: { retention: "0d" } })).toEqual([`${NS}:logging.retention: "0d" is not a retention; give a number and a unit h, d, w or y, such as 15d`]);
});

test("grafana needs monitoring, its admin password as a secret, and dashboards that are JSON", () => {
  expect(problemsOf({ grafana: { dashboards: { "nodes.json": "not json", "Bad Name": "{}" } } })).toEqual([
    `${NS}:grafana.dashboards.nodes.json: is not a dashboard's JSON model; paste the JSON Grafana exports for the dashboard`,
    `${NS}:grafana.dashboards.Bad Name: is not a file name ending in .json; name it such as node-exporter-full.json`,
    `${NS}:grafana: is configured without monitoring, whose VictoriaMetrics is its data source; configure ${NS}:monitoring too, or leave grafana out`,
    `${NS}:grafanaAdminPassword: is not set as a secret, but grafana is configured; set Grafana's admin password with \`pulumi config set --secret grafanaAdminPassword\``,
  ]);
  expect(problemsOf({ monitoring: { retention: "15d" }, grafana: { uiHost: "grafana.example.com" } }, withSecrets("alertWebhookUrl", "grafanaAdminPassword"))).toEqual([]);
});

test("the dashboard takes a namespace and a host name", () => {
  expect(problemsOf({ dashboard: { uiHost: "dashboard.example.com" } })).toEqual([]);
  expect(problemsOf({ dashboard: { namespace: "Kubernetes_Dashboard" } })).toEqual([
    `${NS}:dashboard.namespace: "Kubernetes_Dashboard" is not a namespace name; give a DNS-1123 label such as monitoring`,
  ]);
});
