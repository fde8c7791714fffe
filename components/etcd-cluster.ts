/** A TLS etcd cluster on SSH hosts: binaries, certificates, config, a health gate, rolling changes and snapshot backups. */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { ArtifactSpec, EtcdRestoreSpec, HostSpec } from "../spec/cluster";
import { HostArtifact } from "./host-artifact";
import { hostStep } from "./host/connection";
import { rollingHostSteps } from "./host/rolling";
import { dependsOnList } from "./k8s-objects";
import { ETCD_MEMBER_SECRETS, EtcdBackupArgs, EtcdSettings, etcdClusterToken, renderEtcdBackup, renderEtcdClusterHealth, renderEtcdMember, renderEtcdMemberRemove } from "./host/etcd-scripts";
import { CertKeyPair } from "./cluster-pki";
import { EtcdRestore } from "./etcd-restore";

export interface EtcdClusterArgs {
  /** With a digest of the CA, makes the cluster token unique per cluster and per generation of it. */
  readonly clusterName: string;
  /** The member hosts; an odd number, in a fixed order (changes roll in this order). */
  readonly members: readonly HostSpec[];
  /** SSH private key for the hosts (a secret). */
  readonly sshPrivateKey: pulumi.Input<string>;
  /** The etcd release (.tar.gz with `etcd`, `etcdctl` and `etcdutl`, as upstream publishes it). */
  readonly artifact: ArtifactSpec;
  /** The etcd CA certificate (PEM). */
  readonly caCert: pulumi.Input<string>;
  /** Server and peer certificates per member name. */
  readonly memberCerts: Readonly<Record<string, { server: CertKeyPair; peer: CertKeyPair }>>;
  /** The client certificate handed to the cluster's users. */
  readonly clientCert: CertKeyPair;
  /** Tunables; changing one restarts the members one at a time, each gated on health. */
  readonly settings: EtcdSettings;
  /** Snapshot backups on every member. */
  readonly backup: EtcdBackupArgs;
  /**
   * Restores every member from one snapshot before the health gate (EtcdRestore), once per restore id; the masters'
   * control plane stops for it and starts again after. @default no restore
   */
  readonly restore?: { readonly spec: EtcdRestoreSpec; readonly masters: readonly HostSpec[] };
}

export class EtcdCluster extends pulumi.ComponentResource {
  /** `https://ADDRESS:2379` of every member. */
  readonly clientEndpoints: pulumi.Output<string[]>;
  readonly caCert: pulumi.Output<string>;
  readonly clientCert: pulumi.Output<string>;
  /** A secret. */
  readonly clientKey: pulumi.Output<string>;
  /** Passes once every member is healthy; depend on it before using the cluster. */
  readonly healthy: command.remote.Command;

  constructor(name: string, args: EtcdClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("onprem-k8s:index:EtcdCluster", name, {}, opts);
    const { members, sshPrivateKey } = args;
    if (members.length === 0 || members.length % 2 === 0) {
      throw new Error(`EtcdCluster ${name}: members has ${members.length} hosts; give an odd number (1, 3 or 5) so the cluster keeps a quorum`);
    }
    const peers = members.map((h) => ({ name: h.name, address: h.address }));

    // Each member's step waits for the previous one, the first for the component's own dependsOn (the preflight):
    // a change restarts one member at a time, and each step only finishes once its member is healthy again.
    const memberSteps = rollingHostSteps(members, sshPrivateKey, opts, (host) => {
      const binaries = new HostArtifact(
        `${name}-${host.name}-etcd`,
        { host, sshPrivateKey, name: "etcd", artifact: args.artifact, binaries: ["etcd", "etcdctl", "etcdutl"] },
        // Not before the component's dependencies (the preflight): the install relinks /usr/local/bin/etcd.
        { parent: this, dependsOn: dependsOnList(opts) },
      );
      const certs = args.memberCerts[host.name];
      const memberScript = pulumi.all([args.caCert, certs.server.cert, certs.peer.cert]).apply(([caCert, serverCert, peerCert]) =>
        renderEtcdMember({
          clusterToken: etcdClusterToken(args.clusterName, caCert),
          member: { name: host.name, address: host.address },
          peers,
          settings: args.settings,
          pki: { caCert, serverCert, peerCert },
          releaseSha256: args.artifact.sha256,
        }),
      );
      const secrets = pulumi.all([certs.server.key, certs.peer.key]).apply(([serverKey, peerKey]) => ({ [ETCD_MEMBER_SECRETS.serverKey]: serverKey, [ETCD_MEMBER_SECRETS.peerKey]: peerKey }));
      return {
        name: `${name}-${host.name}-member`,
        script: memberScript,
        dependsOn: [binaries.installed],
        options: { secrets, parent: this, deleteScript: renderEtcdMemberRemove(host.name, true) },
      };
    });

    const restore =
      args.restore &&
      new EtcdRestore(
        `${name}-restore-${args.restore.spec.id}`,
        {
          restore: args.restore.spec,
          members,
          masters: args.restore.masters,
          sshPrivateKey,
          // A new token per restore: no member of the cluster before it can join the restored one.
          clusterToken: pulumi.output(args.caCert).apply((caCert) => `${etcdClusterToken(args.clusterName, caCert)}-${args.restore?.spec.id}`),
          backupDirectory: args.backup.directory,
        },
        { parent: this, dependsOn: memberSteps },
      );
    this.healthy = hostStep(`${name}-health`, members[0], sshPrivateKey, renderEtcdClusterHealth(peers), { parent: this, dependsOn: [...memberSteps, ...(restore?.done ?? [])] });
    members.forEach((host) => hostStep(`${name}-${host.name}-backup`, host, sshPrivateKey, renderEtcdBackup(args.backup), { parent: this, dependsOn: [this.healthy] }));

    this.clientEndpoints = pulumi.output(peers.map((p) => `https://${p.address}:2379`));
    this.caCert = pulumi.output(args.caCert);
    this.clientCert = args.clientCert.cert;
    this.clientKey = pulumi.secret(args.clientCert.key);
    this.registerOutputs({ clientEndpoints: this.clientEndpoints, caCert: this.caCert, clientCert: this.clientCert, clientKey: this.clientKey });
  }
}
