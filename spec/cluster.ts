/** The typed cluster specification that every component is built from. */
import * as pulumi from "@pulumi/pulumi";
import type { WebAppSpec } from "./webapp";
import type { ImageRegistrySpec } from "./image-registry";

/** The port every kube-apiserver serves on, and that the API load balancer forwards. */
export const API_SERVER_PORT = 6443;

/** Every role a host can carry. */
export const ROLES = ["etcd", "master", "lb", "worker", "edge", "registry"] as const;
export type Role = (typeof ROLES)[number];

/** A Kubernetes node taint. */
export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

/** One server reachable over SSH. */
export interface HostSpec {
  /** DNS-1123 label; also the Kubernetes node name. */
  readonly name: string;
  /** IPv4 address inside `network.hostCidr`. */
  readonly address: string;
  readonly sshPort: number;
  readonly sshUser: string;
  /**
   * The host's own SSH public key, as one line of `/etc/ssh/ssh_host_ed25519_key.pub` (`ssh-ed25519 AAAA...`). Every
   * step checks it before it authenticates or sends anything; a host that answers with another key fails the step.
   * Set on every host that is not simulated.
   */
  readonly sshHostKey?: string;
  readonly roles: readonly Role[];
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  /**
   * A node simulated by kwok (workers and edge nodes only): it becomes a Node object that kwok keeps Ready, and no
   * SSH step ever reaches its address. @default false
   */
  readonly simulated?: boolean;
}

/**
 * A registry the site already runs, which nodes cannot reach with the public TLS trust: over plain HTTP (such as
 * seed 000's registry on :5500 or seed 004's `--insecure-registry`), or over HTTPS with a certificate of the site's
 * own CA. Image names stay as they are; containerd learns how to reach the host.
 */
export interface SiteRegistry {
  /** `HOST[:PORT]` as it starts the image names, e.g. `10.66.221.138:5500`. */
  readonly host: string;
  /** Pull over plain HTTP. */
  readonly http: boolean;
  /** PEM of the CA that signed the registry's HTTPS certificate; unset with `http`. */
  readonly caCert?: string;
}

/** An inclusive port range. */
export interface PortRange {
  readonly min: number;
  readonly max: number;
}

/** Address plan of the cluster; the networks must not overlap each other. */
export interface NetworkPlan {
  /** The network the hosts live in; VIPs come from it too. */
  readonly hostCidr: string;
  /** Pod network (flannel); each node gets a `/nodeSubnetLength` slice of it. */
  readonly podCidr: string;
  readonly nodeSubnetLength: number;
  /** Service ClusterIP network. */
  readonly serviceCidr: string;
  /** The CoreDNS ClusterIP; inside `serviceCidr`. */
  readonly clusterDnsIp: string;
  readonly clusterDomain: string;
  readonly nodePortRange: PortRange;
}

/**
 * How a load balancer whose host comes back takes its VIP back. Every move resets the TCP connections held through
 * the VIP, so the default never moves it a second time: "never" (keepalived nopreempt; the VIP stays until the next
 * failure), "immediate" (preempt at once), or a number of seconds from 1 to 1000 (preempt_delay: the recovered host
 * waits that long after keepalived starts before it takes the VIP back).
 */
export type Failback = "never" | "immediate" | number;

export interface LoadBalancerSpec {
  /** DNS-1123 label, unique among load balancers. */
  readonly name: string;
  /** The virtual IP; inside `network.hostCidr` and no host's address. */
  readonly vip: string;
  /** The prefix length of `network.hostCidr`, with which keepalived adds the VIP. */
  readonly vipPrefixLength: number;
  /** keepalived virtual_router_id, 1-255, unique among load balancers. */
  readonly virtualRouterId: number;
  /** The role of the hosts that carry haproxy and keepalived. */
  readonly hostRole: Role;
  /** The role of the hosts haproxy forwards to. */
  readonly backendRole: Role;
  /** TCP ports forwarded from the VIP to the same port on every backend. */
  readonly ports: readonly number[];
  /** What a recovered higher-priority host does with the VIP (keepalived preemption); see {@link Failback}. */
  readonly failback: Failback;
}

/** Where a binary comes from: exactly one of `path` (uploaded from this machine) or `url` (downloaded by the host). */
export interface ArtifactSpec {
  readonly path?: string;
  readonly url?: string;
  /** Lower-case hex sha256 of the file; always verified on the host. */
  readonly sha256: string;
}

/** Certificate settings. */
export interface PkiSpec {
  readonly validityDays: number;
  /** Preview warns when a certificate expires within this many days. */
  readonly expiryWarningDays: number;
  /** The generation of the etcd, Kubernetes and front-proxy CAs: a CA rotation moves it up by one. */
  readonly caGeneration: number;
  /** While a CA rotation runs, its phase: the previous generation's CAs stay trusted (docs/operations.md). */
  readonly caRotation?: CaRotationPhase;
}

/**
 * `trust`: every host and in-cluster client trusts the old and the new CAs, and the old ones still sign;
 * `issue`: the new CAs sign every certificate, and both are still trusted. Without the key only the new CAs are trusted.
 */
export type CaRotationPhase = "trust" | "issue";
export const CA_ROTATION_PHASES: readonly CaRotationPhase[] = ["trust", "issue"];

/** etcd tunables and backups. */
export interface EtcdSpec {
  readonly heartbeatIntervalMs: number;
  readonly electionTimeoutMs: number;
  readonly snapshotCount: number;
  readonly quotaBackendBytes: number;
  readonly backupIntervalMinutes: number;
  /** Snapshots kept per member. */
  readonly backupRetention: number;
  readonly backupDirectory: string;
  /** Restores every member from one snapshot (EtcdRestore), once per `id`. */
  readonly restore?: EtcdRestoreSpec;
}

/** Where a restore's snapshot comes from: a file on an etcd member (the newest backup when `file` is unset), or a file on the operator's machine. */
export type EtcdSnapshotSource = { readonly member: string; readonly file?: string } | { readonly path: string; readonly sha256: string };

/** An etcd restore: the cluster goes back to the snapshot. It runs once per `id`; a new `id` restores again. */
export interface EtcdRestoreSpec {
  readonly id: string;
  readonly snapshot: EtcdSnapshotSource;
}

/** Settings of the control plane daemons (HaControlPlane). */
export interface KubernetesSpec {
  /** Extra kube-apiserver flags, name (without --) to value; they override the flags onprem-k8s sets. A change rolls the masters. */
  readonly apiServerExtraArgs: Readonly<Record<string, string>>;
  /** Extra kube-controller-manager flags, as above. */
  readonly controllerManagerExtraArgs: Readonly<Record<string, string>>;
  /** Extra kube-scheduler flags, as above. */
  readonly schedulerExtraArgs: Readonly<Record<string, string>>;
  /**
   * How many real worker and edge nodes change at once (`kubernetes.nodeBatchSize`, as kubespray's `serial`): a number
   * of nodes, or a percentage of the real nodes, rounded up. Each batch starts once every node of the previous one is
   * healthy. @default { percent: 25 }
   */
  readonly nodeBatchSize: { readonly nodes: number } | { readonly percent: number };
  /**
   * kube-proxy's `conntrack.maxPerCore` (`kubernetes.kubeProxyConntrackMaxPerCore`): 0 leaves the host's conntrack
   * table size alone, for hosts where kube-proxy cannot write it (container hosts such as the lab's). @default kube-proxy's own (32768)
   */
  readonly kubeProxyConntrackMaxPerCore?: number;
  /**
   * The kubelets' hard eviction thresholds (`kubernetes.kubeletEvictionHard`, KubeletConfiguration's evictionHard), by
   * signal; given, they replace the kubelet's defaults. @default the kubelet's own
   */
  readonly kubeletEvictionHard?: Readonly<Record<string, string>>;
  /**
   * KubeletConfiguration's failCgroupV1 (`kubernetes.kubeletFailCgroupV1`): from v1.35 a kubelet refuses to run on a host
   * with cgroup v1 unless this is false. @default the kubelet's own (true from v1.35)
   */
  readonly kubeletFailCgroupV1?: boolean;
}

/**
 * Where the stack's Kubernetes comes from: its own HA control plane on its masters (`artifacts.kubernetes` is set),
 * or a cluster made elsewhere, reached through the `kubeconfig` secret.
 */
export type ControlPlaneSpec = OwnControlPlaneSpec | ExternalClusterSpec;

export interface OwnControlPlaneSpec {
  readonly kind: "own";
  /** The kubernetes-server release (`artifacts.kubernetes`). */
  readonly artifact: ArtifactSpec;
  /** The release `artifact` and the kubernetes-node release hold (`versions.kubernetes`), such as v1.35.4. */
  readonly version: string;
  /** base64 of the 32-byte key that encrypts Secrets in etcd (a Pulumi secret). */
  readonly secretsEncryptionKey: pulumi.Output<string>;
  /** The key `secretsEncryptionKey` replaces, during a rotation (a Pulumi secret; docs/operations.md). */
  readonly secretsEncryptionOldKey?: pulumi.Output<string>;
  /** The first address of `network.serviceCidr`: the ClusterIP of the `kubernetes` Service. */
  readonly serviceIp: string;
}

export interface ExternalClusterSpec {
  readonly kind: "external";
  /** The cluster's admin kubeconfig (a Pulumi secret); unset when the stack deploys nothing onto Kubernetes. */
  readonly kubeconfig?: pulumi.Output<string>;
}

/** One app from config: the chart spec plus the config keys that hold its secrets. */
export interface AppConfig {
  readonly spec: WebAppSpec;
  /** Environment variable name to the secret config key that holds its value. */
  readonly secretEnvKeys: Readonly<Record<string, string>>;
  /** The name of each `${NAME}` in the app's secret files to the secret config key that holds its value. */
  readonly secretFileKeys: Readonly<Record<string, string>>;
  /** A private registry login whose password is in the secret config key `passwordKey`. */
  readonly registry?: { readonly server: string; readonly username: string; readonly passwordKey: string; readonly secretName?: string };
}

/** The whole validated stack configuration. */
export interface ClusterSpec {
  readonly clusterName: string;
  readonly hosts: readonly HostSpec[];
  /** The SSH private key for every host (a Pulumi secret). */
  readonly sshPrivateKey: pulumi.Output<string>;
  readonly network: NetworkPlan;
  readonly loadBalancers: readonly LoadBalancerSpec[];
  /** VRRP authentication shared by the load balancers (a Pulumi secret, at most 8 characters). */
  readonly loadBalancerAuthPassword: pulumi.Output<string>;
  readonly etcd: EtcdSpec;
  /** The value of a secret config key (validated to exist), as a Pulumi secret. */
  readonly secretValue: (key: string) => pulumi.Output<string>;
  /** The stack's own control plane, or the cluster made elsewhere that its Kubernetes provider reaches. */
  readonly controlPlane: ControlPlaneSpec;
  /** Control plane daemon settings. */
  readonly kubernetes: KubernetesSpec;
  readonly versions: Readonly<Record<string, string>>;
  /**
   * Releases by name: `etcd`; `kubernetes` (kubernetes-server; the stack then runs its own control plane);
   * `kubernetesNode` (kubelet and kube-proxy; needed with real worker or edge hosts and `kubernetes`); `kwok`
   * (simulated nodes); optional `containerd` and `cniPlugins` for real nodes whose hosts do not run containerd already.
   */
  readonly artifacts: Readonly<Record<string, ArtifactSpec>>;
  /** Registries of the site that nodes pull from over HTTP or with a private CA (containerd's hosts.toml). */
  readonly registries: readonly SiteRegistry[];
  /** The site's own registry on the hosts of role `registry`, the mirrors nodes pull through, and its image bundle. */
  readonly imageRegistry?: ImageRegistrySpec;
  /** An apt source line for haproxy and keepalived, or undefined to use the hosts' own sources. */
  readonly aptSource?: string;
  readonly pki: PkiSpec;
  /** The configured addons' specs by config key, each as its own parser made it (the list of addons is addons.ts). */
  readonly addons: Readonly<Record<string, unknown>>;
  /** The business apps, each a WebApp spec with its secrets named by config key. */
  readonly apps: readonly AppConfig[];
}

/** Hosts that kwok simulates, in config order. */
export function simulatedHosts(spec: Pick<ClusterSpec, "hosts">): HostSpec[] {
  return spec.hosts.filter((h) => h.simulated === true);
}

/** Worker and edge hosts that are real servers (not simulated), in config order: NodeBootstrap makes them nodes. */
export function realNodeHosts(spec: Pick<ClusterSpec, "hosts">): HostSpec[] {
  return spec.hosts.filter((h) => h.simulated !== true && (h.roles.includes("worker") || h.roles.includes("edge")));
}

/** Hosts that carry a role, in config order. */
export function hostsWithRole(spec: Pick<ClusterSpec, "hosts">, role: Role): HostSpec[] {
  return spec.hosts.filter((h) => h.roles.includes(role));
}
