/** Parses `loadBalancers`: each a VIP served by keepalived + HAProxy on the hosts of one role. */
import { Failback, HostSpec, LoadBalancerSpec, NetworkPlan, ROLES, Role } from "../spec/cluster";
import { Problems, isDns1123Label, isPort, isRecord } from "./problems";
import { cidrContains, parseCidr, parseIpv4 } from "../spec/cidr";

export function parseLoadBalancers(raw: unknown, key: string, hosts: readonly HostSpec[], network: NetworkPlan | undefined, problems: Problems): LoadBalancerSpec[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    problems.add(key, "is not a list", "give a list of {name, vip, virtualRouterId, hostRole, backendRole, ports, failback}");
    return [];
  }
  const balancers = raw.map((item, i) => parseLoadBalancer(item, `${key}[${i}]`, hosts, network, problems));
  for (const field of ["name", "vip", "virtualRouterId"] as const) {
    const seen = new Map<unknown, number>();
    balancers.forEach((lb, i) => {
      const first = seen.get(lb[field]);
      if (first === undefined) seen.set(lb[field], i);
      else problems.add(`${key}[${i}].${field}`, `${JSON.stringify(lb[field])} is also used by ${key}[${first}]`, `give every load balancer its own ${field}`);
    });
  }
  return balancers;
}

function parseLoadBalancer(raw: unknown, key: string, hosts: readonly HostSpec[], network: NetworkPlan | undefined, problems: Problems): LoadBalancerSpec {
  const lb = isRecord(raw) ? raw : {};
  const name = String(lb.name ?? "");
  if (!isDns1123Label(name)) {
    problems.add(`${key}.name`, `"${name}" is not a valid DNS-1123 label`, "use lower-case letters, digits and '-'");
  }
  const vip = String(lb.vip ?? "");
  checkVip(vip, `${key}.vip`, hosts, network, problems);
  const virtualRouterId = lb.virtualRouterId;
  if (!Number.isInteger(virtualRouterId) || (virtualRouterId as number) < 1 || (virtualRouterId as number) > 255) {
    problems.add(`${key}.virtualRouterId`, `${JSON.stringify(virtualRouterId)} is not a VRRP router id`, "give a number from 1 to 255, unique on the host network");
  }
  const hostRole = parseRole(lb.hostRole ?? "lb", `${key}.hostRole`, problems);
  // keepalived and HAProxy run over SSH: a simulated host cannot carry a VIP.
  const carriers = hosts.filter((h) => h.roles.includes(hostRole) && !h.simulated);
  if (carriers.length < 2) {
    problems.add(`${key}.hostRole`, `a VIP needs 2 or more hosts with role "${hostRole}", found ${carriers.length} that are not simulated`, `give the role "${hostRole}" to at least two real hosts`);
  }
  const ports = Array.isArray(lb.ports) ? lb.ports : [];
  if (ports.length === 0 || !ports.every(isPort)) {
    problems.add(`${key}.ports`, `${JSON.stringify(lb.ports)} is not a list of ports`, "give the TCP ports to forward, each from 1 to 65535");
  }
  return {
    name,
    vip,
    vipPrefixLength: (network && parseCidr(network.hostCidr)?.prefix) ?? 32,
    virtualRouterId: virtualRouterId as number,
    hostRole,
    backendRole: parseRole(lb.backendRole ?? "master", `${key}.backendRole`, problems),
    ports: ports as number[],
    failback: parseFailback(lb.failback, `${key}.failback`, problems),
  };
}

// keepalived's preempt_delay takes 0 to 1000 seconds; 0 would be "immediate", so a delay starts at 1.
const MAX_FAILBACK_DELAY = 1000;

function parseFailback(raw: unknown, key: string, problems: Problems): Failback {
  if (raw === undefined) return "never";
  if (raw === "never" || raw === "immediate") return raw;
  if (Number.isInteger(raw) && (raw as number) >= 1 && (raw as number) <= MAX_FAILBACK_DELAY) return raw as number;
  problems.add(key, `${JSON.stringify(raw)} is not a failback`, `give "never" (the default: the VIP stays until the next failure), "immediate", or a delay in seconds from 1 to ${MAX_FAILBACK_DELAY}`);
  return "never";
}

function parseRole(raw: unknown, key: string, problems: Problems): Role {
  if (!(ROLES as readonly unknown[]).includes(raw)) {
    problems.add(key, `unknown role "${String(raw)}"`, `use one of ${ROLES.join(", ")}`);
  }
  return raw as Role;
}

function checkVip(vip: string, key: string, hosts: readonly HostSpec[], network: NetworkPlan | undefined, problems: Problems): void {
  const address = parseIpv4(vip);
  const hostCidr = network && parseCidr(network.hostCidr);
  if (address === undefined) {
    problems.add(key, `"${vip}" is not an IPv4 address`, "give a free address of the host network");
  } else if (hostCidr && !cidrContains(hostCidr, address)) {
    problems.add(key, `${vip} is outside network.hostCidr ${hostCidr.text}`, "pick a free address inside the hosts' subnet, or keepalived cannot announce it");
  }
  const owner = hosts.find((h) => h.address === vip);
  if (owner) {
    problems.add(key, `${vip} is the address of host ${owner.name}`, "pick an address that no host uses");
  }
}
