import { cephRbdManifests } from "../../../components/charts/ceph-csi-chart";
import { cephRbd } from "./fixtures";

describe("ceph-csi RBD chart", () => {
  const objects = cephRbdManifests(cephRbd) as any[];
  const storageClass = objects.find((o) => o.kind === "StorageClass");

  test("the csi cluster config lists the cluster's monitors", () => {
    const config = objects.find((o) => o.kind === "ConfigMap");
    expect(config.metadata).toEqual({ name: "ceph-csi-config", namespace: "ceph-csi" });
    expect(JSON.parse(config.data["config.json"])).toEqual([{ clusterID: cephRbd.clusterId, monitors: cephRbd.monitors }]);
  });

  test("a StorageClass for rbd.csi.ceph.com with the seed's pool, fs, features and reclaim policy", () => {
    expect(storageClass.provisioner).toBe("rbd.csi.ceph.com");
    expect(storageClass.metadata.name).toBe("ceph-rdb");
    expect(storageClass.reclaimPolicy).toBe("Retain");
    expect(storageClass.allowVolumeExpansion).toBe(true);
    expect(storageClass.parameters).toMatchObject({
      clusterID: cephRbd.clusterId,
      pool: "kube",
      imageFeatures: "layering",
      "csi.storage.k8s.io/fstype": "xfs",
    });
  });

  test("admin credentials provision and expand; user credentials stage on nodes", () => {
    expect(storageClass.parameters).toMatchObject({
      "csi.storage.k8s.io/provisioner-secret-name": "csi-rbd-admin",
      "csi.storage.k8s.io/provisioner-secret-namespace": "ceph-csi",
      "csi.storage.k8s.io/controller-expand-secret-name": "csi-rbd-admin",
      "csi.storage.k8s.io/controller-expand-secret-namespace": "ceph-csi",
      "csi.storage.k8s.io/node-stage-secret-name": "csi-rbd-user",
      "csi.storage.k8s.io/node-stage-secret-namespace": "ceph-csi",
    });
    expect(objects.filter((o) => o.kind === "Secret").map((o) => o.metadata.name)).toEqual(["csi-rbd-admin", "csi-rbd-user"]);
  });

  test("defaults, and the default-class annotation when asked", () => {
    const defaults = cephRbdManifests({ clusterId: "c", monitors: ["m:6789"], pool: "p", isDefaultClass: true }) as any[];
    const sc = defaults.find((o) => o.kind === "StorageClass");
    expect(sc.metadata).toEqual({ name: "ceph-rbd", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } });
    expect(sc.reclaimPolicy).toBe("Delete");
    expect(sc.parameters["csi.storage.k8s.io/fstype"]).toBe("ext4");
  });

  test("an existing image becomes a static PersistentVolume of the class, reserved for its claim", () => {
    const withVolume = cephRbdManifests({
      ...cephRbd,
      staticVolumes: [{ name: "go2cloud-shared", image: "kubernetes-dynamic-pvc-1", size: "8Gi", claim: { namespace: "default", name: "go2cloud-api-pvc" } }],
    }) as any[];
    const volumes = withVolume.filter((o) => o.kind === "PersistentVolume");
    expect(volumes).toHaveLength(1);
    expect(volumes[0].spec).toMatchObject({
      storageClassName: "ceph-rdb",
      capacity: { storage: "8Gi" },
      accessModes: ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Retain",
      claimRef: { namespace: "default", name: "go2cloud-api-pvc" },
      csi: {
        driver: "rbd.csi.ceph.com",
        fsType: "xfs",
        volumeHandle: "kubernetes-dynamic-pvc-1",
        volumeAttributes: { clusterID: cephRbd.clusterId, pool: "kube", staticVolume: "true", imageFeatures: "layering" },
        nodeStageSecretRef: { name: "csi-rbd-user", namespace: "ceph-csi" },
      },
    });
    expect(objects.filter((o) => o.kind === "PersistentVolume")).toEqual([]);
  });
});
