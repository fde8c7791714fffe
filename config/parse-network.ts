/** Parses `network` and checks the address plan: no overlaps, DNS IP in the service network, a sane NodePort range. */
import { API_SERVER_PORT, NetworkPlan, PortRange } from "../spec/cluster";
import { TRAEFIK_PING_PORT } from "../spec/traefik";
import { Problems, isRecord } from "./problems";
import { Ipv4Cidr, cidrContains, cidrsOverlap, parseCidr, parseIpv4, splitsIntoNodeSubnets } from "../spec/cidr";

/** Ports that control-plane and edge daemons listen on; a NodePort range must not include them. */
export const RESERVED_PORTS: Readonly<Record<number, string>> = {
  80: "traefik http",
  443: "traefik https",
  2379: "etcd client",
  2380: "etcd peer",
  [API_SERVER_PORT]: "kube-apiserver",
  [TRAEFIK_PING_PORT]: "traefik ping",
  8405: "haproxy metrics",
  9100: "node_exporter",
  10249: "kube-proxy metrics",
  10250: "kubelet",
  10256: "kube-proxy health",
  10257: "kube-controller-manager",
  10259: "kube-scheduler",
};

const DEFAULT_NODE_PORT_RANGE: PortRange = { min: 30000, max: 32767 };

export function parseNetwork(raw: unknown, key: string, problems: Problems): NetworkPlan | undefined {
  if (!isRecord(raw)) {
    problems.add(key, "is missing", "give {hostCidr, podCidr, nodeSubnetLength, serviceCidr, clusterDnsIp}");
    return undefined;
  }
  const cidrs: Record<string, Ipv4Cidr | undefined> = {};
  for (const field of ["hostCidr", "podCidr", "serviceCidr"] as const) {
    const text = String(raw[field] ?? "");
    cidrs[field] = parseCidr(text);
    if (!cidrs[field]) {
      problems.add(`${key}.${field}`, `"${text}" is not an IPv4 network`, "give it as a.b.c.d/n with no host bits set");
    }
  }
  reportOverlaps(cidrs, key, problems);

  const nodeSubnetLength = raw.nodeSubnetLength ?? 24;
  const pod = cidrs.podCidr;
  if (!splitsIntoNodeSubnets(pod, nodeSubnetLength)) {
    problems.add(
      `${key}.nodeSubnetLength`,
      `${JSON.stringify(nodeSubnetLength)} does not split the pod network into node subnets`,
      `give a prefix length longer than the pod network's${pod ? ` /${pod.prefix}` : ""} and at most 30`,
    );
  }

  const clusterDnsIp = String(raw.clusterDnsIp ?? "");
  const dns = parseIpv4(clusterDnsIp);
  if (dns === undefined || (cidrs.serviceCidr && !cidrContains(cidrs.serviceCidr, dns))) {
    problems.add(`${key}.clusterDnsIp`, `"${clusterDnsIp}" is not inside serviceCidr ${String(raw.serviceCidr)}`, "pick an address inside the service network, such as its tenth address");
  }

  return {
    hostCidr: String(raw.hostCidr),
    podCidr: String(raw.podCidr),
    nodeSubnetLength: nodeSubnetLength as number,
    serviceCidr: String(raw.serviceCidr),
    clusterDnsIp,
    clusterDomain: String(raw.clusterDomain ?? "cluster.local"),
    nodePortRange: parseNodePortRange(raw.nodePortRange, `${key}.nodePortRange`, problems),
  };
}

function reportOverlaps(cidrs: Record<string, Ipv4Cidr | undefined>, key: string, problems: Problems): void {
  const names = Object.keys(cidrs);
  names.forEach((a, i) =>
    names.slice(i + 1).forEach((b) => {
      const [x, y] = [cidrs[a], cidrs[b]];
      if (x && y && cidrsOverlap(x, y)) {
        problems.add(`${key}.${b}`, `${y.text} overlaps ${key}.${a} ${x.text}`, "give the host, pod and service networks separate address ranges");
      }
    }),
  );
}

function parseNodePortRange(raw: unknown, key: string, problems: Problems): PortRange {
  if (raw === undefined) return DEFAULT_NODE_PORT_RANGE;
  const match = /^([0-9]+)-([0-9]+)$/.exec(String(raw));
  const range = match ? { min: Number(match[1]), max: Number(match[2]) } : undefined;
  if (!range || range.min < 1 || range.max > 65535 || range.min > range.max) {
    problems.add(key, `"${String(raw)}" is not a port range within 1-65535`, "give it as MIN-MAX, for example 30000-32767");
    return DEFAULT_NODE_PORT_RANGE;
  }
  const clashes = Object.keys(RESERVED_PORTS)
    .map(Number)
    .filter((p) => p >= range.min && p <= range.max);
  if (clashes.length > 0) {
    problems.add(key, `${range.min}-${range.max} includes ${clashes.map((p) => `${p} (${RESERVED_PORTS[p]})`).join(", ")}`, "choose a range above 10259, for example 30000-32767");
  }
  return range;
}
