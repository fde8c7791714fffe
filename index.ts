// The stack: read and validate the config, then wire the components. No logic lives here.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { hasWorkloads, hostsWithRole, loadClusterSpec, parseCidr } from "./config";
import { ClusterPki, ClusterWorkloads, EtcdCluster, LoadBalancerPair } from "./components";

const spec = loadClusterSpec();
const etcdHosts = hostsWithRole(spec, "etcd");

const pki = new ClusterPki("pki", {
  clusterName: spec.clusterName,
  validityDays: spec.pki.validityDays,
  expiryWarningDays: spec.pki.expiryWarningDays,
  etcdMembers: etcdHosts,
  etcdServerExtraIps: spec.loadBalancers.filter((lb) => lb.backendRole === "etcd").map((lb) => lb.vip),
});

const etcd = new EtcdCluster("etcd", {
  clusterName: spec.clusterName,
  members: etcdHosts,
  sshPrivateKey: spec.sshPrivateKey,
  artifact: spec.artifacts.etcd,
  caCert: pki.etcdCaCert,
  memberCerts: pki.etcdMembers,
  clientCert: pki.etcdClient,
  settings: spec.etcd,
  backup: { intervalMinutes: spec.etcd.backupIntervalMinutes, retention: spec.etcd.backupRetention, directory: spec.etcd.backupDirectory },
});

const loadBalancers = spec.loadBalancers.map(
  (lb) =>
    new LoadBalancerPair(
      lb.name,
      {
        name: lb.name,
        vip: lb.vip,
        vipPrefix: parseCidr(spec.network.hostCidr)!.prefix,
        virtualRouterId: lb.virtualRouterId,
        hosts: hostsWithRole(spec, lb.hostRole),
        backends: hostsWithRole(spec, lb.backendRole),
        ports: lb.ports,
        authPassword: spec.loadBalancerAuthPassword,
        sshPrivateKey: spec.sshPrivateKey,
        aptSource: spec.aptSource,
      },
      { dependsOn: lb.backendRole === "etcd" ? [etcd.healthy] : [] },
    ),
);

const workloads = hasWorkloads(spec)
  ? new ClusterWorkloads("cluster", {
      provider: new k8s.Provider("cluster", { kubeconfig: spec.kubeconfig }),
      addons: spec.addons,
      apps: spec.apps,
      secretValue: spec.secretValue,
      edgeVip: spec.loadBalancers.find((lb) => lb.hostRole === "edge")?.vip,
      nodePortRange: spec.network.nodePortRange,
      clusterDomain: spec.network.clusterDomain,
    })
  : undefined;

export const clusterName = spec.clusterName;
export const network = spec.network;
export const etcdEndpoints = etcd.clientEndpoints;
export const etcdCaCert = etcd.caCert;
export const etcdClientCert = etcd.clientCert;
export const etcdClientKey = etcd.clientKey;
export const vips = pulumi.output(Object.fromEntries(loadBalancers.map((lb, i) => [spec.loadBalancers[i].name, lb.vip])));
export const appUrls = workloads?.appUrls;
