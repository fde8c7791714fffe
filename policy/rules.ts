/**
 * The onprem-k8s policies. Enforcement levels come from the policy pack config of each environment
 * (config/<stack>.json): mandatory in prod, advisory in dev.
 */
import { Policies, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

/** What the engine passes for a value that is not known until `pulumi up`. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Workloads that may mount host paths, as NAMESPACE/NAME: node agents of the cluster addons. */
const DEFAULT_HOST_PATH_WORKLOADS = ["kube-flannel/kube-flannel-ds", "kube-system/kube-proxy", "ceph-csi/csi-rbdplugin", "logging/vlagent", "monitoring/node-exporter"];
const DEFAULT_NODE_PORT_RANGE = "30000-32767";

// A ConfigMap key naming a password, token, secret, credential or key (api-key, tls.key, apiKey, key.pem).
const SECRET_KEY = /(password|passwd|token|secret|credential|(^|[-_.a-z])key)($|[-_.])/i;

interface Container {
  name?: string;
  image?: string;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
}
interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  volumes?: { name?: string; hostPath?: { path?: string } }[];
}

/** The pod template of a workload, or the spec of a Pod; undefined for anything else. */
function podSpecOf(args: ResourceValidationArgs): PodSpec | undefined {
  const kind = args.type.split(":").pop();
  const spec = args.props.spec;
  switch (args.type.startsWith("kubernetes:") ? kind : undefined) {
    case "Pod":
      return spec;
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
    case "ReplicaSet":
    case "ReplicationController":
    case "Job":
      return spec?.template?.spec;
    case "CronJob":
      return spec?.jobTemplate?.spec?.template?.spec;
    default:
      return undefined;
  }
}

/** `Deployment "web"`: how messages name an object. */
function objectName(args: ResourceValidationArgs): string {
  return `${args.type.split(":").pop()} "${args.props.metadata?.name ?? args.name}"`;
}

function containersOf(pod: PodSpec): Container[] {
  return [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
}

/** Runs `check` on the pod spec of workloads only; other resources are not applicable. */
function forPods(check: (pod: PodSpec, args: ResourceValidationArgs, report: ReportViolation) => void) {
  return (args: ResourceValidationArgs, report: ReportViolation) => {
    const pod = podSpecOf(args);
    if (pod) check(pod, args, report);
  };
}

function imageProblem(image: string): string | undefined {
  if (image.includes("@sha256:")) return undefined;
  const lastPart = image.slice(image.lastIndexOf("/") + 1);
  if (!lastPart.includes(":")) return "has no tag";
  return lastPart.endsWith(":latest") ? "uses the latest tag" : undefined;
}

const pinnedImages: ResourceValidationPolicy = {
  name: "pinned-images",
  description: "Container images carry a version tag or a digest, never `latest` or no tag.",
  validateResource: forPods((pod, args, report) => {
    for (const c of containersOf(pod)) {
      const problem = typeof c.image === "string" && c.image !== UNKNOWN ? imageProblem(c.image) : undefined;
      if (problem) report(`${objectName(args)} container "${c.name}": image "${c.image}" ${problem}; pin a version tag or a digest`);
    }
  }),
};

const containerResources: ResourceValidationPolicy = {
  name: "container-resources",
  description: "Every container sets CPU and memory requests and limits.",
  validateResource: forPods((pod, args, report) => {
    for (const c of containersOf(pod)) {
      const missing = (["requests", "limits"] as const).flatMap((kind) => ["cpu", "memory"].filter((r) => c.resources?.[kind]?.[r] === undefined).map((r) => `${kind}.${r}`));
      if (missing.length > 0) report(`${objectName(args)} container "${c.name}" has no resources.${missing.join(", resources.")}; set requests and limits for cpu and memory`);
    }
  }),
};

const noSecretsInConfigMaps: ResourceValidationPolicy = {
  name: "no-secrets-in-configmaps",
  description: "ConfigMaps hold no key that looks like a secret (password, token, key); those belong in a Secret.",
  validateResource: (args, report) => {
    if (!/^kubernetes:core\/v1:ConfigMap$/.test(args.type)) return;
    const keys = [...Object.keys(args.props.data ?? {}), ...Object.keys(args.props.binaryData ?? {})];
    for (const key of keys.filter((k) => SECRET_KEY.test(k))) {
      report(`${objectName(args)} key "${key}" looks like a secret; put it in a Secret (WebApp: secretEnv) instead of a ConfigMap`);
    }
  },
};

const ingressTls: ResourceValidationPolicy = {
  name: "ingress-tls",
  description: "Every Ingress serves its hosts over TLS.",
  validateResource: (args, report) => {
    if (!/^kubernetes:networking\.k8s\.io\/v1(beta1)?:Ingress$/.test(args.type)) return;
    const tls: { hosts?: string[] }[] = args.props.spec?.tls ?? [];
    const covered = new Set(tls.flatMap((t) => t.hosts ?? []));
    const hosts: string[] = (args.props.spec?.rules ?? []).map((r: { host?: string }) => r.host).filter((h: unknown): h is string => typeof h === "string");
    const plain = hosts.filter((h) => !covered.has(h));
    if (tls.length === 0) report(`${objectName(args)} has no spec.tls; serve it over TLS (WebApp: ingress.tls)`);
    else if (plain.length > 0) report(`${objectName(args)} serves ${plain.join(", ")} without TLS; list them in spec.tls[].hosts`);
  },
};

const hostPathVolumes: ResourceValidationPolicy = {
  name: "no-host-path-volumes",
  description: "No hostPath volumes, except in the addon workloads that need them (config: allowed, as NAMESPACE/NAME).",
  configSchema: { properties: { allowed: { type: "array", items: { type: "string" } } } },
  validateResource: forPods((pod, args, report) => {
    const { allowed = DEFAULT_HOST_PATH_WORKLOADS } = args.getConfig<{ allowed?: string[] }>();
    const workload = `${args.props.metadata?.namespace ?? "default"}/${args.props.metadata?.name ?? args.name}`;
    if (allowed.includes(workload)) return;
    for (const v of (pod.volumes ?? []).filter((v) => v.hostPath)) {
      report(`${objectName(args)} volume "${v.name}" mounts host path ${v.hostPath?.path}; only ${allowed.join(", ")} may (policy config "allowed")`);
    }
  }),
};

const nodePortRange: ResourceValidationPolicy = {
  name: "node-port-range",
  description: "Service node ports lie in the cluster's NodePort range (config: nodePortRange, as in the stack's network.nodePortRange).",
  configSchema: { properties: { nodePortRange: { type: "string", pattern: "^[0-9]+-[0-9]+$" } } },
  validateResource: (args, report) => {
    if (args.type !== "kubernetes:core/v1:Service") return;
    const { nodePortRange: range = DEFAULT_NODE_PORT_RANGE } = args.getConfig<{ nodePortRange?: string }>();
    const [min, max] = range.split("-").map(Number);
    for (const port of (args.props.spec?.ports ?? []) as { name?: string; nodePort?: unknown }[]) {
      if (typeof port.nodePort === "number" && (port.nodePort < min || port.nodePort > max)) {
        report(`${objectName(args)} port ${port.name ?? ""} has nodePort ${port.nodePort}, outside the NodePort range ${range}`);
      }
    }
  },
};

// Components are not visible to resource policies, so this looks at the whole stack: the member steps
// (command:remote:Command named *-member) that each EtcdCluster component parents.
const etcdOddMembers: StackValidationPolicy = {
  name: "etcd-odd-members",
  description: "Every EtcdCluster has an odd number of members, so that it keeps a quorum.",
  validateStack: (args, report) => {
    for (const cluster of args.resources.filter((r) => r.type === "onprem-k8s:index:EtcdCluster")) {
      const members = args.resources.filter((r) => r.parent?.urn === cluster.urn && r.type === "command:remote:Command" && r.name.endsWith("-member"));
      if (members.length % 2 === 0) {
        report(
          `EtcdCluster "${cluster.name}" has ${members.length} members (${members
            .map((m) => m.name)
            .sort()
            .join(", ")}); give it an odd number (1, 3 or 5) so that it keeps a quorum`,
          cluster.urn,
        );
      }
    }
  },
};

export const policies: Policies = [pinnedImages, containerResources, noSecretsInConfigMaps, ingressTls, hostPathVolumes, nodePortRange, etcdOddMembers];
