/** A VIP served by HAProxy (TCP, health-checked backends) and keepalived (VRRP) on two or more hosts. */
import * as pulumi from "@pulumi/pulumi";
import { Failback, HostSpec } from "../spec/cluster";
import { hostStep } from "./host/connection";
import { rollingHostSteps } from "./host/rolling";
import { dependsOnList } from "./k8s-objects";
import { HttpCheck, VRRP_PASSWORD_SECRET, renderHaproxyConfig, renderKeepalivedConfig, renderLbConfig, renderLbPackages, renderLbRemove } from "./host/load-balancer-scripts";

export interface LoadBalancerPairArgs {
  /** DNS-1123 name; names the HAProxy sections and the VRRP instance. */
  readonly name: string;
  /** The virtual IP. */
  readonly vip: string;
  /** Prefix length of the host network the VIP belongs to. */
  readonly vipPrefix: number;
  /** keepalived virtual_router_id, unique on the network. */
  readonly virtualRouterId: number;
  /** Hosts that carry haproxy and keepalived; the first has the highest VRRP priority. */
  readonly hosts: readonly HostSpec[];
  /** Hosts that haproxy forwards to. */
  readonly backends: readonly HostSpec[];
  /** TCP ports forwarded from the VIP to the same port on every backend. */
  readonly ports: readonly number[];
  /** VRRP PASS authentication, at most 8 characters (a secret). */
  readonly authPassword: pulumi.Input<string>;
  /** SSH private key for the hosts (a secret). */
  readonly sshPrivateKey: pulumi.Input<string>;
  /** Check backends with an HTTPS GET of this path (200 = up) instead of a TCP connect, e.g. "/readyz" for apiservers. @default TCP connect */
  readonly httpsCheckPath?: string;
  /** Check backends with an HTTP GET of a path on a port of its own (200 = up), e.g. Traefik's /ping. @default TCP connect */
  readonly httpCheck?: HttpCheck;
  /** Port of the backends' drain agent (HAProxy agent-check), e.g. API_SERVER_AGENT_PORT for apiservers. @default no agent */
  readonly agentPort?: number;
  /**
   * What a recovered host with a higher priority does with the VIP: "never" (keepalived nopreempt: the VIP stays
   * until the next failure), "immediate", or a delay in seconds (1-1000, preempt_delay). Every move resets the TCP
   * connections held through the VIP. @default "never"
   */
  readonly failback?: Failback;
  /** apt source line for the packages. @default the hosts' own sources */
  readonly aptSource?: string;
}

export class LoadBalancerPair extends pulumi.ComponentResource {
  readonly vip: pulumi.Output<string>;
  readonly ports: pulumi.Output<number[]>;

  constructor(name: string, args: LoadBalancerPairArgs, opts?: pulumi.ComponentResourceOptions) {
    super("onprem-k8s:index:LoadBalancerPair", name, {}, opts);
    if (args.hosts.length < 2) {
      throw new Error(`LoadBalancerPair ${name}: hosts has ${args.hosts.length}; a VIP needs at least 2 hosts to fail over`);
    }
    const backends = args.backends.map((h) => ({ name: h.name, address: h.address }));
    const haproxy = renderHaproxyConfig({ name: args.name, vip: args.vip, ports: args.ports, backends, httpsCheckPath: args.httpsCheckPath, httpCheck: args.httpCheck, agentPort: args.agentPort });

    // One host at a time, the first after the component's own dependsOn (for the etcd VIP, etcd's health gate): a
    // bad config stops at the first host while the other still serves the VIP.
    const secrets = pulumi.output(args.authPassword).apply((password) => ({ [VRRP_PASSWORD_SECRET]: password }));
    rollingHostSteps(args.hosts, args.sshPrivateKey, opts, (host, i) => {
      // Packages are a change to the host too: not before the component's dependencies (the preflight).
      const packages = hostStep(`${name}-${host.name}-packages`, host, args.sshPrivateKey, renderLbPackages(args.aptSource, host.name), { parent: this, dependsOn: dependsOnList(opts) });
      const keepalived = renderKeepalivedConfig({
        name: args.name,
        vip: args.vip,
        prefix: args.vipPrefix,
        virtualRouterId: args.virtualRouterId,
        priority: 150 - i * 10,
        self: { name: host.name, address: host.address },
        peers: args.hosts.filter((h) => h !== host).map((h) => ({ name: h.name, address: h.address })),
        failback: args.failback ?? "never",
      });
      return {
        name: `${name}-${host.name}-config`,
        script: renderLbConfig({ name: args.name, haproxy, keepalived, address: host.address }),
        dependsOn: [packages],
        options: { secrets, parent: this, deleteScript: renderLbRemove(args.name) },
      };
    });
    this.vip = pulumi.output(args.vip);
    this.ports = pulumi.output([...args.ports]);
    this.registerOutputs({ vip: this.vip, ports: this.ports });
  }
}
