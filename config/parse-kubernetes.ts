/**
 * Parses `kubernetes` (extra flags of the control plane daemons) and checks what a stack with its own control plane
 * needs: the Secrets encryption key, an API endpoint for several masters, the node release for real worker and edge
 * hosts, and what simulated (kwok) nodes need.
 */
import { API_SERVER_PORT, ArtifactSpec, HostSpec, KubernetesSpec, LoadBalancerSpec, realNodeHosts } from "../spec/cluster";
import { Problems, isRecord } from "./problems";

const EXTRA_ARGS = ["apiServerExtraArgs", "controllerManagerExtraArgs", "schedulerExtraArgs"] as const;
const FLAG_NAME = /^[a-z0-9][a-z0-9-]*$/;

export function parseKubernetes(raw: unknown, key: string, problems: Problems): KubernetesSpec {
  const empty: KubernetesSpec = { apiServerExtraArgs: {}, controllerManagerExtraArgs: {}, schedulerExtraArgs: {} };
  if (raw === undefined) return empty;
  if (!isRecord(raw)) {
    problems.add(key, "is not an object", `give {${EXTRA_ARGS.join(", ")}}`);
    return empty;
  }
  for (const field of Object.keys(raw).filter((f) => !(EXTRA_ARGS as readonly string[]).includes(f))) {
    problems.add(`${key}.${field}`, "is not a known setting", `use only ${EXTRA_ARGS.join(", ")}`);
  }
  const spec: Record<string, Record<string, string>> = {};
  for (const field of EXTRA_ARGS) spec[field] = parseFlags(raw[field], `${key}.${field}`, problems);
  return spec as unknown as KubernetesSpec;
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
