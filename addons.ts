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
import { AddonInstance, CephStorageClass, TraefikIngress } from "./components";

/** What an addon is installed with. */
export interface AddonCluster {
  readonly provider: k8s.Provider;
  /** Resolves a secret config key to its value (a Pulumi secret). */
  readonly secretValue: (key: string) => pulumi.Output<string>;
  /** The VIP in front of the edge nodes, when a load balancer has backendRole edge. */
  readonly edgeVip?: string;
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
  install: (name: string, spec: T, cluster: AddonCluster, opts: pulumi.ComponentResourceOptions) => pulumi.Resource;
}): Addon {
  return {
    key: entry.key,
    secretKeys: entry.secretKeys ?? [],
    parse: entry.parse,
    images: (spec) => entry.images?.(spec as T) ?? [],
    // The spec came from this entry's parse, so it has this entry's type.
    instance: (spec, cluster) => ({ name: entry.key, install: (name, opts) => entry.install(name, spec as T, cluster, opts) }),
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
];

/** The addons a stack's config sets, in the order of ADDONS, ready for ClusterWorkloads. */
export function configuredAddons(specs: Readonly<Record<string, unknown>>, cluster: AddonCluster): AddonInstance[] {
  return ADDONS.filter((a) => specs[a.key] !== undefined).map((a) => a.instance(specs[a.key], cluster));
}
