/** Parses `ceph`: the ceph-csi RBD StorageClass, whose keys are in the secret config keys cephAdminKey and cephUserKey. */
import type { CephRbdSpec } from "../spec/ceph-rbd";
import { AddonParseContext, givenAddon } from "./addon";
import { isRecord } from "./problems";

export const CEPH_SECRET_KEYS = ["cephAdminKey", "cephUserKey"] as const;

export function parseCeph(raw: unknown, context: AddonParseContext): CephRbdSpec | undefined {
  const value = givenAddon(raw);
  if (value === undefined) return undefined;
  const { key, problems } = context;
  const c = isRecord(value) ? value : {};
  if (typeof c.clusterId !== "string" || typeof c.pool !== "string") {
    problems.add(key, "needs clusterId and pool", "give the Ceph cluster's fsid as clusterId and the RBD pool name");
  }
  if (!Array.isArray(c.monitors) || c.monitors.length === 0 || !c.monitors.every((m) => typeof m === "string" && /^[^:\s]+:[0-9]+$/.test(m))) {
    problems.add(`${key}.monitors`, `${JSON.stringify(c.monitors)} is not a list of HOST:PORT`, "list the Ceph monitors, such as 192.0.2.11:6789");
  }
  for (const secret of CEPH_SECRET_KEYS) {
    if (!context.secretKeys.has(secret)) {
      problems.add(context.keyOf(secret), "is not set as a secret, but ceph is configured", `set the Ceph key with \`pulumi config set --secret ${secret}\``);
    }
  }
  return c as unknown as CephRbdSpec;
}
