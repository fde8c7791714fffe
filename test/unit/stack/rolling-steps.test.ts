// Every rolling chain of host steps in the stack: the first host's step waits for its component's own dependsOn, which
// Pulumi does not pass down to a component's children, and each next host's step for the previous one. The real nodes
// roll in batches of kubernetes.nodeBatchSize: every step of a batch waits for every step of the previous batch, and
// the first batch for a gate NodeBootstrap is given, so that the nodes' packages and binaries install meanwhile.
import { installMocks, RecordedResource, runStack } from "./stack-harness";
import { labConfig, labConfigWithControlPlane } from "./stack-config";
import { testHostKey } from "../hosts";

jest.setTimeout(60_000);

const MASTERS = ["lab1", "lab2", "lab3"];
// The lab's workers and edge nodes, all real, in the hosts' order.
const NODES: string[] = labConfig()
  .raw.hosts.filter((h: any) => h.roles.includes("worker") || h.roles.includes("edge"))
  .map((h: any) => h.name);
const NODE_BOOTSTRAP = "onprem-k8s:index:NodeBootstrap::node-bootstrap";
/** What a node's kubelet step needs besides its turn: its binaries, Debian's containerd and the drain before an upgrade. */
const nodeNeeds = (host: string) => [`node-bootstrap-${host}-kubernetes-node-install`, `node-bootstrap-${host}-packages`, `node-bootstrap-${host}-upgrade-drain`];
/** A node's last step, its uncordon (the membership step), which the next node or batch waits for. */
const nodeDone = (host: string) => `node-bootstrap-${host}-membership`;

/**
 * The lab stack with its releases, so that the control plane and NodeBootstrap have steps too; its real nodes roll one
 * node at a time here, a chain like the others (the batches have tests of their own).
 */
function config(): { raw: Record<string, any>; secretKeys: string[] } {
  const { raw, secretKeys } = labConfigWithControlPlane();
  raw.kubernetes = { ...raw.kubernetes, nodeBatchSize: 1 };
  return { raw, secretKeys };
}

interface Chain {
  /** `TYPE::NAME` of the component. */
  readonly component: string;
  /** What the stack makes the component depend on. */
  readonly dependsOn: string[];
  /** What the first host's step waits for besides its needs. @default dependsOn */
  readonly gate?: string[];
  readonly hosts: string[];
  /** The host's step in the chain, and what it needs besides its turn. */
  readonly step: (host: string) => string;
  readonly needs: (host: string) => string[];
  /** The host's last step, which the next host waits for. @default step */
  readonly done?: (host: string) => string;
}

const chains: [string, Chain][] = [
  [
    "EtcdCluster etcd",
    { component: "onprem-k8s:index:EtcdCluster::etcd", dependsOn: MASTERS.map((h) => `preflight-${h}`), hosts: MASTERS, step: (h) => `etcd-${h}-member`, needs: (h) => [`etcd-${h}-etcd-install`] },
  ],
  [
    "LoadBalancerPair etcd",
    { component: "onprem-k8s:index:LoadBalancerPair::etcd", dependsOn: ["etcd-health"], hosts: MASTERS, step: (h) => `etcd-${h}-config`, needs: (h) => [`etcd-${h}-packages`] },
  ],
  [
    "LoadBalancerPair api",
    { component: "onprem-k8s:index:LoadBalancerPair::api", dependsOn: MASTERS.map((h) => `preflight-${h}`), hosts: MASTERS, step: (h) => `api-${h}-config`, needs: (h) => [`api-${h}-packages`] },
  ],
  [
    "LoadBalancerPair edge",
    { component: "onprem-k8s:index:LoadBalancerPair::edge", dependsOn: MASTERS.map((h) => `preflight-${h}`), hosts: MASTERS, step: (h) => `edge-${h}-config`, needs: (h) => [`edge-${h}-packages`] },
  ],
  [
    "LoadBalancerPair registry",
    {
      component: "onprem-k8s:index:LoadBalancerPair::registry",
      dependsOn: MASTERS.map((h) => `preflight-${h}`),
      hosts: MASTERS,
      step: (h) => `registry-${h}-config`,
      needs: (h) => [`registry-${h}-packages`],
    },
  ],
  [
    "ImageRegistry image-registry",
    {
      component: "onprem-k8s:index:ImageRegistry::image-registry",
      dependsOn: MASTERS.map((h) => `preflight-${h}`),
      hosts: ["lab1", "lab2"],
      step: (h) => `image-registry-${h}`,
      needs: (h) => [`image-registry-${h}-registry-install`],
    },
  ],
  [
    "HaControlPlane control-plane",
    {
      component: "onprem-k8s:index:HaControlPlane::control-plane",
      dependsOn: ["etcd-health"],
      hosts: MASTERS,
      step: (h) => `control-plane-${h}-master`,
      needs: (h) => [`control-plane-${h}-kubernetes-install`],
    },
  ],
  [
    "NodeBootstrap node-bootstrap",
    {
      component: NODE_BOOTSTRAP,
      // Nothing holds the component back: its packages and binaries install while the control plane comes up.
      dependsOn: [],
      // The kubelets start once the control plane is ready, and pull their images once the mirrors are in place.
      gate: ["control-plane-ready", ...NODES.map((h) => `registry-mirrors-${h}`)],
      hosts: NODES,
      step: (h) => `node-bootstrap-${h}-kubelet`,
      needs: nodeNeeds,
      done: nodeDone,
    },
  ],
];

let resources: Map<string, RecordedResource>;

beforeAll(async () => {
  await installMocks();
  const { raw, secretKeys } = config();
  resources = await runStack(raw, secretKeys);
});

describe("rolling host steps", () => {
  test.each(chains)("%s: the first host's step waits for the component's dependsOn (or its gate), each next one for the previous host's", (_name, chain) => {
    expect(resources.get(chain.component)!.dependsOn).toEqual(chain.dependsOn);
    const dependsOn = (host: string) => resources.get(`command:remote:Command::${chain.step(host)}`)!.dependsOn;
    const [first, ...rest] = chain.hosts;
    expect(dependsOn(first)).toEqual([...chain.needs(first), ...(chain.gate ?? chain.dependsOn)]);
    const done = chain.done ?? chain.step;
    rest.forEach((host, i) => expect(dependsOn(host)).toEqual([...chain.needs(host), done(chain.hosts[i])]));
  });

  test("a load balancer installs its packages only after the component's own dependsOn (the preflight)", () => {
    for (const lb of ["etcd", "api", "edge", "registry"]) {
      const component = resources.get(`onprem-k8s:index:LoadBalancerPair::${lb}`)!.dependsOn;
      MASTERS.forEach((h) => expect([lb, h, resources.get(`command:remote:Command::${lb}-${h}-packages`)!.dependsOn]).toEqual([lb, h, component]));
    }
  });

  test("etcd's and the control plane's binaries install only after their component's dependsOn: the install relinks them", () => {
    for (const [component, install] of [
      ["onprem-k8s:index:EtcdCluster::etcd", (h: string) => `etcd-${h}-etcd-install`],
      ["onprem-k8s:index:HaControlPlane::control-plane", (h: string) => `control-plane-${h}-kubernetes-install`],
    ] as const) {
      const after = resources.get(component)!.dependsOn;
      expect(after.length).toBeGreaterThan(0);
      MASTERS.forEach((h) => expect([install(h), resources.get(`command:remote:Command::${install(h)}`)!.dependsOn]).toEqual([install(h), after]));
    }
  });
});

describe("rolling host batches", () => {
  // Four real nodes of the test's own, whatever the lab's nodes are: two workers, then two edge nodes.
  const REAL: [string, string, string][] = [
    ["lab-w1", "172.31.250.21", "worker"],
    ["lab-w2", "172.31.250.22", "worker"],
    ["lab-e1", "172.31.250.31", "edge"],
    ["lab-e2", "172.31.250.32", "edge"],
  ];

  /** What the first batch waits for: the control plane's gate and every node's registry mirrors. */
  const gate = ["control-plane-ready", ...REAL.map(([name]) => `registry-mirrors-${name}`)];

  /** The lab's masters and the four real nodes, in batches of `nodeBatchSize`: each kubelet step's dependsOn, and with `step`, another step's. */
  async function nodeSteps(nodeBatchSize: number | string): Promise<(host: string, step?: string) => string[]> {
    const { raw, secretKeys } = config();
    const masters = raw.hosts.filter((h: any) => h.roles.includes("master"));
    raw.hosts = [...masters, ...REAL.map(([name, address, role]) => ({ name, address, sshHostKey: testHostKey(name), roles: [role] }))];
    raw.kubernetes = { ...raw.kubernetes, nodeBatchSize };
    const after = await runStack(raw, secretKeys);
    return (host, step = "kubelet") => after.get(`command:remote:Command::node-bootstrap-${host}-${step}`)!.dependsOn;
  }

  test.each([2, "50%"])("nodeBatchSize %p: the first two nodes wait for the control plane's gate, the next two for both of them", async (nodeBatchSize) => {
    const dependsOn = await nodeSteps(nodeBatchSize);
    for (const host of ["lab-w1", "lab-w2"]) expect(dependsOn(host)).toEqual([...nodeNeeds(host), ...gate]);
    for (const host of ["lab-e1", "lab-e2"]) expect(dependsOn(host)).toEqual([...nodeNeeds(host), nodeDone("lab-w1"), nodeDone("lab-w2")]);
    // The drain before an upgrade takes the node's turn too: no node of the next batch drains while one is out.
    expect(dependsOn("lab-w1", "upgrade-drain")).toEqual(gate);
    expect(dependsOn("lab-e1", "upgrade-drain")).toEqual([nodeDone("lab-w1"), nodeDone("lab-w2")]);
  });

  test("nodeBatchSize 100%: every node waits for the control plane's gate alone", async () => {
    const dependsOn = await nodeSteps("100%");
    for (const [host] of REAL) expect(dependsOn(host)).toEqual([...nodeNeeds(host), ...gate]);
  });

  test("nodeBatchSize 3: a last batch of the one node left waits for the three before it", async () => {
    const dependsOn = await nodeSteps(3);
    expect(dependsOn("lab-e2")).toEqual([...nodeNeeds("lab-e2"), nodeDone("lab-w1"), nodeDone("lab-w2"), nodeDone("lab-e1")]);
  });
});
