/** Checks every etcd and master host for another cluster before the stack touches any member or daemon. */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { HostSpec } from "../spec/cluster";
import { hostStep } from "./host/connection";
import { renderPreflight } from "./host/preflight-script";

export interface ClusterPreflightArgs {
  /** The stack's name, named in the fix that a failure offers. */
  readonly stack: string;
  /** The etcd members: none may hold an etcd of another cluster. */
  readonly etcdMembers: readonly HostSpec[];
  /** The stack's etcd CA certificate (PEM). */
  readonly etcdCaCert: pulumi.Input<string>;
  /** The masters: none may hold a control plane of another cluster. @default none */
  readonly masters?: readonly HostSpec[];
  /** The stack's Kubernetes CA certificate (PEM); needed with masters. */
  readonly kubernetesCaCert?: pulumi.Input<string>;
  /** SSH private key for the hosts (a secret). */
  readonly sshPrivateKey: pulumi.Input<string>;
}

export class ClusterPreflight extends pulumi.ComponentResource {
  /** One step per host, passed when the host holds no other cluster; depend on them before touching a member or daemon. */
  readonly passed: command.remote.Command[];

  constructor(name: string, args: ClusterPreflightArgs, opts?: pulumi.ComponentResourceOptions) {
    super("onprem-k8s:index:ClusterPreflight", name, {}, opts);
    const masters = args.masters ?? [];
    if (masters.length > 0 && args.kubernetesCaCert === undefined) throw new Error(`ClusterPreflight ${name}: masters need kubernetesCaCert`);
    const hosts = [...args.etcdMembers, ...masters.filter((m) => !args.etcdMembers.some((e) => e.name === m.name))];
    // Each host on its own: a host that fails names itself, and the others are still checked.
    this.passed = hosts.map((host) => {
      const isMember = args.etcdMembers.some((e) => e.name === host.name);
      const isMaster = masters.some((m) => m.name === host.name);
      const preflight = pulumi
        .all([isMember ? args.etcdCaCert : undefined, isMaster ? args.kubernetesCaCert : undefined])
        .apply(([etcdCaCert, kubernetesCaCert]) => renderPreflight({ host: { name: host.name, address: host.address }, stack: args.stack, etcdCaCert, kubernetesCaCert }));
      // Once, when the host enters the stack: a new CA of this stack's own (a rotation) must not fail it later.
      return hostStep(`${name}-${host.name}`, host, args.sshPrivateKey, preflight, { parent: this, ignoreChanges: ["create"] });
    });
    this.registerOutputs({});
  }
}
