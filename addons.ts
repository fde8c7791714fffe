/**
 * Every cluster addon the stack knows, one entry each: its config key, the secret keys it reads, its config parser
 * and how it is installed. Config validation (known keys, parsing), `hasWorkloads` and the stack's wiring all derive
 * from this list, so an addon is its chart, its component, its parser and one line here.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { AddonParseContext, AddonParser } from "./config";
import { parseTraefik } from "./config/parse-traefik";
import { TRAEFIK_DEFAULT_IMAGE } from "./spec/traefik";
import { CEPH_SECRET_KEYS, parseCeph } from "./config/parse-ceph";
import { MONITORING_SECRET_KEYS, parseMonitoring } from "./config/parse-monitoring";
import { parseLogging } from "./config/parse-logging";
import { LOGGING_IMAGES } from "./spec/logging";
import { parseDashboard } from "./config/parse-dashboard";
import { DASHBOARD_IMAGE } from "./spec/dashboard";
import { GRAFANA_SECRET_KEYS, parseGrafana } from "./config/parse-grafana";
import { GRAFANA_IMAGE } from "./spec/grafana";
import { monitoringDefaults } from "./components/charts/monitoring-chart";
import { MONITORING_IMAGES, ScrapeHosts, IssuedCertificate } from "./spec/monitoring";
import { AddonInstance, CephStorageClass, CertKeyPair, Grafana, KubernetesDashboard, Logging, Monitoring, TraefikIngress } from "./components";

/** What an addon is installed with. */
export interface AddonCluster {
  readonly provider: k8s.Provider;
  /** Resolves a secret config key to its value (a Pulumi secret). */
  readonly secretValue: (key: string) => pulumi.Output<string>;
  /** The VIP in front of the edge nodes, when a load balancer has backendRole edge. */
  readonly edgeVip?: string;
  /** Whether the stack's config sets the traefik addon. */
  readonly traefik: boolean;
  /** The hosts that run daemons outside the pods: etcd members, the stack's masters, load balancers. */
  readonly hosts: ScrapeHosts;
  /** The etcd CA and the monitoring client certificate, when the stack issued one. */
  readonly etcdMonitoringClient?: { readonly caCert: pulumi.Output<string>; readonly cert: CertKeyPair };
  /** The monitoring addon's namespace, when it sets one. */
  readonly monitoringNamespace?: string;
  /** Every certificate the stack issued, and pki.expiryWarningDays. */
  readonly certificates: pulumi.Output<IssuedCertificate[]>;
  readonly expiryWarningDays: number;
}

/** One addon: what config needs to parse it, and how its parsed spec becomes a component. */
export interface Addon extends AddonParser {
  /** The configured addon, bound to its spec (made by this entry's own parse) and the cluster. */
  instance(spec: unknown, cluster: AddonCluster): AddonInstance;
}

function addon<T>(entry: {
  key: string;
  secretKeys?: readonly string[];
  parse: (raw: unknown, context: AddonParseContext) => T | undefined;
  images?: (spec: T) => readonly string[];
  /** Whether the apps wait for it (an ingress class, a storage class). @default true */
  appsNeedIt?: boolean;
  /** The keys of the addons it is installed after, when they are configured. @default none */
  after?: readonly string[];
  install: (name: string, spec: T, cluster: AddonCluster, opts: pulumi.ComponentResourceOptions) => pulumi.Resource;
}): Addon {
  return {
    key: entry.key,
    secretKeys: entry.secretKeys ?? [],
    parse: entry.parse,
    images: (spec) => entry.images?.(spec as T) ?? [],
    // The spec came from this entry's parse, so it has this entry's type.
    instance: (spec, cluster) => ({ name: entry.key, appsNeedIt: entry.appsNeedIt ?? true, after: entry.after ?? [], install: (name, opts) => entry.install(name, spec as T, cluster, opts) }),
  };
}

export const ADDONS: readonly Addon[] = [
  addon({
    key: "traefik",
    parse: parseTraefik,
    images: (spec) => [spec.image ?? TRAEFIK_DEFAULT_IMAGE],
    // Validation requires the edge load balancer whenever traefik is configured.
    install: (name, spec, cluster, opts) => new TraefikIngress(name, { ...spec, provider: cluster.provider, edgeVip: cluster.edgeVip ?? "", publishedAddress: cluster.edgeVip }, opts),
  }),
  addon({
    key: "ceph",
    secretKeys: CEPH_SECRET_KEYS,
    parse: parseCeph,
    install: (name, spec, cluster, opts) =>
      new CephStorageClass(name, { ...spec, provider: cluster.provider, adminKey: cluster.secretValue("cephAdminKey"), userKey: cluster.secretValue("cephUserKey") }, opts),
  }),
  addon({
    key: "monitoring",
    secretKeys: MONITORING_SECRET_KEYS,
    parse: parseMonitoring,
    images: () => Object.values(MONITORING_IMAGES),
    // It serves the operators, not the apps; it comes after the addons the apps need (Traefik's CRDs, the StorageClass).
    appsNeedIt: false,
    install: (name, spec, cluster, opts) =>
      new Monitoring(
        name,
        {
          ...spec,
          provider: cluster.provider,
          hosts: cluster.hosts,
          etcdClient: cluster.etcdMonitoringClient,
          alertWebhookUrl: cluster.secretValue("alertWebhookUrl"),
          certificates: cluster.certificates,
          expiryWarningDays: cluster.expiryWarningDays,
          traefik: cluster.traefik,
        },
        opts,
      ),
  }),
  addon({
    key: "logging",
    parse: parseLogging,
    images: () => Object.values(LOGGING_IMAGES),
    appsNeedIt: false,
    install: (name, spec, cluster, opts) => new Logging(name, { ...spec, provider: cluster.provider, traefik: cluster.traefik }, opts),
  }),
  addon({
    key: "dashboard",
    parse: parseDashboard,
    images: () => [DASHBOARD_IMAGE],
    appsNeedIt: false,
    install: (name, spec, cluster, opts) => new KubernetesDashboard(name, { ...spec, provider: cluster.provider, traefik: cluster.traefik }, opts),
  }),
  addon({
    key: "grafana",
    secretKeys: GRAFANA_SECRET_KEYS,
    parse: parseGrafana,
    images: () => [GRAFANA_IMAGE],
    appsNeedIt: false,
    // Its data source, and by default its namespace, are the monitoring addon's; parse requires monitoring.
    after: ["monitoring"],
    install: (name, spec, cluster, opts) =>
      new Grafana(
        name,
        {
          ...spec,
          provider: cluster.provider,
          metricsUrl: `http://victoria-metrics.${cluster.monitoringNamespace ?? monitoringDefaults.namespace}.svc:8428`,
          adminPassword: cluster.secretValue("grafanaAdminPassword"),
          traefik: cluster.traefik,
        },
        opts,
      ),
  }),
];

/** The addons a stack's config sets, in the order of ADDONS, ready for ClusterWorkloads. */
export function configuredAddons(specs: Readonly<Record<string, unknown>>, cluster: AddonCluster): AddonInstance[] {
  return ADDONS.filter((a) => specs[a.key] !== undefined).map((a) => a.instance(specs[a.key], cluster));
}
