import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { registerObjects } from "../../../components/k8s-objects";
import { installMocks } from "./mocks";

class Owner extends pulumi.ComponentResource {
  constructor(name: string) {
    super("test:index:Owner", name);
  }
}

let provider: k8s.Provider;
beforeAll(async () => {
  await installMocks();
  provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
});

describe("registerObjects", () => {
  test("built-in kinds get their typed class; a custom resource gets CustomResource", () => {
    const registered = registerObjects(
      "objects",
      [
        { apiVersion: "v1", kind: "PersistentVolume", metadata: { name: "data" } },
        { apiVersion: "traefik.io/v1alpha1", kind: "Middleware", metadata: { name: "m", namespace: "traefik" } },
      ],
      { parent: new Owner("owner"), provider },
    );
    expect(registered[0].resource).toBeInstanceOf(k8s.core.v1.PersistentVolume);
    expect(registered[1].resource).toBeInstanceOf(k8s.apiextensions.CustomResource);
  });

  test("a built-in kind without a class is an error, not a type no provider knows", () => {
    for (const apiVersion of ["v1", "batch/v1", "scheduling.k8s.io/v1"]) {
      expect(() => registerObjects("objects", [{ apiVersion, kind: "Unlisted", metadata: { name: "x" } }], { parent: new Owner(`owner-${apiVersion}`), provider })).toThrow(
        `${apiVersion}/Unlisted has no typed class in components/k8s-objects.ts: add it to factories`,
      );
    }
  });
});
