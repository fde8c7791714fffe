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
