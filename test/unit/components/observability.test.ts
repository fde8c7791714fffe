// The observability components keep their secrets secret: the webhook URL, the etcd key, Grafana's password and the
// Dashboard's tokens reach the cluster and the outputs only as Pulumi secrets.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Grafana, KubernetesDashboard, Monitoring } from "../../../components";
import { childrenOf, installMocks, isWrappedSecret, settle } from "./mocks";

let provider: k8s.Provider;
beforeAll(async () => {
  await installMocks();
  provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
});

const hosts = [{ name: "m1", address: "10.0.0.11" }];
const secretOf = (component: string, name: string) => childrenOf(component).find((r) => r.type === "kubernetes:core/v1:Secret" && r.name.endsWith(`/${name}`))!;

test("Monitoring: the Alertmanager config and the etcd client key are Secrets with secret data, never in the chart's ConfigMaps", async () => {
  new Monitoring("mon", {
    provider,
    hosts: { etcd: hosts, masters: hosts, loadBalancers: hosts },
    etcdClient: { caCert: "CA", cert: { cert: pulumi.output("CERT"), key: pulumi.secret("ETCD-KEY") } },
    alertWebhookUrl: pulumi.secret("https://alerts.example/hook?token=abc"),
    certificates: [{ name: "pki-etcd-ca", notAfter: "2030-01-01T00:00:00Z" }],
  });
  await settle();
  expect(isWrappedSecret(secretOf("mon", "alertmanager-config").inputs.stringData)).toBe(true);
  expect(isWrappedSecret(secretOf("mon", "etcd-client").inputs.stringData)).toBe(true);
  const configMaps = JSON.stringify(childrenOf("mon").filter((r) => r.type === "kubernetes:core/v1:ConfigMap"));
  expect(configMaps).not.toContain("token=abc");
  expect(configMaps).not.toContain("ETCD-KEY");
  expect(configMaps).toContain("CertificateExpiresSoon");
});

test("Monitoring refuses a plain webhook URL and an etcd scrape without a client certificate", () => {
  expect(() => new Monitoring("bad", { provider, hosts: { etcd: hosts, masters: [], loadBalancers: [] }, alertWebhookUrl: "https://x" as unknown as pulumi.Output<string> })).toThrow(
    /alertWebhookUrl: a plain value was given where a secret is required[\s\S]*etcdClient: required to scrape etcd members/,
  );
});

test("KubernetesDashboard: its login tokens are secret outputs, read from service-account-token Secrets", async () => {
  const dashboard = new KubernetesDashboard("dash", { provider, traefik: true });
  await settle();
  const tokens = childrenOf("dash")
    .filter((r) => r.name.endsWith("-token"))
    .sort((a, b) => a.name.localeCompare(b.name));
  expect(tokens.map((r) => [r.name, r.inputs.type, r.inputs.metadata.annotations["kubernetes.io/service-account.name"]])).toEqual([
    ["dash/kubernetes-dashboard/dashboard-admin-token", "kubernetes.io/service-account-token", "dashboard-admin"],
    ["dash/kubernetes-dashboard/dashboard-viewer-token", "kubernetes.io/service-account-token", "dashboard-viewer"],
  ]);
  expect(await pulumi.isSecret(dashboard.adminToken)).toBe(true);
  expect(await pulumi.isSecret(dashboard.viewerToken)).toBe(true);
});

test("Grafana: its admin password reaches only its Secret, as a secret", async () => {
  new Grafana("graf", { provider, metricsUrl: "http://victoria-metrics.monitoring.svc:8428", adminPassword: pulumi.secret("hunter2") });
  await settle();
  expect(isWrappedSecret(secretOf("graf", "grafana-admin").inputs.stringData)).toBe(true);
  expect(JSON.stringify(childrenOf("graf").filter((r) => r.type !== "kubernetes:core/v1:Secret"))).not.toContain("hunter2");
});
