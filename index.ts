// The stack: read and validate the config, then wire the components. No logic lives here.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { hasWorkloads, loadClusterSpec } from "./config";
import { ADDONS, configuredAddons } from "./addons";
import { hostsWithRole, realNodeHosts, simulatedHosts } from "./spec/cluster";
import { TRAEFIK_PING_PORT } from "./spec/traefik";
import { apiLoadBalancer, edgeLoadBalancer, nodeBatchSize } from "./config/parse-kubernetes";
import {
  CaTrustRollout,
  ClusterPki,
  ClusterPreflight,
  ClusterWorkloads,
  CoreDns,
  EtcdCluster,
  etcdRestoreWarning,
  Flannel,
  HaControlPlane,
  ImageRegistry,
  KubernetesDashboard,
  KWOK_USER,
  LoadBalancerPair,
  NodeBootstrap,
  NodePool,
  RegistryMirrors,
} from "./components";
import { REGISTRY_PASSWORD_KEYS } from "./config/parse-image-registry";
import type { MonitoringSpec } from "./spec/monitoring";
import { API_SERVER_AGENT_PORT } from "./components/host/control-plane-scripts";

const spec = loadClusterSpec(ADDONS);
const etcdHosts = hostsWithRole(spec, "etcd");
const masters = hostsWithRole(spec, "master");
const simulated = simulatedHosts(spec);
const kubeletHosts = realNodeHosts(spec);
const edgeHosts = hostsWithRole(spec, "edge");
// The stack installs the control plane itself when it has the kubernetes-server artifact; otherwise its Kubernetes
// provider uses the `kubeconfig` secret of a cluster made elsewhere.
const ownControlPlane = spec.controlPlane.kind === "own" ? spec.controlPlane : undefined;
const apiLb = apiLoadBalancer(spec.loadBalancers);
const registrySpec = spec.imageRegistry;
const registryHosts = hostsWithRole(spec, "registry");

const pki = new ClusterPki("pki", {
  clusterName: spec.clusterName,
  validityDays: spec.pki.validityDays,
  expiryWarningDays: spec.pki.expiryWarningDays,
  etcdMembers: etcdHosts,
  etcdServerExtraIps: spec.loadBalancers.filter((lb) => lb.backendRole === "etcd").map((lb) => lb.vip),
  kubernetes: ownControlPlane
    ? {
        masters,
        apiServerExtraIps: apiLb ? [apiLb.vip] : [],
        serviceIp: ownControlPlane.serviceIp,
        clusterDomain: spec.network.clusterDomain,
        clients: simulated.length > 0 ? { kwok: KWOK_USER } : {},
        nodes: kubeletHosts,
      }
    : undefined,
  registry: registrySpec ? { hosts: registryHosts, extraIps: [registrySpec.address] } : undefined,
  etcdMonitoringClient: spec.addons.monitoring !== undefined,
  caGeneration: spec.pki.caGeneration,
  caRotation: spec.pki.caRotation,
});

// Before any member or daemon is touched: a host that holds another cluster stops the update with one line.
const preflight = new ClusterPreflight("preflight", {
  stack: pulumi.getStack(),
  etcdMembers: etcdHosts,
  etcdCaCert: pki.etcdCaCert,
  masters: ownControlPlane ? masters : [],
  kubernetesCaCert: pki.kubernetes?.caCert,
  sshPrivateKey: spec.sshPrivateKey,
});

const etcd = new EtcdCluster(
  "etcd",
  {
    clusterName: spec.clusterName,
    members: etcdHosts,
    sshPrivateKey: spec.sshPrivateKey,
    artifact: spec.artifacts.etcd,
    caCert: pki.etcdCaCert,
    memberCerts: pki.etcdMembers,
    clientCert: pki.etcdClient,
    settings: spec.etcd,
    backup: { intervalMinutes: spec.etcd.backupIntervalMinutes, retention: spec.etcd.backupRetention, directory: spec.etcd.backupDirectory },
    restore: spec.etcd.restore && { spec: spec.etcd.restore, masters: ownControlPlane ? masters : [] },
  },
  { dependsOn: preflight.passed },
);
if (spec.etcd.restore) pulumi.log.warn(etcdRestoreWarning(spec.etcd.restore));

const loadBalancers = spec.loadBalancers.map(
  (lb) =>
    new LoadBalancerPair(
      lb.name,
      {
        name: lb.name,
        vip: lb.vip,
        vipPrefix: lb.vipPrefixLength,
        virtualRouterId: lb.virtualRouterId,
        hosts: hostsWithRole(spec, lb.hostRole).filter((h) => !h.simulated),
        backends: hostsWithRole(spec, lb.backendRole),
        ports: lb.ports,
        failback: lb.failback,
        authPassword: spec.loadBalancerAuthPassword,
        sshPrivateKey: spec.sshPrivateKey,
        aptSource: spec.aptSource,
        // An apiserver listens before it is ready: only one that answers /readyz gets clients.
        httpsCheckPath: ownControlPlane && lb === apiLb ? "/readyz" : undefined,
        // A stopping Traefik answers 503 on its ping port while it still accepts requests: HAProxy takes it out first.
        httpCheck: spec.addons.traefik !== undefined && lb === edgeLoadBalancer(spec.loadBalancers) ? { port: TRAEFIK_PING_PORT, path: "/ping" } : undefined,
        // A stopping apiserver asks to be drained first, so no client reaches it as it shuts down.
        agentPort: ownControlPlane && lb === apiLb ? API_SERVER_AGENT_PORT : undefined,
      },
      // Every load balancer waits for the preflight; the etcd VIP's also for a healthy etcd, which follows it.
      { dependsOn: lb.backendRole === "etcd" ? [etcd.healthy] : preflight.passed },
    ),
);

// The site's registry, and every bundle image pushed to each of its hosts.
const imageRegistry =
  registrySpec && pki.registry
    ? new ImageRegistry(
        "image-registry",
        {
          hosts: registryHosts,
          sshPrivateKey: spec.sshPrivateKey,
          artifact: spec.artifacts.registry,
          port: registrySpec.port,
          storageDirectory: registrySpec.storageDirectory,
          garbageCollection: registrySpec.garbageCollection,
          address: registrySpec.address,
          caCert: pki.registry.caCert,
          serverCert: pki.registry.server,
          pushPassword: spec.secretValue(REGISTRY_PASSWORD_KEYS.push),
          pullPassword: spec.secretValue(REGISTRY_PASSWORD_KEYS.pull),
          images: registrySpec.bundle?.images,
        },
        { dependsOn: preflight.passed },
      )
    : undefined;
// Real nodes pull the mirrored registries' images through it once the bundle is there.
const mirrors =
  imageRegistry && registrySpec && kubeletHosts.length > 0
    ? new RegistryMirrors(
        "registry-mirrors",
        {
          hosts: kubeletHosts,
          sshPrivateKey: spec.sshPrivateKey,
          endpoint: imageRegistry.endpoint,
          caCert: imageRegistry.caCert,
          pullPassword: spec.secretValue(REGISTRY_PASSWORD_KEYS.pull),
          mirrors: registrySpec.mirrors,
        },
        { dependsOn: Object.values(imageRegistry.pushes) },
      )
    : undefined;

// The Kubernetes certificates exist exactly when the control plane is the stack's own.
const kubePki = ownControlPlane && pki.kubernetes;
const controlPlane =
  ownControlPlane && kubePki
    ? new HaControlPlane(
        "control-plane",
        {
          clusterName: spec.clusterName,
          masters,
          sshPrivateKey: spec.sshPrivateKey,
          artifact: ownControlPlane.artifact,
          version: ownControlPlane.version,
          apiAddress: apiLb?.vip ?? masters[0].address,
          apiAddressDependsOn: loadBalancers.filter((_, i) => spec.loadBalancers[i] === apiLb),
          network: spec.network,
          etcd: { endpoints: etcd.clientEndpoints, caCert: etcd.caCert },
          pki: kubePki,
          secretsEncryptionKey: ownControlPlane.secretsEncryptionKey,
          secretsEncryptionOldKey: ownControlPlane.secretsEncryptionOldKey,
          extraArgs: { apiServer: spec.kubernetes.apiServerExtraArgs, controllerManager: spec.kubernetes.controllerManagerExtraArgs, scheduler: spec.kubernetes.schedulerExtraArgs },
        },
        { dependsOn: [etcd.healthy] },
      )
    : undefined;

// Every ConfigMap and Secret the components make has a fixed name that other objects refer to. Upstream's default
// replaces one on a data change, which for a fixed name means delete, then create: a window in which pods that start
// fail. In place is safer; WebApp rolls its pods on a change of its config files (docs/engine.md).
const providerSettings = { enableConfigMapMutable: true, enableSecretMutable: true };
// With its own control plane the provider takes the admin kubeconfig from it, so a new stack's preview needs no cluster.
// The kubeconfig changes with a CA rotation or a re-issued admin certificate, and is unknown in such a preview: a
// fixed cluster identifier makes that an update of the provider, never a replacement of every object in the cluster.
const provider = controlPlane
  ? new k8s.Provider("cluster", { kubeconfig: controlPlane.adminKubeconfig, clusterIdentifier: spec.clusterName, ...providerSettings }, { dependsOn: [controlPlane.ready] })
  : spec.controlPlane.kind === "external" && hasWorkloads(spec)
    ? new k8s.Provider("cluster", { kubeconfig: spec.controlPlane.kubeconfig, ...providerSettings })
    : undefined;

const nodePool =
  controlPlane && kubePki && provider && simulated.length > 0
    ? new NodePool("nodes", {
        provider,
        nodes: simulated,
        // kwok runs on the first master: it needs a real host, and a master is always there.
        kwokHost: masters[0],
        sshPrivateKey: spec.sshPrivateKey,
        artifact: spec.artifacts.kwok,
        apiServerUrl: controlPlane.apiServerUrl,
        clusterName: spec.clusterName,
        caCert: controlPlane.caCert,
        clientCert: kubePki.clients.kwok,
        podCidr: spec.network.podCidr,
      })
    : undefined;

// Real worker and edge hosts become nodes once the control plane is ready: kubelet, kube-proxy and flannel's CNI config.
// ClusterPki makes the kube-proxy certificate when there is a real node.
const nodeBootstrap =
  controlPlane && kubePki?.kubeProxy && provider && kubeletHosts.length > 0
    ? new NodeBootstrap("node-bootstrap", {
        provider,
        kubeletsWaitFor: [controlPlane.ready, ...Object.values(mirrors?.steps ?? {})],
        nodes: kubeletHosts,
        membershipHost: masters[0],
        batchSize: nodeBatchSize(spec.kubernetes.nodeBatchSize, kubeletHosts.length),
        sshPrivateKey: spec.sshPrivateKey,
        artifact: spec.artifacts.kubernetesNode,
        version: controlPlane.version,
        containerdArtifact: spec.artifacts.containerd,
        cniPluginsArtifact: spec.artifacts.cniPlugins,
        aptSource: spec.aptSource,
        kubeProxyConntrackMaxPerCore: spec.kubernetes.kubeProxyConntrackMaxPerCore,
        kubeletEvictionHard: spec.kubernetes.kubeletEvictionHard,
        kubeletFailCgroupV1: spec.kubernetes.kubeletFailCgroupV1,
        registries: spec.registries,
        apiServerUrl: controlPlane.apiServerUrl,
        clusterName: spec.clusterName,
        caCert: controlPlane.caCert,
        nodeCerts: kubePki.nodes,
        kubeProxyCert: kubePki.kubeProxy,
        network: spec.network,
      })
    : undefined;
/** The real worker and edge nodes that run a kubelet. */
export const realNodes = nodeBootstrap ? Object.keys(nodeBootstrap.nodes) : [];
// Pods can be scheduled once the first batch of real nodes (or the simulated ones) are there; the rest join meanwhile.
const joinedNodes: pulumi.Resource[] = [...(nodeBootstrap?.firstBatch ?? []), ...Object.values(nodePool?.nodes ?? {})];

// The cluster DNS and the pod network come with the stack's own control plane.
if (controlPlane && provider) {
  new CoreDns("coredns", { provider, clusterDnsIp: spec.network.clusterDnsIp, clusterDomain: spec.network.clusterDomain, version: spec.versions.coredns }, { dependsOn: joinedNodes });
  new Flannel("flannel", { provider, podCidr: spec.network.podCidr, nodeSubnetLength: spec.network.nodeSubnetLength, version: spec.versions.flannel });
}

// Workloads wait for the first nodes, with their labels and taints, that their pods are scheduled to.
const workloads =
  provider && hasWorkloads(spec)
    ? new ClusterWorkloads(
        "cluster",
        {
          provider,
          addons: configuredAddons(spec.addons, {
            provider,
            secretValue: spec.secretValue,
            edgeVip: edgeLoadBalancer(spec.loadBalancers)?.vip,
            traefik: spec.addons.traefik !== undefined,
            hosts: {
              etcd: etcdHosts,
              masters: ownControlPlane ? masters : [],
              loadBalancers: [...new Set(spec.loadBalancers.flatMap((lb) => hostsWithRole(spec, lb.hostRole).filter((h) => !h.simulated)))],
            },
            etcdMonitoringClient: pki.etcdMonitoring && { caCert: pki.etcdCaCert, cert: pki.etcdMonitoring },
            monitoringNamespace: (spec.addons.monitoring as MonitoringSpec | undefined)?.namespace,
            certificates: pki.certificates,
            expiryWarningDays: spec.pki.expiryWarningDays,
          }),
          apps: spec.apps,
          secretValue: spec.secretValue,
          edgeVip: edgeLoadBalancer(spec.loadBalancers)?.vip,
          nodePortRange: spec.network.nodePortRange,
          clusterDomain: spec.network.clusterDomain,
          edgeNodesRun: !(edgeHosts.length > 0 && edgeHosts.every((h) => h.simulated === true)),
        },
        { dependsOn: joinedNodes },
      )
    : undefined;

// A CA rotation's trust phase ends with the in-cluster API clients restarted, once every component gave out its bundle.
if (controlPlane && spec.pki.caRotation === "trust") {
  new CaTrustRollout(
    "ca-trust",
    { master: masters[0], sshPrivateKey: spec.sshPrivateKey, apiServerUrl: controlPlane.apiServerUrl, caBundle: controlPlane.caCert },
    { dependsOn: [controlPlane.ready, ...[nodePool, nodeBootstrap, workloads].filter((c): c is NonNullable<typeof c> => c !== undefined)] },
  );
}

export const clusterName = spec.clusterName;
export const network = spec.network;
export const etcdEndpoints = etcd.clientEndpoints;
export const etcdCaCert = etcd.caCert;
export const etcdClientCert = etcd.clientCert;
export const etcdClientKey = etcd.clientKey;
export const vips = pulumi.output(Object.fromEntries(loadBalancers.map((lb, i) => [spec.loadBalancers[i].name, lb.vip])));
// null, not undefined, for a stack without its own control plane: the output is there, and empty.
export const apiServerUrl = controlPlane?.apiServerUrl ?? null;
/** The cluster admin's kubeconfig (a secret): `pulumi stack output kubeconfig --show-secrets > admin.conf`. */
export const kubeconfig = controlPlane?.adminKubeconfig ?? null;
/** The nodes kwok simulates. */
export const simulatedNodes = nodePool ? Object.keys(nodePool.nodes) : [];
export const appUrls = workloads?.appUrls;
/** `ADDRESS:PORT` of the site's registry, and the CA its certificate is signed by; null without one. */
export const registryEndpoint = imageRegistry?.endpoint ?? null;
export const registryCaCert = imageRegistry?.caCert ?? null;
/** Seed 000's outside route: each real node's pod subnet and the node address to route it through; [] without real nodes. */
export const podRoutes = nodeBootstrap?.podRoutes ?? [];
const dashboard = workloads?.addonComponents.get("dashboard");
/** The Kubernetes Dashboard's login tokens (secrets): `pulumi stack output dashboardAdminToken --show-secrets`; null without it. */
export const dashboardAdminToken = dashboard instanceof KubernetesDashboard ? dashboard.adminToken : null;
export const dashboardViewerToken = dashboard instanceof KubernetesDashboard ? dashboard.viewerToken : null;
