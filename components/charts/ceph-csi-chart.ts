import * as kplus from "cdk8s-plus-28";
import { ManifestObject, newChart, renderChart } from "./chart-app";
import { CephRbdSpec } from "../../spec/ceph-rbd";

const kube = kplus.k8s;

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
