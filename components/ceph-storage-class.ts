import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { cephRbdDefaults, cephRbdManifests } from "./charts/ceph-csi-chart";
import { CephRbdSpec } from "../spec/ceph-rbd";
import { checkDnsLabel, checkDnsSubdomain } from "../spec/names";
import { dependsOnList, plainSecretProblems, registerObjects } from "./k8s-objects";

/**
 * Arguments of CephStorageClass: the chart spec (see CephRbdSpec for each field) plus the provider
 * and the Ceph credentials.
 */
export interface CephStorageClassArgs extends CephRbdSpec {
  /** Provider of the cluster the StorageClass is created in. */
  readonly provider: k8s.Provider;
  /** Ceph user that creates, deletes and resizes images (in-tree `adminId`). @default "admin" */
  readonly adminId?: string;
  /** Key of `adminId` (`ceph auth get-key client.admin`), as a Pulumi secret; not base64-encoded. */
  readonly adminKey: pulumi.Output<string>;
  /** Ceph user that maps images on the nodes (in-tree `userId`). @default "kube" */
  readonly userId?: string;
  /** Key of `userId` (`ceph auth get-key client.kube`), as a Pulumi secret; not base64-encoded. */
  readonly userKey: pulumi.Output<string>;
}

function cephArgsProblems(args: CephStorageClassArgs): string[] {
  const problems = [
    args.clusterId ? undefined : "clusterId: empty; give the Ceph cluster fsid (`ceph fsid`).",
    args.monitors.length > 0 ? undefined : "monitors: empty; give at least one monitor address, e.g. 10.0.0.1:6789.",
    args.pool ? undefined : "pool: empty; give the RBD pool name, e.g. kube.",
    args.csiNamespace === undefined ? undefined : checkDnsLabel("csiNamespace", args.csiNamespace),
    args.storageClassName === undefined ? undefined : checkDnsSubdomain("storageClassName", args.storageClassName),
    ...plainSecretProblems({ adminKey: args.adminKey, userKey: args.userKey }),
    ...(args.staticVolumes ?? []).flatMap((v, i) => [
      checkDnsSubdomain(`staticVolumes[${i}].name`, v.name),
      v.image ? undefined : `staticVolumes[${i}].image: empty; give the RBD image name (\`rbd ls ${args.pool}\`).`,
      /^[0-9]+(\.[0-9]+)?([KMGTPE]i?)?$/.test(v.size) ? undefined : `staticVolumes[${i}].size: "${v.size}" is not a quantity; give it like 8Gi.`,
      v.claim && (!v.claim.namespace || !v.claim.name) ? `staticVolumes[${i}].claim: needs namespace and name.` : undefined,
    ]),
  ];
  return problems.filter((problem): problem is string => problem !== undefined);
}

/**
 * A Ceph RBD StorageClass served by ceph-csi (`rbd.csi.ceph.com`): the csi cluster config, the
 * admin and user Secrets and the class. The ceph-csi RBD driver itself (provisioner Deployment and
 * node plugin DaemonSet) must run in `csiNamespace`; this component does not install it.
 *
 * Mapping from the in-tree `ceph.com/rbd` / `kubernetes.io/rbd` parameters (see docs/ceph.md):
 * - `monitors` → `monitors` of the `ceph-csi-config` ConfigMap entry; the class names only `clusterID`.
 * - `adminId` + `adminSecretName`/`adminSecretNamespace` (key `key`) → Secret `adminSecretName`
 *   with `userID`/`userKey`, named by the provisioner-secret and controller-expand-secret parameters.
 * - `userId` + `userSecretName`/`userSecretNamespace` (key `key`) → Secret `userSecretName` with
 *   `userID`/`userKey`, named by the node-stage-secret parameters.
 * - `pool` → `pool`; `fsType` → `csi.storage.k8s.io/fstype`; `imageFeatures` → `imageFeatures`.
 * - `imageFormat: "2"` → dropped: ceph-csi always creates format 2 images.
 */
export class CephStorageClass extends pulumi.ComponentResource {
  /** Name of the StorageClass, for PVCs' `storageClassName`. */
  public readonly storageClassName: pulumi.Output<string>;

  constructor(name: string, args: CephStorageClassArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = cephArgsProblems(args);
    if (problems.length > 0) {
      throw new Error(`CephStorageClass "${name}" has invalid arguments:\n${problems.map((p) => `- ${p}`).join("\n")}`);
    }
    super("onprem-k8s:storage:CephStorageClass", name, {}, opts);

    const { provider, adminId, adminKey, userId, userKey, ...spec } = args;
    const credentials = (id: string, key: pulumi.Output<string>) => pulumi.secret(key.apply((userKeyValue): Record<string, string> => ({ userID: id, userKey: userKeyValue })));
    registerObjects(name, cephRbdManifests(spec), {
      parent: this,
      provider,
      secretData: {
        [spec.adminSecretName ?? cephRbdDefaults.adminSecretName]: credentials(adminId ?? "admin", adminKey),
        [spec.userSecretName ?? cephRbdDefaults.userSecretName]: credentials(userId ?? "kube", userKey),
      },
      dependsOn: dependsOnList(opts),
    });

    this.storageClassName = pulumi.output(spec.storageClassName ?? cephRbdDefaults.storageClassName);
    this.registerOutputs({ storageClassName: this.storageClassName });
  }
}
