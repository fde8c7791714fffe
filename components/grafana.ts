/**
 * Grafana on the monitoring addon's VictoriaMetrics, provisioned as code (charts/grafana-chart.ts). Its image is not
 * built here: a site brings it (spec/grafana.ts).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GRAFANA_ADMIN_SECRET, grafanaManifests } from "./charts/grafana-chart";
import type { GrafanaSpec } from "../spec/grafana";
import { dependsOnList, plainSecretProblems, registerObjects } from "./k8s-objects";

/** Arguments of Grafana: the config key's settings (see GrafanaSpec for each field) and the cluster. */
export interface GrafanaArgs extends GrafanaSpec {
  /** Provider of the cluster. */
  readonly provider: k8s.Provider;
  /** The Prometheus-compatible URL of VictoriaMetrics, such as http://victoria-metrics.monitoring.svc:8428. */
  readonly metricsUrl: string;
  /** The password of Grafana's admin user, as a Pulumi secret. */
  readonly adminPassword: pulumi.Output<string>;
  /** Whether Traefik runs, so Grafana gets a route on its internal entry point. @default false */
  readonly traefik?: boolean;
}

export class Grafana extends pulumi.ComponentResource {
  constructor(name: string, args: GrafanaArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = plainSecretProblems({ adminPassword: args.adminPassword });
    if (problems.length > 0) throw new Error(`Grafana "${name}" has invalid arguments:\n${problems.map((p) => `- ${p}`).join("\n")}`);
    super("onprem-k8s:monitoring:Grafana", name, {}, opts);
    const { provider, adminPassword, traefik, ...spec } = args;
    registerObjects(name, grafanaManifests({ ...spec, traefik: traefik ?? false }), {
      parent: this,
      provider,
      secretData: { [GRAFANA_ADMIN_SECRET]: pulumi.secret(adminPassword.apply((password): Record<string, string> => ({ password }))) },
      dependsOn: dependsOnList(opts),
    });
    this.registerOutputs({});
  }
}
