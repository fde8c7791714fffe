/** IPv4 address and CIDR arithmetic for the network plan. Pure functions; no I/O. */

/** An IPv4 network: its first address as a 32-bit number and its prefix length. */
export interface Ipv4Cidr {
  readonly base: number;
  readonly prefix: number;
  readonly text: string;
}

/** Parses dotted-quad IPv4 text into a 32-bit unsigned number, or undefined when it is not one. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** Formats a 32-bit number as dotted-quad text. */
export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** Parses `a.b.c.d/n`; the address must be the network's first address (no host bits set). */
export function parseCidr(text: string): Ipv4Cidr | undefined {
  const match = /^([0-9.]+)\/([0-9]{1,2})$/.exec(text);
  if (!match) return undefined;
  const base = parseIpv4(match[1]);
  const prefix = Number(match[2]);
  if (base === undefined || prefix > 32) return undefined;
  if (base % cidrSize(prefix) !== 0) return undefined;
  return { base, prefix, text };
}

/** Number of addresses in a network of the given prefix length. */
export function cidrSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

/** True when the address lies inside the network. */
export function cidrContains(cidr: Ipv4Cidr, address: number): boolean {
  return address >= cidr.base && address < cidr.base + cidrSize(cidr.prefix);
}

/** True when two networks share at least one address. */
export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return cidrContains(a, b.base) || cidrContains(b, a.base);
}

/** The n-th address of a network (n = 1 is the first usable address). */
export function cidrHost(cidr: Ipv4Cidr, n: number): string {
  return formatIpv4(cidr.base + n);
}

/**
 * Whether a prefix length splits the pod network into node subnets: longer than the pod network's (when that is
 * known) and at most /30, so every node gets a few pod addresses.
 */
export function splitsIntoNodeSubnets(podCidr: Ipv4Cidr | undefined, nodeSubnetLength: unknown): boolean {
  return Number.isInteger(nodeSubnetLength) && (nodeSubnetLength as number) <= 30 && (!podCidr || (nodeSubnetLength as number) > podCidr.prefix);
}
