import { Yaml } from "cdk8s";
import * as fs from "fs";
import * as path from "path";
import { coreDnsManifests } from "../../../components/charts/coredns-chart";
import { ManifestObject } from "../../../components/charts/chart-app";
import { nodePoolManifests } from "../../../components/charts/node-pool-chart";
import { monitoringManifests } from "../../../components/charts/monitoring-chart";
import { loggingManifests } from "../../../components/charts/logging-chart";
import { dashboardManifests } from "../../../components/charts/dashboard-chart";
import { grafanaManifests } from "../../../components/charts/grafana-chart";
import { simulatedHost } from "../hosts";
import { renderedCharts } from "./fixtures";

/** The charts of the cluster's own components, rendered as the lab stack renders them, beside the fixtures' charts. */
const charts: Record<string, () => ManifestObject[]> = {
  ...renderedCharts,
  coredns: () => coreDnsManifests({ clusterDnsIp: "10.96.0.10", clusterDomain: "cluster.local", version: "1.11.3" }),
  // The lab's hosts: three etcd members, masters and load balancers.
  monitoring: () => {
    const labHosts = ["lab1", "lab2", "lab3"].map((name, i) => ({ name, address: `172.31.250.1${i + 1}` }));
    return monitoringManifests({ scrapeIntervalSeconds: 15, hosts: { etcd: labHosts, masters: labHosts, loadBalancers: labHosts }, traefik: true });
  },
  logging: () => loggingManifests({ retention: "1d", traefik: true }),
  dashboard: () => dashboardManifests({ traefik: true }),
  grafana: () => grafanaManifests({ metricsUrl: "http://victoria-metrics.monitoring.svc:8428", traefik: true, dashboards: { "example.json": '{"title": "Example", "panels": []}' } }),
  "node-pool": () =>
    nodePoolManifests([
      simulatedHost("lab-w1", { address: "172.31.250.21", labels: { storage: "ssd" } }),
      simulatedHost("lab-e1", {
        address: "172.31.250.21",
        roles: ["edge"],
        taints: [
          { key: "node-role.kubernetes.io/edge", effect: "NoSchedule" },
          { key: "dedicated", value: "edge", effect: "NoExecute" },
        ],
      }),
    ]),
};

/** Each chart's YAML is compared with test/golden/<chart>.yaml; UPDATE_GOLDEN=1 rewrites the files. */
const goldenDir = path.join(__dirname, "..", "..", "golden");
const update = process.env.UPDATE_GOLDEN === "1";

describe("charts match their golden files", () => {
  for (const [chart, render] of Object.entries(charts)) {
    test(chart, () => {
      const file = path.join(goldenDir, `${chart}.yaml`);
      const yaml = Yaml.stringify(...render());
      if (update) fs.writeFileSync(file, yaml);
      expect(fs.existsSync(file) ? fs.readFileSync(file, "utf8") : `(missing ${file}; run with UPDATE_GOLDEN=1)`).toBe(yaml);
    });
  }
});

test("charts are pure: rendering twice gives the same objects", () => {
  for (const render of Object.values(charts)) expect(render()).toEqual(render());
});

test("no chart carries Secret data: values are attached as Pulumi secrets outside the chart", () => {
  const secrets = Object.values(charts).flatMap((render) => render().filter((o) => o.kind === "Secret"));
  expect(secrets.length).toBeGreaterThan(0);
  for (const secret of secrets) {
    expect(Object.keys(secret).sort()).toEqual(["apiVersion", "kind", "metadata", "type"]);
  }
});
