/** Parses the cluster addons: `traefik` (ingress on the edge nodes) and `ceph` (the RBD StorageClass). */
import type { TraefikSpec } from "../spec/traefik";
import type { CephRbdSpec } from "../spec/ceph-rbd";
import { AddonsConfig } from "../spec/cluster";
import { Problems, isRecord } from "./problems";

export const CEPH_SECRET_KEYS = ["cephAdminKey", "cephUserKey"] as const;

// The project config declares both with an empty default: empty means "not installed".
const given = (value: unknown) => (isRecord(value) && Object.keys(value).length === 0 ? undefined : value);

export function parseAddons(raw: Record<string, unknown>, key: (name: string) => string, secretKeys: ReadonlySet<string>, problems: Problems): AddonsConfig {
  const traefik = given(raw.traefik);
  if (traefik !== undefined && !isRecord(traefik)) {
    problems.add(key("traefik"), "is not an object", "give the TraefikIngress settings, or {} for the defaults");
  }
  const ceph = given(raw.ceph);
  if (ceph === undefined) return { traefik: traefik as TraefikSpec | undefined };
  const c = isRecord(ceph) ? ceph : {};
  if (typeof c.clusterId !== "string" || typeof c.pool !== "string") {
    problems.add(key("ceph"), "needs clusterId and pool", "give the Ceph cluster's fsid as clusterId and the RBD pool name");
  }
  if (!Array.isArray(c.monitors) || c.monitors.length === 0 || !c.monitors.every((m) => typeof m === "string" && /^[^:\s]+:[0-9]+$/.test(m))) {
    problems.add(`${key("ceph")}.monitors`, `${JSON.stringify(c.monitors)} is not a list of HOST:PORT`, "list the Ceph monitors, such as 192.0.2.11:6789");
  }
  for (const secret of CEPH_SECRET_KEYS) {
    if (!secretKeys.has(secret)) {
      problems.add(key(secret), "is not set as a secret, but ceph is configured", `set the Ceph key with \`pulumi config set --secret ${secret}\``);
    }
  }
  return { traefik: traefik as TraefikSpec | undefined, ceph: c as unknown as CephRbdSpec };
}
