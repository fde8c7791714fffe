/**
 * The Kubernetes Dashboard with a read-only and an admin ServiceAccount, whose login tokens are secret outputs
 * (charts/dashboard-chart.ts). Its image is not built here: a site brings it (spec/dashboard.ts).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DASHBOARD_ACCOUNTS, DASHBOARD_STATE_SECRETS, dashboardDefaults, dashboardManifests } from "./charts/dashboard-chart";
import type { DashboardSpec } from "../spec/dashboard";
import { dependsOnList, registerObjects } from "./k8s-objects";

/** Arguments of KubernetesDashboard: the config key's settings (see DashboardSpec for each field) and the cluster. */
export interface KubernetesDashboardArgs extends DashboardSpec {
  /** Provider of the cluster. */
  readonly provider: k8s.Provider;
  /** Whether Traefik runs, so the Dashboard gets a TLS route on its internal entry point. @default false */
  readonly traefik?: boolean;
}

export class KubernetesDashboard extends pulumi.ComponentResource {
  /** The admin ServiceAccount's token, a secret: it logs in with cluster-admin rights. */
  readonly adminToken: pulumi.Output<string>;
  /** The viewer ServiceAccount's token, a secret: it reads everything but Secrets. */
  readonly viewerToken: pulumi.Output<string>;

  constructor(name: string, args: KubernetesDashboardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("onprem-k8s:dashboard:KubernetesDashboard", name, {}, opts);
    const { provider, traefik, ...spec } = args;
    const namespace = spec.namespace ?? dashboardDefaults.namespace;
    // The Dashboard fills its state Secrets itself; they start empty.
    const secretData = Object.fromEntries(DASHBOARD_STATE_SECRETS.map((s) => [s, pulumi.secret({} as Record<string, string>)]));
    const objects = registerObjects(name, dashboardManifests({ ...spec, traefik: traefik ?? false }), { parent: this, provider, secretData, dependsOn: dependsOnList(opts) });
    const accountOf = (account: string) => objects.find((o) => o.object.kind === "ServiceAccount" && o.object.metadata.name === account)!.resource;
    // A long-lived token per account, filled in by the token controller (the provider waits for it).
    const token = (account: string) => {
      const secret = new k8s.core.v1.Secret(
        `${name}/${namespace}/${account}-token`,
        {
          metadata: { name: `${account}-token`, namespace, annotations: { "kubernetes.io/service-account.name": account } },
          type: "kubernetes.io/service-account-token",
        },
        { parent: this, provider, dependsOn: [accountOf(account)], additionalSecretOutputs: ["data"] },
      );
      return pulumi.secret(secret.data.apply((data) => Buffer.from(data?.token ?? "", "base64").toString("utf8")));
    };
    this.adminToken = token(DASHBOARD_ACCOUNTS.admin);
    this.viewerToken = token(DASHBOARD_ACCOUNTS.viewer);
    this.registerOutputs({ adminToken: this.adminToken, viewerToken: this.viewerToken });
  }
}
