/** A valid raw config (keys without namespace) that each test breaks in one place. */
import { testHostKey } from "../hosts";

export function validRawConfig(): Record<string, any> {
  return {
    clusterName: "test",
    hosts: [
      { name: "m1", address: "10.0.0.11", sshHostKey: testHostKey("m1"), roles: ["etcd", "master", "lb"] },
      { name: "m2", address: "10.0.0.12", sshHostKey: testHostKey("m2"), roles: ["etcd", "master", "lb"] },
      { name: "m3", address: "10.0.0.13", sshHostKey: testHostKey("m3"), roles: ["etcd", "master"] },
      { name: "w1", address: "10.0.0.21", sshHostKey: testHostKey("w1"), roles: ["worker"], labels: { storage: "ssd" }, taints: [{ key: "dedicated", value: "db", effect: "NoSchedule" }] },
    ],
    sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----",
    loadBalancerAuthPassword: "vrrp-pw",
    network: {
      hostCidr: "10.0.0.0/24",
      podCidr: "10.244.0.0/16",
      nodeSubnetLength: 24,
      serviceCidr: "10.96.0.0/16",
      clusterDnsIp: "10.96.0.10",
      nodePortRange: "30000-32767",
    },
    loadBalancers: [{ name: "api", vip: "10.0.0.100", virtualRouterId: 51, hostRole: "lb", backendRole: "master", ports: [6443] }],
    versions: { coredns: "1.11.3" },
    artifacts: { etcd: { url: "http://10.0.0.1:8080/etcd.tar.gz", sha256: "a".repeat(64) } },
  };
}

export const NS = "onprem-k8s";
export const SECRET_KEY_NAMES = ["sshPrivateKey", "loadBalancerAuthPassword"];
export const SECRET_KEYS = new Set(SECRET_KEY_NAMES);
