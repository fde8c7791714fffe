import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CephStorageClass } from "../../../components/ceph-storage-class";
import { cephRbd } from "../charts/fixtures";
import { childrenOf, installMocks, isWrappedSecret, settle, valueOf } from "./mocks";

const adminKey = "AQBF+fRcAdminKeyExample==";
const userKey = "AQBF+fRcUserKeyExample==";

let provider: k8s.Provider;
beforeAll(async () => {
  await installMocks();
  provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
});

describe("CephStorageClass", () => {
  let ceph: CephStorageClass;
  beforeAll(async () => {
    ceph = new CephStorageClass("ceph", {
      ...cephRbd,
      provider,
      adminKey: pulumi.secret(adminKey),
      userId: "kube",
      userKey: pulumi.secret(userKey),
    });
    await settle();
  });

  test("the csi config, two Secrets and the StorageClass", () => {
    expect(
      childrenOf("ceph")
        .map((r) => `${r.type} ${r.name}`)
        .sort(),
    ).toEqual([
      "kubernetes:core/v1:ConfigMap ceph/ceph-csi/ceph-csi-config",
      "kubernetes:core/v1:Secret ceph/ceph-csi/csi-rbd-admin",
      "kubernetes:core/v1:Secret ceph/ceph-csi/csi-rbd-user",
      "kubernetes:storage.k8s.io/v1:StorageClass ceph/ceph-rdb",
    ]);
  });

  test("Secrets carry ceph-csi's userID/userKey, as secrets", () => {
    const secrets = childrenOf("ceph").filter((r) => r.type === "kubernetes:core/v1:Secret");
    for (const secret of secrets) expect(isWrappedSecret(secret.inputs.stringData)).toBe(true);
    expect(secrets.map((s) => s.inputs.stringData.value)).toEqual([
      { userID: "admin", userKey: adminKey },
      { userID: "kube", userKey: userKey },
    ]);
    const others = JSON.stringify(childrenOf("ceph").filter((r) => r.type !== "kubernetes:core/v1:Secret"));
    expect(others).not.toContain(adminKey);
    expect(others).not.toContain(userKey);
  });

  test("outputs the class name", async () => {
    expect(await valueOf(ceph.storageClassName)).toBe("ceph-rdb");
  });

  test("rejects plain keys and missing cluster facts, all at once", () => {
    expect(
      () =>
        new CephStorageClass("bad", {
          provider,
          clusterId: "",
          monitors: [],
          pool: "kube",
          adminKey: adminKey as unknown as pulumi.Output<string>,
          userKey: pulumi.secret(userKey),
        }),
    ).toThrow(
      new Error(
        [
          'CephStorageClass "bad" has invalid arguments:',
          "- clusterId: empty; give the Ceph cluster fsid (`ceph fsid`).",
          "- monitors: empty; give at least one monitor address, e.g. 10.0.0.1:6789.",
          '- adminKey: a plain value was given where a secret is required; pass pulumi.secret(value) or config.requireSecret("<key>") instead.',
        ].join("\n"),
      ),
    );
  });

  test("rejects a static volume without an image or with a size that is no quantity", () => {
    const make = () =>
      new CephStorageClass("bad-volume", {
        ...cephRbd,
        provider,
        adminKey: pulumi.secret(adminKey),
        userKey: pulumi.secret(userKey),
        staticVolumes: [{ name: "data", image: "", size: "eight" }],
      });
    expect(make).toThrow("staticVolumes[0].image: empty; give the RBD image name (`rbd ls kube`).");
    expect(make).toThrow('staticVolumes[0].size: "eight" is not a quantity; give it like 8Gi.');
  });
});
