/** Turns raw stack config into a ClusterSpec, or the full list of problems with it. Pure: no Pulumi runtime needed. */
import { CA_ROTATION_PHASES, CaRotationPhase, ClusterSpec, HostSpec, PkiSpec, Role } from "../spec/cluster";
import { Problems, isDns1123Label, isRecord } from "./problems";
import { parseHosts } from "./parse-hosts";
import { parseNetwork } from "./parse-network";
import { parseLoadBalancers } from "./parse-load-balancers";
import { parseArtifacts, parseVersions } from "./parse-artifacts";
import { parseEtcd } from "./parse-etcd";
import { parseApps } from "./parse-apps";
import { parseRegistries } from "./parse-registries";
import { parseImageRegistry } from "./parse-image-registry";
import { givenAddon } from "./addon";
import { checkControlPlane, parseKubernetes } from "./parse-kubernetes";
import { REQUIRED_SECRET_KEYS, checkPlainTextSecrets } from "./check-secrets";
import { cidrContains, parseCidr, parseIpv4 } from "../spec/cidr";
import { AddonParser } from "./addon";
import { unknownNameFix } from "./shape";

/** Every top-level key the stack reads besides the addons' (Pulumi.yaml declares them). */
const CLUSTER_KEYS = [
  "clusterName",
  "hosts",
  "sshPrivateKey",
  "network",
  "loadBalancers",
  "loadBalancerAuthPassword",
  "etcd",
  "versions",
  "artifacts",
  "aptSource",
  "registries",
  "imageRegistry",
  "registryPushPassword",
  "registryPullPassword",
  "pki",
  "secretsEncryptionKey",
  "secretsEncryptionOldKey",
  "kubernetes",
  "kubeconfig",
  "apps",
];

/** Everything of ClusterSpec that comes from plain config (secrets are attached by the loader). */
export type PlainClusterSpec = Omit<ClusterSpec, "sshPrivateKey" | "loadBalancerAuthPassword" | "secretValue" | "controlPlane">;

export interface ValidationResult {
  readonly spec: PlainClusterSpec;
  readonly problems: readonly string[];
}

/**
 * Validates raw config values (keys without the namespace prefix).
 * @param secretKeys the keys the stack stores as secrets
 * @param addons the addons the stack knows (../addons.ts): their keys are known keys, and each parses its own
 */
export function validateClusterConfig(raw: Record<string, unknown>, secretKeys: ReadonlySet<string>, namespace: string, addons: readonly AddonParser[]): ValidationResult {
  const problems = new Problems();
  const key = (name: string) => `${namespace}:${name}`;
  checkKnownKeys(raw, secretKeys, [...CLUSTER_KEYS, ...addons.flatMap((a) => [a.key, ...a.secretKeys])], key, problems);

  const clusterName = String(raw.clusterName ?? "onprem");
  if (!isDns1123Label(clusterName)) {
    problems.add(key("clusterName"), `"${clusterName}" is not a valid DNS-1123 label`, "use lower-case letters, digits and '-'");
  }
  const hosts = parseHosts(raw.hosts, key("hosts"), problems);
  const network = parseNetwork(raw.network, key("network"), problems);
  if (network) checkHostsInNetwork(hosts, network.hostCidr, key("hosts"), problems);
  const loadBalancers = parseLoadBalancers(raw.loadBalancers, key("loadBalancers"), hosts, network, problems);
  const apps = parseApps(raw.apps, key("apps"), network?.nodePortRange ?? { min: 30000, max: 32767 }, secretKeys, problems);
  checkRoles(hosts, apps.length > 0, key("hosts"), problems);

  for (const secret of REQUIRED_SECRET_KEYS) {
    if (raw[secret] === undefined) {
      problems.add(key(secret), "is not set", `set it with \`pulumi config set --secret ${secret} < FILE\``);
    }
  }
  checkLoadBalancerPassword(raw.loadBalancerAuthPassword, loadBalancers.length > 0, key("loadBalancerAuthPassword"), problems);
  const artifacts = parseArtifacts(raw.artifacts, key("artifacts"), problems);
  if (hosts.some((h) => h.roles.includes("etcd")) && !artifacts.etcd) {
    problems.add(`${key("artifacts")}.etcd`, "is not set, but hosts have role etcd", "give the etcd release .tar.gz as {url or path, sha256}");
  }
  const versions = parseVersions(raw.versions, key("versions"), problems);
  checkControlPlane(
    { hosts, loadBalancers, artifacts, versions, encryptionKey: raw.secretsEncryptionKey, oldEncryptionKey: raw.secretsEncryptionOldKey === "" ? undefined : raw.secretsEncryptionOldKey, key },
    problems,
  );
  checkPlainTextSecrets(raw, secretKeys, namespace, problems);

  const registries = parseRegistries(raw.registries, key("registries"), artifacts.kubernetes !== undefined, problems);
  const imageRegistry = parseImageRegistry(raw.imageRegistry, { key: key("imageRegistry"), keyOf: key, hosts, loadBalancers, artifacts, registries, secretKeys, problems });
  const addonSpecs: Record<string, unknown> = {};
  for (const addon of addons) {
    const configured = (other: string) => givenAddon(raw[other]) !== undefined;
    const spec = addon.parse(raw[addon.key], { key: key(addon.key), keyOf: key, secretKeys, versions, loadBalancers, configured, problems });
    if (spec !== undefined) addonSpecs[addon.key] = spec;
  }
  const spec: PlainClusterSpec = {
    clusterName,
    hosts,
    network: network ?? ({} as PlainClusterSpec["network"]),
    loadBalancers,
    etcd: parseEtcd(
      raw.etcd,
      key("etcd"),
      hosts.filter((h) => h.roles.includes("etcd")).map((h) => h.name),
      problems,
    ),
    versions,
    artifacts,
    aptSource: typeof raw.aptSource === "string" && raw.aptSource !== "" ? raw.aptSource : undefined,
    registries,
    ...(imageRegistry === undefined ? {} : { imageRegistry }),
    pki: parsePki(raw.pki, key("pki"), problems),
    addons: addonSpecs,
    apps,
    kubernetes: parseKubernetes(raw.kubernetes, key("kubernetes"), problems),
  };
  return { spec, problems: problems.all };
}

/** A misspelt key would be ignored. Secret keys are the apps' and addons' to name, so only plain keys are checked. */
function checkKnownKeys(raw: Record<string, unknown>, secretKeys: ReadonlySet<string>, known: readonly string[], key: (name: string) => string, problems: Problems): void {
  for (const name of Object.keys(raw)) {
    if (!known.includes(name) && !secretKeys.has(name)) {
      problems.add(key(name), "is not a key onprem-k8s reads", unknownNameFix(name, known));
    }
  }
}

function checkHostsInNetwork(hosts: readonly HostSpec[], hostCidrText: string, key: string, problems: Problems): void {
  const hostCidr = parseCidr(hostCidrText);
  if (!hostCidr) return;
  hosts.forEach((h, i) => {
    const address = parseIpv4(h.address);
    if (address !== undefined && !cidrContains(hostCidr, address)) {
      problems.add(`${key}[${i}].address`, `${h.address} is outside network.hostCidr ${hostCidr.text}`, "give the host an address of the host network, or widen network.hostCidr");
    }
  });
}

function checkRoles(hosts: readonly HostSpec[], hasApps: boolean, key: string, problems: Problems): void {
  const count = (role: Role) => hosts.filter((h) => h.roles.includes(role)).length;
  const etcd = count("etcd");
  if (etcd === 0 || etcd % 2 === 0) {
    problems.add(key, `${etcd} hosts have role "etcd"`, "give the etcd role to an odd number of hosts (1, 3 or 5) so the cluster keeps a quorum");
  }
  if (count("master") === 0) {
    problems.add(key, 'no host has role "master"', "give the master role to one host, or three for high availability");
  }
  if (hasApps && count("worker") + count("edge") === 0) {
    problems.add(key, 'apps are configured but no host has role "worker" or "edge"', "give the worker role to the hosts that run the apps");
  }
}

function checkLoadBalancerPassword(value: unknown, needed: boolean, key: string, problems: Problems): void {
  if (value === undefined) {
    if (needed) problems.add(key, "is not set, but loadBalancers are configured", `set the VRRP password with \`pulumi config set --secret loadBalancerAuthPassword\``);
  } else if (typeof value !== "string" || value.length < 1 || value.length > 8) {
    problems.add(key, "is not 1 to 8 characters long", "keepalived uses only the first 8 characters of a PASS password: give at most 8");
  }
}

function parsePki(raw: unknown, key: string, problems: Problems): PkiSpec {
  const pki = isRecord(raw) ? raw : {};
  const validityDays = pki.validityDays ?? 3650;
  const expiryWarningDays = pki.expiryWarningDays ?? 30;
  const caGeneration = pki.caGeneration ?? 0;
  for (const [field, value] of [
    ["validityDays", validityDays],
    ["expiryWarningDays", expiryWarningDays],
  ] as const) {
    if (!Number.isInteger(value) || (value as number) < 1) {
      problems.add(`${key}.${field}`, `${JSON.stringify(value)} is not a positive whole number of days`, "give a number of days such as 365");
    }
  }
  if (!Number.isInteger(caGeneration) || (caGeneration as number) < 0) {
    problems.add(`${key}.caGeneration`, `${JSON.stringify(caGeneration)} is not a whole number of 0 or more`, "give the CAs' generation: 0 until the first CA rotation, then one more with each");
  }
  const caRotation = pki.caRotation;
  if (caRotation !== undefined && !CA_ROTATION_PHASES.includes(caRotation as CaRotationPhase)) {
    problems.add(`${key}.caRotation`, `${JSON.stringify(caRotation)} is not a phase of a CA rotation`, `give "trust", then "issue", then remove the key (docs/operations.md, "Rotate the CAs")`);
  } else if (caRotation !== undefined && Number.isInteger(caGeneration) && (caGeneration as number) < 1) {
    problems.add(
      `${key}.caRotation`,
      `is set, but pki.caGeneration is ${JSON.stringify(caGeneration)}: a rotation moves to a new generation`,
      "set pki.caGeneration to one more than the CAs' generation now (1 for the first rotation)",
    );
  }
  return {
    validityDays: validityDays as number,
    expiryWarningDays: expiryWarningDays as number,
    caGeneration: caGeneration as number,
    ...(caRotation === undefined ? {} : { caRotation: caRotation as CaRotationPhase }),
  };
}
