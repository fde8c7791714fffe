// registerObjects' previousName: the name an object's resource had before becomes an alias of that name alone.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { registerObjects } from "../../../components/k8s-objects";
import { installMocks, recordAliases, recordedAliases, settle } from "./mocks";

class Owner extends pulumi.ComponentResource {
  constructor(name: string) {
    super("test:index:Owner", name, {}, { transformations: [recordAliases] });
  }
}

test("an object with a previous name gets an alias to it; one without gets none", async () => {
  await installMocks();
  const provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
  registerObjects(
    "objects",
    [
      { apiVersion: "v1", kind: "Node", metadata: { name: "n1" } },
      { apiVersion: "v1", kind: "Node", metadata: { name: "n2" } },
    ],
    { parent: new Owner("owner"), provider, previousName: (o) => (o.metadata.name === "n1" ? "objects-n1" : undefined) },
  );
  await settle();
  expect(recordedAliases.get("kubernetes:core/v1:Node::objects/n1")).toEqual([{ name: "objects-n1" }]);
  expect(recordedAliases.get("kubernetes:core/v1:Node::objects/n2")).toEqual([]);
});
