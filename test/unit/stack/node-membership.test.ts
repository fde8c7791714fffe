// The lab stack's real nodes join and leave through the first master: each node's membership step comes after its
// NodePatch, so that on removal the drain runs first and the kubelet stops last.
import { RecordedResource, installMocks, runStack } from "./stack-harness";
import { labConfig, labConfigWithControlPlane } from "./stack-config";

jest.setTimeout(60_000);

let resources: Map<string, RecordedResource>;
const NODES: string[] = labConfig()
  .raw.hosts.filter((h: any) => h.roles.includes("worker") || h.roles.includes("edge"))
  .map((h: any) => h.name);

beforeAll(async () => {
  await installMocks();
  const { raw, secretKeys } = labConfigWithControlPlane();
  resources = await runStack(raw, secretKeys);
});

test.each(NODES)("%s joins and leaves through lab1, after its NodePatch", (node) => {
  const step = resources.get(`command:remote:Command::node-bootstrap-${node}-membership`)!;
  expect(step.dependsOn).toEqual([`node-bootstrap-${node}`]);
  expect(resources.get(`kubernetes:core/v1:NodePatch::node-bootstrap-${node}`)!.dependsOn).toEqual([`node-bootstrap-${node}-kubelet`]);
  expect(step.inputs.connection.host).toBe("172.31.250.11");
  expect(step.inputs.create).toContain(`uncordon ${node}`);
  expect(step.inputs.delete).toContain(`k drain ${node} --ignore-daemonsets`);
  expect(step.inputs.delete).toContain("--server https://172.31.250.101:6443");
});
