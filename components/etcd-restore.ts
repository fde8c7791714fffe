/**
 * Restores an etcd cluster from one snapshot: every member gets the same snapshot, the control plane stops, every
 * member's data is restored with a new cluster token, the members start one by one behind a health gate, and the
 * control plane starts again. Its steps run once per restore id: a later `up` with the same id changes nothing.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { EtcdRestoreSpec, HostSpec } from "../spec/cluster";
import { hostStep, sshConnection } from "./host/connection";
import {
  ETCD_RESTORE_SECRETS,
  etcdRestoreDir,
  etcdRestoreUploadPath,
  renderControlPlaneHold,
  renderControlPlaneResume,
  renderEtcdRestoreData,
  renderEtcdRestoreFetch,
  renderEtcdRestoreSource,
  renderEtcdRestoreStart,
  renderEtcdRestoreUploaded,
} from "./host/etcd-restore-scripts";
import { script } from "./host/bash";
import { dependsOnList } from "./k8s-objects";

/** What a preview says while `etcd.restore` is set: an up with a new id rolls the whole cluster back. */
export function etcdRestoreWarning(restore: EtcdRestoreSpec): string {
  const from = "member" in restore.snapshot ? `${restore.snapshot.file ?? "the newest backup"} on ${restore.snapshot.member}` : `${restore.snapshot.path} (uploaded)`;
  return (
    `etcd.restore ${restore.id} is set: the first up with this id ROLLS THE WHOLE CLUSTER BACK to the snapshot ${from}. ` +
    "Everything written to the cluster after it is lost, and the API is down until the restore ends. " +
    "The steps named etcd-restore-" +
    restore.id +
    " run once; remove etcd.restore afterwards (docs/operations.md)."
  );
}

export interface EtcdRestoreArgs {
  /** The restore's id and snapshot (`etcd.restore`). */
  readonly restore: EtcdRestoreSpec;
  /** The etcd members, in the cluster's order; they start again in this order. */
  readonly members: readonly HostSpec[];
  /** The masters whose control plane stops during the restore and starts after it. @default [] */
  readonly masters?: readonly HostSpec[];
  /** SSH private key for the hosts (a secret); a member reading the snapshot from another uses it too. */
  readonly sshPrivateKey: pulumi.Input<string>;
  /** The restored cluster's token; it must differ from the token of every cluster before. */
  readonly clusterToken: pulumi.Input<string>;
  /** Where the members keep their backups: a snapshot `{member}` without `file` is the newest there. */
  readonly backupDirectory: string;
}

export class EtcdRestore extends pulumi.ComponentResource {
  /** The last steps: every member healthy and every master ready on the restored data. */
  readonly done: pulumi.Resource[];

  constructor(name: string, args: EtcdRestoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("onprem-k8s:index:EtcdRestore", name, {}, opts);
    const { restore, members, sshPrivateKey } = args;
    const masters = args.masters ?? [];
    const { id, snapshot } = restore;
    const after = dependsOnList(opts);
    const step = (stepName: string, host: HostSpec, text: pulumi.Input<string>, o: Parameters<typeof hostStep>[4] = {}) =>
      hostStep(`${name}-${host.name}-${stepName}`, host, sshPrivateKey, text, { parent: this, ...o });
    // Removing etcd.restore from the config removes the staged snapshot and the data it replaced.
    const cleanUp = (host: HostSpec) => script(`etcd restore ${id}: clean up on ${host.name}`, `rm -rf ${etcdRestoreDir(id)}\necho "etcd restore ${id}: staged files removed"`);

    // 1. The same snapshot on every member, checked before anything stops.
    let staged: command.remote.Command[];
    if ("member" in snapshot) {
      const source = members.find((m) => m.name === snapshot.member);
      if (source?.sshHostKey === undefined) throw new Error(`EtcdRestore ${name}: ${snapshot.member} is not an etcd member with a pinned sshHostKey`);
      const first = step("stage", source, renderEtcdRestoreSource({ id, member: source.name, file: snapshot.file, backupDirectory: args.backupDirectory }), {
        dependsOn: after,
        deleteScript: cleanUp(source),
      });
      const sourceHost = { name: source.name, address: source.address, sshPort: source.sshPort, sshUser: source.sshUser, sshHostKey: source.sshHostKey };
      const others = members
        .filter((m) => m !== source)
        .map((m) =>
          step("stage", m, renderEtcdRestoreFetch({ id, member: m.name, source: sourceHost }), {
            dependsOn: [first],
            secrets: pulumi.output(sshPrivateKey).apply((key) => ({ [ETCD_RESTORE_SECRETS.sshKey]: key })),
            deleteScript: cleanUp(m),
          }),
        );
      staged = [first, ...others];
    } else {
      staged = members.map((m) => {
        const upload = new command.remote.CopyToRemote(
          `${name}-${m.name}-upload`,
          { connection: sshConnection(m, sshPrivateKey), source: new pulumi.asset.FileAsset(snapshot.path), remotePath: etcdRestoreUploadPath(id), triggers: [snapshot.sha256] },
          { parent: this, dependsOn: after },
        );
        return step("stage", m, renderEtcdRestoreUploaded({ id, member: m.name, sha256: snapshot.sha256, path: snapshot.path }), { dependsOn: [upload], deleteScript: cleanUp(m) });
      });
    }

    // 2. No apiserver runs while etcd goes back in time.
    const held = masters.map((m) => step("hold", m, renderControlPlaneHold({ id, master: m.name }), { dependsOn: staged }));

    // 3. Every member's data from the snapshot, side by side: the cluster is down until they all start.
    const peers = members.map((m) => ({ name: m.name, address: m.address }));
    const restored = members.map((m) =>
      step(
        "data",
        m,
        pulumi.output(args.clusterToken).apply((clusterToken) => renderEtcdRestoreData({ id, member: { name: m.name, address: m.address }, peers, clusterToken })),
        { dependsOn: [...staged, ...held] },
      ),
    );

    // 4. One member at a time, each gated on health from the one that makes a quorum.
    let previous: pulumi.Resource[] = restored;
    for (const [index, m] of members.entries()) {
      previous = [step("start", m, renderEtcdRestoreStart({ id, member: { name: m.name, address: m.address }, index, memberCount: members.length }), { dependsOn: previous })];
    }

    // 5. The control plane again, each master ready on the restored data.
    const resumed = masters.map((m) => step("resume", m, renderControlPlaneResume({ id, master: { name: m.name, address: m.address } }), { dependsOn: previous }));
    this.done = resumed.length > 0 ? resumed : previous;
    this.registerOutputs({});
  }
}
