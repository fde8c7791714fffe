import * as kplus from "cdk8s-plus-28";
import { ManifestObject, newChart, renderChart } from "./chart-app";

const kube = kplus.k8s;

/** Everything the Ceph RBD chart renders; plain data, no Pulumi types, no secret values. */
export interface CephRbdSpec {
  /** Ceph cluster fsid (`ceph fsid`), the key ceph-csi uses to find the monitors. */
  readonly clusterId: string;
  /** Monitor addresses, e.g. `["10.0.0.1:6789", "10.0.0.2:6789"]`. */
  readonly monitors: readonly string[];
  /** RBD pool the images are created in, e.g. `kube`. */
  readonly pool: string;
  /** Namespace where the ceph-csi RBD driver runs and reads its config and Secrets. @default "ceph-csi" */
  readonly csiNamespace?: string;
  /** Create `csiNamespace` here, for a cluster where the driver is not installed yet. @default false */
  readonly createNamespace?: boolean;
  /** @default "ceph-rbd" */
  readonly storageClassName?: string;
  /** Filesystem created on new volumes. @default "ext4" */
  readonly fsType?: "ext4" | "xfs";
  /** RBD image features; `layering` is the one every kernel client supports. @default "layering" */
  readonly imageFeatures?: string;
  /** @default "Delete" */
  readonly reclaimPolicy?: "Delete" | "Retain";
  /** @default true */
  readonly allowVolumeExpansion?: boolean;
  /** Mark the class as the cluster default. @default false */
  readonly isDefaultClass?: boolean;
  /** Secret with the admin (provisioner) credentials. @default "csi-rbd-admin" */
  readonly adminSecretName?: string;
  /** Secret with the user (node) credentials. @default "csi-rbd-user" */
  readonly userSecretName?: string;
  /**
   * RBD images that already exist, such as those the in-tree provisioner made, as PersistentVolumes of this class
   * (ceph-csi static volumes), each bound to the claim that keeps using its data. @default []
   */
  readonly staticVolumes?: readonly CephStaticVolume[];
}

/** An existing RBD image in `pool`, offered to one claim. */
export interface CephStaticVolume {
  /** PersistentVolume name. */
  readonly name: string;
  /** RBD image name in the pool (`rbd ls POOL`). */
  readonly image: string;
  /** Capacity as a Kubernetes quantity, e.g. `8Gi`; at least the claim's request. */
  readonly size: string;
  /** The claim this volume is reserved for; without it any claim of the class may bind it. */
  readonly claim?: { readonly namespace: string; readonly name: string };
  /** @default "ReadWriteOnce" */
  readonly accessMode?: "ReadWriteOnce" | "ReadOnlyMany" | "ReadWriteMany" | "ReadWriteOncePod";
}

export const cephRbdDefaults = {
  csiNamespace: "ceph-csi",
  storageClassName: "ceph-rbd",
  fsType: "ext4",
  imageFeatures: "layering",
  reclaimPolicy: "Delete",
  adminSecretName: "csi-rbd-admin",
  userSecretName: "csi-rbd-user",
} as const;

/**
 * Renders the ceph-csi RBD cluster config (`ceph-csi-config`), the admin and user Secret shapes
 * (their keys are attached outside the chart) and the StorageClass. A pure function of its argument.
 */
export function cephRbdManifests(spec: CephRbdSpec): ManifestObject[] {
  const namespace = spec.csiNamespace ?? cephRbdDefaults.csiNamespace;
  const adminSecret = spec.adminSecretName ?? cephRbdDefaults.adminSecretName;
  const userSecret = spec.userSecretName ?? cephRbdDefaults.userSecretName;
  const chart = newChart("ceph-rbd");
  if (spec.createNamespace) new kplus.Namespace(chart, "namespace", { metadata: { name: namespace } });

  new kplus.ConfigMap(chart, "csi-config", {
    metadata: { name: "ceph-csi-config", namespace },
    data: { "config.json": JSON.stringify([{ clusterID: spec.clusterId, monitors: spec.monitors }], null, 2) },
  });
  for (const name of [adminSecret, userSecret]) {
    new kube.KubeSecret(chart, name, { metadata: { name, namespace }, type: "Opaque" });
  }
  new kube.KubeStorageClass(chart, "storage-class", {
    metadata: {
      name: spec.storageClassName ?? cephRbdDefaults.storageClassName,
      annotations: spec.isDefaultClass ? { "storageclass.kubernetes.io/is-default-class": "true" } : undefined,
    },
    provisioner: "rbd.csi.ceph.com",
    parameters: {
      clusterID: spec.clusterId,
      pool: spec.pool,
      imageFeatures: spec.imageFeatures ?? cephRbdDefaults.imageFeatures,
      "csi.storage.k8s.io/fstype": spec.fsType ?? cephRbdDefaults.fsType,
      "csi.storage.k8s.io/provisioner-secret-name": adminSecret,
      "csi.storage.k8s.io/provisioner-secret-namespace": namespace,
      "csi.storage.k8s.io/controller-expand-secret-name": adminSecret,
      "csi.storage.k8s.io/controller-expand-secret-namespace": namespace,
      "csi.storage.k8s.io/node-stage-secret-name": userSecret,
      "csi.storage.k8s.io/node-stage-secret-namespace": namespace,
    },
    reclaimPolicy: spec.reclaimPolicy ?? cephRbdDefaults.reclaimPolicy,
    allowVolumeExpansion: spec.allowVolumeExpansion ?? true,
  });
  for (const volume of spec.staticVolumes ?? []) {
    new kube.KubePersistentVolume(chart, `volume-${volume.name}`, {
      metadata: { name: volume.name },
      spec: {
        accessModes: [volume.accessMode ?? "ReadWriteOnce"],
        capacity: { storage: kube.Quantity.fromString(volume.size) },
        storageClassName: spec.storageClassName ?? cephRbdDefaults.storageClassName,
        // ceph-csi never deletes a static image; Retain says so to Kubernetes too.
        persistentVolumeReclaimPolicy: "Retain",
        volumeMode: "Filesystem",
        claimRef: volume.claim && { namespace: volume.claim.namespace, name: volume.claim.name },
        csi: {
          driver: "rbd.csi.ceph.com",
          fsType: spec.fsType ?? cephRbdDefaults.fsType,
          volumeHandle: volume.image,
          volumeAttributes: { clusterID: spec.clusterId, pool: spec.pool, staticVolume: "true", imageFeatures: spec.imageFeatures ?? cephRbdDefaults.imageFeatures },
          nodeStageSecretRef: { name: userSecret, namespace },
        },
      },
    });
  }
  return renderChart(chart);
}
