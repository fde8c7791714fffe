import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { checkDnsLabel, checkPort } from "../spec/names";
import { traefikDefaults, traefikManifests, TraefikSecretShapes } from "./charts/traefik-chart";
import { TraefikSpec } from "../spec/traefik";
import { dependsOnList, plainSecretProblems, registerObjects } from "./k8s-objects";

/**
 * Arguments of TraefikIngress: the chart spec (see TraefikSpec for each field) plus the provider,
 * the edge VIP and the dashboard credentials.
 */
export interface TraefikIngressArgs extends TraefikSpec {
  /** Provider of the cluster Traefik runs in. */
  readonly provider: k8s.Provider;
  /** Virtual IP that keepalived moves between the edge nodes; passed through as an output. */
  readonly edgeVip: pulumi.Input<string>;
  /**
   * BasicAuth users of the dashboard, in htpasswd format (`htpasswd -nb user pass`), as a Pulumi
   * secret. Required with `hostNetwork`, where the dashboard port is bound on the node's address.
   */
  readonly dashboardHtpasswd?: pulumi.Output<string>;
}

function traefikArgsProblems(args: TraefikIngressArgs): string[] {
  const problems = [
    args.namespace === undefined ? undefined : checkDnsLabel("namespace", args.namespace),
    args.ingressClassName === undefined ? undefined : checkDnsLabel("ingressClassName", args.ingressClassName),
    args.dashboardPort === undefined ? undefined : checkPort("dashboardPort", args.dashboardPort),
    args.metricsPort === undefined ? undefined : checkPort("metricsPort", args.metricsPort),
    args.hostNetwork && args.dashboardHtpasswd === undefined
      ? "dashboardHtpasswd: required with hostNetwork, which binds the dashboard port on every edge node; " + "give htpasswd users as a secret or set hostNetwork to false."
      : undefined,
    ...plainSecretProblems({ dashboardHtpasswd: args.dashboardHtpasswd }),
  ];
  return problems.filter((problem): problem is string => problem !== undefined);
}

/**
 * Traefik v3 on the edge nodes: a DaemonSet on host ports 80/443 (or the host network) behind the
 * keepalived edge VIP, with its CRDs, RBAC, IngressClass, access logs on stdout, Prometheus
 * metrics and a dashboard reachable only inside the cluster (see traefik-chart.ts).
 */
export class TraefikIngress extends pulumi.ComponentResource {
  /** The edge VIP that fronts the edge nodes, as given. */
  public readonly edgeVip: pulumi.Output<string>;
  /** IngressClass to put in Ingresses served by this Traefik. */
  public readonly ingressClassName: pulumi.Output<string>;
  /** Namespace of Traefik's objects. */
  public readonly namespace: pulumi.Output<string>;

  constructor(name: string, args: TraefikIngressArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = traefikArgsProblems(args);
    if (problems.length > 0) {
      throw new Error(`TraefikIngress "${name}" has invalid arguments:\n${problems.map((p) => `- ${p}`).join("\n")}`);
    }
    super("onprem-k8s:ingress:TraefikIngress", name, {}, opts);

    const { provider, edgeVip, dashboardHtpasswd, ...spec } = args;
    const shapes: TraefikSecretShapes = { dashboardAuthSecretName: dashboardHtpasswd && "traefik-dashboard-auth" };
    const secretData: Record<string, pulumi.Output<Record<string, string>>> = {};
    if (dashboardHtpasswd) secretData["traefik-dashboard-auth"] = pulumi.secret(dashboardHtpasswd.apply((users): Record<string, string> => ({ users })));
    registerObjects(name, traefikManifests(spec, shapes), {
      parent: this,
      provider,
      secretData,
      dependsOn: dependsOnList(opts),
    });

    this.edgeVip = pulumi.output(edgeVip);
    this.ingressClassName = pulumi.output(args.ingressClassName ?? traefikDefaults.ingressClassName);
    this.namespace = pulumi.output(args.namespace ?? traefikDefaults.namespace);
    this.registerOutputs({ edgeVip: this.edgeVip, ingressClassName: this.ingressClassName, namespace: this.namespace });
  }
}
