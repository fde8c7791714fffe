// The monitoring chart and its configs: what is scraped, which alerts exist, and what reaches the pods.
import { monitoringManifests, renderAlertmanagerConfig } from "../../../components/charts/monitoring-chart";
import { renderScrapeConfig } from "../../../components/charts/monitoring-scrape";
import { ALERT_RULE_GROUPS, renderCertificateRules } from "../../../components/charts/monitoring-rules";
import { MONITORING_IMAGES } from "../../../spec/monitoring";

const hosts = (names: string[]) => names.map((name, i) => ({ name, address: `10.0.0.${i + 11}` }));
const allHosts = { etcd: hosts(["m1", "m2", "m3"]), masters: hosts(["m1", "m2"]), loadBalancers: hosts(["m1"]) };

test("every daemon of the issue is a scrape job, and host jobs list each host with its name", () => {
  const config = JSON.parse(renderScrapeConfig({ intervalSeconds: 15, hosts: allHosts, namespace: "monitoring" }));
  expect(config.global).toEqual({ scrape_interval: "15s", scrape_timeout: "10s" });
  const jobs = config.scrape_configs.map((j: { job_name: string }) => j.job_name);
  expect(jobs).toEqual([
    "apiserver",
    "kubelet",
    "cadvisor",
    "kubelet-resource",
    "kube-proxy",
    "node-exporter",
    "coredns",
    "traefik",
    "pods",
    "etcd",
    "controller-manager",
    "scheduler",
    "haproxy",
    "lb-node-exporter",
    "state-metrics",
    "victoria-metrics",
    "vmalert",
    "alertmanager",
  ]);
  const job = (name: string) => config.scrape_configs.find((j: { job_name: string }) => j.job_name === name);
  expect(job("etcd").static_configs).toEqual([
    { targets: ["10.0.0.11:2379"], labels: { host: "m1" } },
    { targets: ["10.0.0.12:2379"], labels: { host: "m2" } },
    { targets: ["10.0.0.13:2379"], labels: { host: "m3" } },
  ]);
  expect(job("etcd").tls_config.cert_file).toBe("/etc/victoria-metrics/etcd/tls.crt");
  expect(job("scheduler").static_configs.map((s: { targets: string[] }) => s.targets[0])).toEqual(["10.0.0.11:10259", "10.0.0.12:10259"]);
  expect(job("scheduler").bearer_token_file).toBe("/var/run/secrets/kubernetes.io/serviceaccount/token");
  expect(job("haproxy").static_configs).toEqual([{ targets: ["10.0.0.11:8405"], labels: { host: "m1" } }]);
});

test("a stack without its own hosts scrapes only what the API finds", () => {
  const config = JSON.parse(renderScrapeConfig({ intervalSeconds: 30, hosts: { etcd: [], masters: [], loadBalancers: [] }, namespace: "monitoring" }));
  const jobs = config.scrape_configs.map((j: { job_name: string }) => j.job_name);
  expect(jobs).not.toContain("etcd");
  expect(jobs).not.toContain("scheduler");
  expect(jobs).not.toContain("haproxy");
  expect(monitoringManifests({ hosts: { etcd: [], masters: [], loadBalancers: [] }, traefik: false }).map((o) => o.metadata.name)).not.toContain("etcd-client");
});

test("the issue's alerts are all there", () => {
  const alerts = ALERT_RULE_GROUPS.flatMap((g) => g.rules.map((r) => r.alert));
  for (const alert of [
    "TargetDown",
    "EtcdMemberDown",
    "EtcdNoLeader",
    "EtcdFrequentLeaderChanges",
    "ApiserverErrorRate",
    "ApiserverLatency",
    "NodeNotReady",
    "NodeDiskPressure",
    "NodeMemoryPressure",
    "PodCrashLooping",
    "VipMoved",
  ]) {
    expect(alerts).toContain(alert);
  }
});

test("a certificate's rule fires expiryWarningDays before its notAfter", () => {
  const rules = JSON.parse(renderCertificateRules([{ name: "pki-etcd-ca", notAfter: "2027-01-01T00:00:00Z" }], 30));
  expect(rules.groups[0].rules).toEqual([
    {
      alert: "CertificateExpiresSoon",
      expr: "1798761600 - time() < 2592000",
      labels: { severity: "warning", certificate: "pki-etcd-ca", not_after: "2027-01-01T00:00:00Z" },
      annotations: { summary: "certificate pki-etcd-ca expires 2027-01-01T00:00:00Z; run pulumi up to re-issue it" },
    },
  ]);
});

test("Alertmanager sends every alert, and its resolution, to the webhook", () => {
  expect(JSON.parse(renderAlertmanagerConfig("https://alerts.example/hook"))).toEqual({
    route: { receiver: "webhook", group_by: ["alertname"], group_wait: "10s", group_interval: "30s", repeat_interval: "4h" },
    receivers: [{ name: "webhook", webhook_configs: [{ url: "https://alerts.example/hook", send_resolved: true }] }],
  });
});

test("storage claims a volume for VictoriaMetrics and Alertmanager, which then roll by Recreate", () => {
  const objects = monitoringManifests({ storage: { storageClassName: "ceph-rdb", size: "20Gi" }, hosts: allHosts, traefik: false });
  const claims = objects.filter((o) => o.kind === "PersistentVolumeClaim");
  expect(claims.map((c) => [c.metadata.name, (c as any).spec.storageClassName, (c as any).spec.resources.requests.storage])).toEqual([
    ["victoria-metrics-data", "ceph-rdb", "20Gi"],
    ["alertmanager-data", "ceph-rdb", "20Gi"],
  ]);
  const deployment = (name: string) => objects.find((o) => o.kind === "Deployment" && o.metadata.name === name) as any;
  expect(deployment("victoria-metrics").spec.strategy).toEqual({ type: "Recreate" });
  expect(objects.some((o) => o.kind === "IngressRoute")).toBe(false);
});

test("the pods run the bundle's images, and no Secret carries data in the chart", () => {
  const objects = monitoringManifests({ hosts: allHosts, traefik: true });
  const images = objects.flatMap((o: any) => o.spec?.template?.spec?.containers?.map((c: { image: string }) => c.image) ?? []);
  expect(new Set(images)).toEqual(new Set(Object.values(MONITORING_IMAGES)));
  for (const secret of objects.filter((o) => o.kind === "Secret")) {
    expect(secret).not.toHaveProperty("data");
    expect(secret).not.toHaveProperty("stringData");
  }
});
