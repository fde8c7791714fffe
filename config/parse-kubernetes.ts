/**
 * Parses `kubernetes` (extra flags of the control plane daemons, how many real nodes change at once, kube-proxy's
 * conntrack sizing) and checks what a
 * stack with its own control plane needs: the Secrets encryption key, an API endpoint for several masters, the node
 * release for real worker and edge hosts, and what simulated (kwok) nodes need.
 */
import { API_SERVER_PORT, ArtifactSpec, HostSpec, KubernetesSpec, LoadBalancerSpec, realNodeHosts } from "../spec/cluster";
import { Problems, isRecord } from "./problems";

const EXTRA_ARGS = ["apiServerExtraArgs", "controllerManagerExtraArgs", "schedulerExtraArgs"] as const;
const FIELDS: readonly string[] = [...EXTRA_ARGS, "nodeBatchSize", "kubeProxyConntrackMaxPerCore", "kubeletEvictionHard", "kubeletFailCgroupV1"];
const EVICTION_SIGNALS = ["memory.available", "nodefs.available", "nodefs.inodesFree", "imagefs.available", "imagefs.inodesFree", "pid.available"];
const EVICTION_THRESHOLD = /^([0-9]+(\.[0-9]+)?%|[0-9]+(Ki|Mi|Gi|Ti|k|M|G|T)?)$/;
const FLAG_NAME = /^[a-z0-9][a-z0-9-]*$/;
const PERCENT = /^([1-9][0-9]*)%$/;
// A quarter of the real nodes at a time: a change that breaks nodes stops with three quarters of them untouched.
const DEFAULT_NODE_BATCH: KubernetesSpec["nodeBatchSize"] = { percent: 25 };

export function parseKubernetes(raw: unknown, key: string, problems: Problems): KubernetesSpec {
  const empty: KubernetesSpec = { apiServerExtraArgs: {}, controllerManagerExtraArgs: {}, schedulerExtraArgs: {}, nodeBatchSize: DEFAULT_NODE_BATCH };
  if (raw === undefined) return empty;
  if (!isRecord(raw)) {
    problems.add(key, "is not an object", `give {${FIELDS.join(", ")}}`);
    return empty;
  }
  for (const field of Object.keys(raw).filter((f) => !FIELDS.includes(f))) {
    problems.add(`${key}.${field}`, "is not a known setting", `use only ${FIELDS.join(", ")}`);
  }
  const flags = Object.fromEntries(EXTRA_ARGS.map((field) => [field, parseFlags(raw[field], `${key}.${field}`, problems)]));
  return {
    ...(flags as Record<(typeof EXTRA_ARGS)[number], Record<string, string>>),
    nodeBatchSize: parseNodeBatchSize(raw.nodeBatchSize, `${key}.nodeBatchSize`, problems),
    kubeProxyConntrackMaxPerCore: parseConntrackMaxPerCore(raw.kubeProxyConntrackMaxPerCore, `${key}.kubeProxyConntrackMaxPerCore`, problems),
    kubeletEvictionHard: parseEvictionHard(raw.kubeletEvictionHard, `${key}.kubeletEvictionHard`, problems),
    kubeletFailCgroupV1: parseFailCgroupV1(raw.kubeletFailCgroupV1, `${key}.kubeletFailCgroupV1`, problems),
  };
}

function parseFailCgroupV1(raw: unknown, key: string, problems: Problems): boolean | undefined {
  if (raw === undefined || typeof raw === "boolean") return raw;
  problems.add(key, `${JSON.stringify(raw)} is not true or false`, "give false to let kubelets from v1.35 run on hosts with cgroup v1, or leave it out");
  return undefined;
}

function parseEvictionHard(raw: unknown, key: string, problems: Problems): Record<string, string> | undefined {
  if (raw === undefined) return undefined;
  if (!isRecord(raw)) {
    problems.add(key, "is not a map", 'give SIGNAL: THRESHOLD pairs, such as {"nodefs.available": "10%"}');
    return undefined;
  }
  const thresholds: Record<string, string> = {};
  for (const [signal, value] of Object.entries(raw)) {
    if (!EVICTION_SIGNALS.includes(signal)) {
      problems.add(`${key}.${signal}`, "is not an eviction signal", `use ${EVICTION_SIGNALS.join(", ")}`);
    } else if (typeof value !== "string" || !EVICTION_THRESHOLD.test(value)) {
      problems.add(`${key}.${signal}`, `${JSON.stringify(value)} is not a threshold`, 'give a percentage such as "10%" or a quantity such as "500Mi"');
    } else {
      thresholds[signal] = value;
    }
  }
  return thresholds;
}

function parseConntrackMaxPerCore(raw: unknown, key: string, problems: Problems): number | undefined {
  if (raw === undefined || (typeof raw === "number" && Number.isInteger(raw) && raw >= 0)) return raw;
  problems.add(key, `${JSON.stringify(raw)} is not a whole number`, "give 0 to leave the host's conntrack table size alone, or a number of entries per core such as 32768");
  return undefined;
}

function parseNodeBatchSize(raw: unknown, key: string, problems: Problems): KubernetesSpec["nodeBatchSize"] {
  if (raw === undefined) return DEFAULT_NODE_BATCH;
  if (typeof raw === "number" && Number.isInteger(raw) && raw >= 1) return { nodes: raw };
  const percent = typeof raw === "string" ? PERCENT.exec(raw) : null;
  if (percent && Number(percent[1]) <= 100) return { percent: Number(percent[1]) };
  problems.add(key, `${JSON.stringify(raw)} is not a number of nodes or a percentage`, 'give a whole number of nodes such as 2, or a percentage of the real nodes from "1%" to "100%" such as "25%"');
  return DEFAULT_NODE_BATCH;
}

/** The real nodes of `nodeCount` that change at once: a percentage rounds up; a batch holds at least one node, at most all. */
export function nodeBatchSize(setting: KubernetesSpec["nodeBatchSize"], nodeCount: number): number {
  const size = "nodes" in setting ? setting.nodes : Math.ceil((nodeCount * setting.percent) / 100);
  return Math.max(1, Math.min(size, nodeCount));
}

function parseFlags(raw: unknown, key: string, problems: Problems): Record<string, string> {
  if (raw === undefined) return {};
  if (!isRecord(raw)) {
    problems.add(key, "is not a map", "give FLAG: VALUE pairs, such as {event-ttl: 2h}");
    return {};
  }
  const flags: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!FLAG_NAME.test(name)) {
      problems.add(`${key}.${name}`, "is not a flag name", `give the name without leading dashes, in lower case (${name.replace(/^-+/, "").toLowerCase() || "event-ttl"})`);
    } else if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
      problems.add(`${key}.${name}`, `${JSON.stringify(value)} is not a flag value`, "give a string, number or true/false");
    } else {
      flags[name] = String(value);
    }
  }
  return flags;
}

/** Checks a 32-byte key given as base64; never echoes the value. */
export function checkEncryptionKey(value: unknown, key: string, problems: Problems): void {
  const text = typeof value === "string" ? value.trim() : "";
  const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(text) && text.length % 4 === 0 ? Buffer.from(text, "base64").length : -1;
  if (bytes !== 32) {
    problems.add(
      key,
      bytes < 0 ? "is not base64" : `decodes to ${bytes} bytes, not 32`,
      "give 32 random bytes in base64: `head -c 32 /dev/urandom | base64 | pulumi config set --secret secretsEncryptionKey`",
    );
  }
}

export interface ControlPlaneCheckArgs {
  readonly hosts: readonly HostSpec[];
  readonly loadBalancers: readonly LoadBalancerSpec[];
  readonly artifacts: Readonly<Record<string, ArtifactSpec>>;
  readonly versions: Readonly<Record<string, string>>;
  /** The raw `secretsEncryptionKey` value, if set. */
  readonly encryptionKey: unknown;
  /** The raw `secretsEncryptionOldKey` value (a key rotation), if set. */
  readonly oldEncryptionKey?: unknown;
  /** Config key of a top-level name. */
  readonly key: (name: string) => string;
}

/** Cross-key checks of the control plane, the real nodes and the simulated nodes. */
export function checkControlPlane(a: ControlPlaneCheckArgs, problems: Problems): void {
  const { key } = a;
  const masters = a.hosts.filter((h) => h.roles.includes("master"));
  const controlPlane = a.artifacts.kubernetes !== undefined && masters.length > 0;
  const simulated = a.hosts.map((h, i) => [h, i] as const).filter(([h]) => h.simulated);
  for (const [h, i] of simulated) {
    const wrong = h.roles.filter((r) => r !== "worker" && r !== "edge");
    if (wrong.length > 0) {
      problems.add(`${key("hosts")}[${i}].roles`, `host ${h.name} is simulated but has role ${wrong.join(", ")}`, "only worker and edge nodes can be simulated; give this role to a real host");
    }
  }
  if (simulated.length > 0 && a.artifacts.kubernetes === undefined) {
    problems.add(
      `${key("artifacts")}.kubernetes`,
      `is not set, but ${simulated.map(([h]) => h.name).join(", ")} are simulated nodes, which need the stack's own control plane`,
      "give the kubernetes-server release .tar.gz as {url or path, sha256}",
    );
  }
  if (simulated.length > 0 && a.artifacts.kwok === undefined) {
    problems.add(`${key("artifacts")}.kwok`, `is not set, but ${simulated.map(([h]) => h.name).join(", ")} are simulated nodes`, "give the kwok release .tar.gz as {url or path, sha256}");
  }
  if (a.artifacts.kubernetes === undefined && a.versions.kubernetes !== undefined) {
    problems.add(`${key("versions")}.kubernetes`, "is set, but the stack installs no Kubernetes (no artifacts.kubernetes)", "drop it, or give artifacts.kubernetes and hosts with role master");
  }
  if (a.artifacts.kubernetes !== undefined && a.versions.kubernetes === undefined) {
    problems.add(
      `${key("versions")}.kubernetes`,
      "is not set, but the stack installs Kubernetes (artifacts.kubernetes)",
      "give the release that artifacts.kubernetes and artifacts.kubernetesNode hold, as `kube-apiserver --version` prints it, such as v1.34.4",
    );
  }
  if (!controlPlane) return;
  if (a.encryptionKey === undefined || a.encryptionKey === "") {
    problems.add(
      key("secretsEncryptionKey"),
      "is not set, but the stack installs the control plane (artifacts.kubernetes)",
      "set 32 random bytes in base64: `head -c 32 /dev/urandom | base64 | pulumi config set --secret secretsEncryptionKey`",
    );
  } else {
    checkEncryptionKey(a.encryptionKey, key("secretsEncryptionKey"), problems);
  }
  if (a.oldEncryptionKey !== undefined) {
    checkEncryptionKey(a.oldEncryptionKey, key("secretsEncryptionOldKey"), problems);
    if (a.oldEncryptionKey === a.encryptionKey) {
      problems.add(
        key("secretsEncryptionOldKey"),
        "is the same key as secretsEncryptionKey",
        "to rotate, set secretsEncryptionKey to a new key (`head -c 32 /dev/urandom | base64`); after a rotation, remove secretsEncryptionOldKey",
      );
    }
  }
  const realNodes = realNodeHosts(a);
  if (realNodes.length > 0 && a.artifacts.kubernetesNode === undefined) {
    problems.add(
      `${key("artifacts")}.kubernetesNode`,
      `is not set, but the stack installs the control plane (artifacts.kubernetes) and ${realNodes.map((h) => h.name).join(", ")} are real worker or edge hosts`,
      "give the kubernetes-node release .tar.gz (kubelet, kube-proxy) as {url or path, sha256}, or mark those hosts simulated: true",
    );
  }
  if (a.versions.coredns === undefined) {
    problems.add(`${key("versions")}.coredns`, "is not set, but the stack installs the control plane and with it CoreDNS", "give the CoreDNS image tag, such as 1.11.3");
  }
  if (masters.length > 1 && !apiLoadBalancer(a.loadBalancers)) {
    problems.add(
      key("loadBalancers"),
      `${masters.length} hosts have role master, but no load balancer forwards port ${API_SERVER_PORT} to them`,
      `add {name: api, vip, virtualRouterId, hostRole: lb, backendRole: master, ports: [${API_SERVER_PORT}]} so clients reach every apiserver through one address`,
    );
  }
}

/** The load balancer in front of the edge nodes, whose VIP is Traefik's. */
export function edgeLoadBalancer(loadBalancers: readonly LoadBalancerSpec[]): LoadBalancerSpec | undefined {
  return loadBalancers.find((lb) => lb.backendRole === "edge");
}

/** The load balancer that fronts the apiservers, if any. */
export function apiLoadBalancer(loadBalancers: readonly LoadBalancerSpec[]): LoadBalancerSpec | undefined {
  return loadBalancers.find((lb) => lb.backendRole === "master" && lb.ports.includes(API_SERVER_PORT));
}
