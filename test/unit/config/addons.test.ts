// The addon list decides the known keys, each addon parses its own value, and hasWorkloads counts any configured one.
import { hasWorkloads, validateClusterConfig } from "../../../config";
import type { AddonParser } from "../../../config";
import { ADDONS } from "../../../addons";
import { NS, SECRET_KEYS, validRawConfig } from "./fixture";

/** An addon that is not in the stack's list: a gallery with a token in a secret key. */
const gallery: AddonParser = {
  key: "gallery",
  secretKeys: ["galleryToken"],
  parse: (raw, { key, problems }) => {
    if (raw === undefined) return undefined;
    if (typeof raw !== "object" || raw === null) problems.add(key, "is not an object", "give the gallery settings");
    return raw;
  },
};

test("an addon's key is known only when the addon is in the list", () => {
  const raw = { ...validRawConfig(), gallery: { replicas: 1 } };
  expect(validateClusterConfig(raw, SECRET_KEYS, NS, ADDONS).problems).toEqual([
    `${NS}:gallery: is not a key onprem-k8s reads; use one of clusterName, hosts, sshPrivateKey, network, loadBalancers, loadBalancerAuthPassword, etcd, versions, artifacts, aptSource, registries, imageRegistry, registryPushPassword, registryPullPassword, pki, secretsEncryptionKey, secretsEncryptionOldKey, kubernetes, kubeconfig, apps, traefik, ceph, cephAdminKey, cephUserKey, monitoring, alertWebhookUrl, logging, dashboard, grafana, grafanaAdminPassword`,
  ]);
  const { spec, problems } = validateClusterConfig(raw, SECRET_KEYS, NS, [...ADDONS, gallery]);
  expect(problems).toEqual([]);
  expect(spec.addons).toEqual({ gallery: { replicas: 1 } });
});

test("each addon parses its own value, and its problems carry its key", () => {
  const raw = { ...validRawConfig(), gallery: "big" };
  expect(validateClusterConfig(raw, SECRET_KEYS, NS, [...ADDONS, gallery]).problems).toEqual([`${NS}:gallery: is not an object; give the gallery settings`]);
});

test("a stack with only an addon has workloads; one with neither apps nor addons has none", () => {
  const { spec } = validateClusterConfig({ ...validRawConfig(), gallery: {} }, SECRET_KEYS, NS, [...ADDONS, gallery]);
  expect(hasWorkloads(spec)).toBe(true);
  expect(hasWorkloads(validateClusterConfig(validRawConfig(), SECRET_KEYS, NS, ADDONS).spec)).toBe(false);
});

test("the stack's addons, with unique keys", () => {
  const keys = ADDONS.flatMap((a) => [a.key, ...a.secretKeys]);
  expect(new Set(keys).size).toBe(keys.length);
  expect(ADDONS.map((a) => a.key)).toEqual(["traefik", "ceph", "monitoring", "logging", "dashboard", "grafana"]);
});
