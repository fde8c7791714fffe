// The host-step graph of the lab stack under mocks: what runs before what, and which steps a config change re-runs.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { installMocks, RecordedResource, runStack } from "./stack-harness";
import { labConfig as sharedLabConfig } from "./stack-config";
import { testHostKey } from "../hosts";

jest.setTimeout(60_000);

type Resources = Map<string, RecordedResource>;
const step = (resources: Resources, name: string) => resources.get(`command:remote:Command::${name}`)!;
const HOSTS = ["lab1", "lab2", "lab3"];
const each = (pattern: string) => HOSTS.map((h) => pattern.replace("HOST", h));
/** The lab's real workers and edge nodes, in the hosts' order. */
const NODES = ["lab-w1", "lab-e1", "lab-w2", "lab-e2"];
const eachNode = (pattern: string) => NODES.map((h) => pattern.replace("HOST", h));

/** The lab stack as scripts/lab/stack-config.sh completes it, with the kubernetes-server and kwok releases too. */
function labConfig(): { raw: Record<string, any>; secretKeys: string[] } {
  const { raw, secretKeys } = sharedLabConfig();
  raw.artifacts = {
    ...raw.artifacts,
    kubernetes: { url: "http://172.31.250.1:8080/artifacts/kubernetes-server.tar.gz", sha256: "e".repeat(64) },
    kwok: { url: "http://172.31.250.1:8080/artifacts/kwok.tar.gz", sha256: "f".repeat(64) },
  };
  raw.versions = { ...raw.versions, kubernetes: "v1.34.4" };
  raw.secretsEncryptionKey = Buffer.alloc(32, 3).toString("base64");
  raw.imageRegistry = { ...raw.imageRegistry, bundle: BUNDLE };
  return { raw, secretKeys };
}

/** The lab with its workers and edge nodes simulated by kwok instead (NodePool's path): no SSH, so no host key. */
function simulatedLabConfig(): { raw: Record<string, any>; secretKeys: string[] } {
  const { raw, secretKeys } = labConfig();
  raw.hosts = raw.hosts.map(({ sshHostKey, ...h }: any) => (NODES.includes(h.name) ? { ...h, simulated: true } : { ...h, sshHostKey }));
  return { raw, secretKeys };
}
const resource = (resources: Resources, type: string, name: string) => resources.get(`${type}::${name}`)!;
/** The registry hosts' steps. */
const REGISTRY_HOSTS = ["image-registry-lab1", "image-registry-lab2"];

/** The test's own copy of the bundle fixture, at a fixed place as a site keeps its bundle. */
const BUNDLE = fs.mkdtempSync(path.join(os.tmpdir(), "bundle-"));
const FIXTURE = path.resolve(__dirname, "../../fixtures/bundle");
for (const file of fs.readdirSync(FIXTURE)) fs.copyFileSync(path.join(FIXTURE, file), path.join(BUNDLE, file));

/** Gives `image` another digest in the bundle, as a rebuilt image copied over the old one would; undone after each test. */
function newDigest(image: string): string {
  const bundle = JSON.parse(fs.readFileSync(path.join(FIXTURE, "bundle.json"), "utf8"));
  for (const entry of bundle.images) if (entry.name === image) entry.digest = `sha256:${"a".repeat(64)}`;
  fs.writeFileSync(path.join(BUNDLE, "bundle.json"), JSON.stringify(bundle));
  return BUNDLE;
}
afterEach(() => fs.copyFileSync(path.join(FIXTURE, "bundle.json"), path.join(BUNDLE, "bundle.json")));

/** Host steps whose script differs between two runs: exactly the steps a real `up` would re-run. */
// What makes a step run again: its script, its secrets on stdin, or the file it copies, unless the step ignores it.
const runInputs = (r: RecordedResource | undefined) => JSON.stringify((["create", "stdin", "source"] as const).map((k) => (r?.ignoreChanges.includes(k) ? "ignored" : r?.inputs[k])));

function rerunSteps(before: Resources, after: Resources): string[] {
  return [...after.values()]
    .filter((r) => r.type.startsWith("command:"))
    .filter((r) => runInputs(r) !== runInputs(before.get(`${r.type}::${r.name}`)))
    .map((r) => r.name)
    .sort();
}

let baseline: Resources;
let simulatedBaseline: Resources;

beforeAll(async () => {
  await installMocks();
  const { raw, secretKeys } = labConfig();
  baseline = await runStack(raw, secretKeys);
  const simulated = simulatedLabConfig();
  simulatedBaseline = await runStack(simulated.raw, simulated.secretKeys);
});

describe("lab stack step order", () => {
  test("registers the expected host steps", () => {
    const steps = [...baseline.values()]
      .filter((r) => r.type === "command:remote:Command")
      .map((r) => r.name)
      .sort();
    expect(steps).toEqual(
      [
        ...each("preflight-HOST"),
        ...each("etcd-HOST-etcd-install"),
        ...each("etcd-HOST-member"),
        ...each("etcd-HOST-backup"),
        "etcd-health",
        ...each("etcd-HOST-packages"),
        ...each("etcd-HOST-config"),
        ...each("api-HOST-packages"),
        ...each("api-HOST-config"),
        ...each("edge-HOST-packages"),
        ...each("edge-HOST-config"),
        ...each("control-plane-HOST-kubernetes-install"),
        ...each("control-plane-HOST-master"),
        "control-plane-ready",
        ...eachNode("registry-mirrors-HOST"),
        ...eachNode("node-bootstrap-HOST-packages"),
        ...eachNode("node-bootstrap-HOST-kubernetes-node-install"),
        ...eachNode("node-bootstrap-HOST-upgrade-drain"),
        ...eachNode("node-bootstrap-HOST-kubelet"),
        ...eachNode("node-bootstrap-HOST-membership"),
        ...each("registry-HOST-packages"),
        ...each("registry-HOST-config"),
        ...REGISTRY_HOSTS,
        "image-registry-lab1-registry-install",
        "image-registry-lab2-registry-install",
      ].sort(),
    );
  });

  test("each bundle image is pushed once every registry host serves; the pushes run side by side", () => {
    const pushes = [...baseline.values()].filter((r) => r.type === "command:local:Command");
    expect(pushes.map((p) => p.name).sort()).toEqual(["image-registry-push-docker.io-library-redis-4-alpine3.8", "image-registry-push-registry.k8s.io-pause-3.10"]);
    pushes.forEach((p) => expect(p.dependsOn).toEqual(REGISTRY_HOSTS));
  });

  test("no etcd member starts before its binaries are installed", () => {
    HOSTS.forEach((h) => expect(step(baseline, `etcd-${h}-member`).dependsOn).toContain(`etcd-${h}-etcd-install`));
  });

  test("each host's preflight runs once, when the host enters the stack: a new CA of the stack's own does not run it again", () => {
    HOSTS.forEach((h) => expect(step(baseline, `preflight-${h}`).ignoreChanges).toEqual(["create"]));
    expect(step(baseline, "preflight-lab1").inputs.create).toContain("etcd_ca=$(cat <<'ONPREM_K8S_EOF'\nCERT pki-etcd-ca");
  });

  test("member steps form a rolling chain, one host at a time, after every host's preflight", () => {
    expect(step(baseline, "etcd-lab1-member").dependsOn).toEqual(["etcd-lab1-etcd-install", ...each("preflight-HOST")]);
    expect(step(baseline, "etcd-lab2-member").dependsOn).toEqual(["etcd-lab2-etcd-install", "etcd-lab1-member"]);
    expect(step(baseline, "etcd-lab3-member").dependsOn).toEqual(["etcd-lab3-etcd-install", "etcd-lab2-member"]);
  });

  test("the health gate waits for every member; backups and the etcd VIP wait for the gate", () => {
    expect(step(baseline, "etcd-health").dependsOn.sort()).toEqual(each("etcd-HOST-member").sort());
    HOSTS.forEach((h) => expect(step(baseline, `etcd-${h}-backup`).dependsOn).toEqual(["etcd-health"]));
    expect(baseline.get("onprem-k8s:index:LoadBalancerPair::etcd")!.dependsOn).toEqual(["etcd-health"]);
  });

  test("load balancer configs roll one host at a time after their packages", () => {
    expect(step(baseline, "etcd-lab2-config").dependsOn).toEqual(["etcd-lab2-packages", "etcd-lab1-config"]);
  });

  test("master steps form a rolling chain after etcd is healthy; the API gate waits for every master and the API VIP", () => {
    expect(step(baseline, "control-plane-lab1-master").dependsOn).toEqual(["control-plane-lab1-kubernetes-install", "etcd-health"]);
    expect(step(baseline, "control-plane-lab2-master").dependsOn).toEqual(["control-plane-lab2-kubernetes-install", "control-plane-lab1-master"]);
    expect(step(baseline, "control-plane-lab3-master").dependsOn).toEqual(["control-plane-lab3-kubernetes-install", "control-plane-lab2-master"]);
    expect(step(baseline, "control-plane-ready").dependsOn).toEqual([...each("control-plane-HOST-master"), "api"]);
    expect(resource(baseline, "onprem-k8s:index:LoadBalancerPair", "api").dependsOn).toEqual(each("preflight-HOST"));
  });

  test("the Kubernetes provider takes the control plane's admin kubeconfig and waits for its gate", () => {
    const provider = resource(baseline, "pulumi:providers:kubernetes", "cluster");
    expect(provider.dependsOn).toEqual(["control-plane-ready"]);
    // A secret: it arrives wrapped.
    expect(JSON.stringify(provider.inputs.kubeconfig)).toContain("server: https://172.31.250.101:6443");
  });

  test("the provider updates ConfigMaps and Secrets in place: their fixed names would make a replacement delete first", () => {
    const provider = resource(baseline, "pulumi:providers:kubernetes", "cluster");
    expect([String(provider.inputs.enableConfigMapMutable), String(provider.inputs.enableSecretMutable)]).toEqual(["true", "true"]);
  });

  test("Traefik publishes the edge VIP in its Ingresses' status; an Ingress is awaited only when real edge nodes run Traefik", async () => {
    const traefik = [...baseline.values()].find((r) => r.type === "kubernetes:apps/v1:DaemonSet" && r.inputs.metadata.name === "traefik")!;
    expect(traefik.inputs.spec.template.spec.containers[0].args).toContain("--providers.kubernetesingress.ingressEndpoint.ip=172.31.250.102");
    const hello = [{ name: "hello", image: "hello:1", ports: [{ containerPort: 80 }], ingress: { host: "hello.local" } }];
    const ingressOf = (resources: Resources) => [...resources.values()].find((r) => r.type === "kubernetes:networking.k8s.io/v1:Ingress")!.inputs.metadata.annotations;
    const real = labConfig();
    real.raw.apps = hello;
    expect(ingressOf(await runStack(real.raw, real.secretKeys))).toBeUndefined();
    // A simulated edge node runs no Traefik, so nothing would ever fill the Ingress's status.
    const simulated = simulatedLabConfig();
    simulated.raw.apps = hello;
    expect(ingressOf(await runStack(simulated.raw, simulated.secretKeys))).toEqual({ "pulumi.com/skipAwait": "true" });
  });

  test("the real nodes roll two at a time in the hosts' order, a worker and an edge node: lab-w1 and lab-e1, then lab-w2 and lab-e2 once the first two take pods again", () => {
    const kubelet = (host: string) => `node-bootstrap-${host}-kubelet`;
    const drain = (host: string) => `node-bootstrap-${host}-upgrade-drain`;
    const needs = (host: string) => [`node-bootstrap-${host}-kubernetes-node-install`, `node-bootstrap-${host}-packages`];
    // The first batch waits for the control plane and for every node's registry mirrors.
    const gate = ["control-plane-ready", ...eachNode("registry-mirrors-HOST")];
    const firstTakesPods = ["node-bootstrap-lab-w1-membership", "node-bootstrap-lab-e1-membership"];
    for (const host of ["lab-w1", "lab-e1"]) {
      expect(step(baseline, drain(host)).dependsOn).toEqual(gate);
      expect(step(baseline, kubelet(host)).dependsOn).toEqual([...needs(host), drain(host), ...gate]);
    }
    for (const host of ["lab-w2", "lab-e2"]) {
      expect(step(baseline, drain(host)).dependsOn).toEqual(firstTakesPods);
      expect(step(baseline, kubelet(host)).dependsOn).toEqual([...needs(host), drain(host), ...firstTakesPods]);
    }
    // Every node's packages and binaries install at once, while the control plane comes up.
    NODES.flatMap(needs).forEach((s) => expect([s, step(baseline, s).dependsOn]).toEqual([s, []]));
  });

  test("each real node gets its labels and taints through a NodePatch once its kubelet has registered; kwok is not installed", () => {
    NODES.forEach((n) => expect(resource(baseline, "kubernetes:core/v1:NodePatch", `node-bootstrap-${n}`).dependsOn).toEqual([`node-bootstrap-${n}-kubelet`]));
    expect(resource(baseline, "kubernetes:core/v1:NodePatch", "node-bootstrap-lab-e2").inputs.spec).toEqual({ taints: [{ key: "node-role.kubernetes.io/edge", effect: "NoSchedule" }] });
    expect(resource(baseline, "kubernetes:core/v1:NodePatch", "node-bootstrap-lab-w1").inputs.metadata.labels).toEqual({ "node-role.kubernetes.io/worker": "", storage: "ssd" });
    expect([...baseline.values()].filter((r) => r.type === "onprem-k8s:index:NodePool" || r.type === "kubernetes:core/v1:Node")).toEqual([]);
  });

  test("CoreDNS's Deployment, the addons and the apps wait for the first batch's NodePatches, a worker and an edge node with their labels and taints; the rest join meanwhile", () => {
    const patches = ["node-bootstrap-lab-w1", "node-bootstrap-lab-e1"];
    const later = ["node-bootstrap-lab-w2", "node-bootstrap-lab-e2"];
    [...patches, ...later].forEach((p) => expect(baseline.get(`kubernetes:core/v1:NodePatch::${p}`)).toBeDefined());
    const coreDns = resource(baseline, "kubernetes:apps/v1:Deployment", "coredns/kube-system/coredns").dependsOn;
    expect(coreDns).toEqual(expect.arrayContaining(patches));
    expect(coreDns.filter((d) => later.includes(d))).toEqual([]);
    const workloads = [...baseline.values()].filter((r) => r.type === "kubernetes:apps/v1:Deployment" || r.type === "kubernetes:apps/v1:DaemonSet");
    const apps = workloads.filter((r) => r.inputs.metadata.namespace !== "kube-system" && r.inputs.metadata.namespace !== "kube-flannel");
    expect(apps.map((r) => r.inputs.metadata.name).sort()).toEqual(
      [
        "alert-receiver",
        "alertmanager",
        "flaskapp",
        "go2cloud-platform",
        "nginx",
        "node-exporter",
        "redis",
        "state-metrics",
        "traefik",
        "tutum-hello-world",
        "tutum-hello-world-canary",
        "victoria-logs",
        "victoria-metrics",
        "vlagent",
        "vmalert",
      ].sort(),
    );
    apps.forEach((r) => expect([r.name, r.dependsOn]).toEqual([r.name, expect.arrayContaining(patches)]));
    apps.forEach((r) => expect([r.name, r.dependsOn.filter((d) => later.includes(d))]).toEqual([r.name, []]));
  });

  test("monitoring and logging come after the addons the apps need (Traefik's CRDs, the StorageClass); no app waits for them", () => {
    const victoriaMetrics = resource(baseline, "kubernetes:apps/v1:Deployment", "cluster-monitoring/monitoring/victoria-metrics");
    expect(victoriaMetrics.dependsOn).toEqual(expect.arrayContaining(["cluster-traefik", "cluster-ceph"]));
    expect(resource(baseline, "kubernetes:apps/v1:Deployment", "cluster-logging/logging/victoria-logs").dependsOn).toEqual(expect.arrayContaining(["cluster-traefik", "cluster-ceph"]));
    const operators = ["kube-system", "monitoring", "logging"];
    const apps = [...baseline.values()].filter((r) => r.type === "kubernetes:apps/v1:Deployment" && !operators.includes(r.inputs.metadata.namespace));
    expect(apps.length).toBeGreaterThan(0);
    apps.forEach((r) => expect([r.name, r.dependsOn.filter((d) => d.startsWith("cluster-monitoring") || d.startsWith("cluster-logging"))]).toEqual([r.name, []]));
    // The etcd client certificate and the webhook URL reach the cluster as secrets only.
    const secret = resource(baseline, "kubernetes:core/v1:Secret", "cluster-monitoring/monitoring/etcd-client");
    expect(JSON.stringify(secret.inputs)).not.toContain("PRIVATE KEY");
  });

  test("kwok runs on lab1 once its RBAC binding exists; the simulated nodes wait for it and get their labels and taints", () => {
    expect(resource(simulatedBaseline, "onprem-k8s:index:NodePool", "nodes")).toBeDefined();
    // kwok's ClusterRole and its binding share their name.
    expect(step(simulatedBaseline, "nodes-lab1-kwok").dependsOn).toEqual(["nodes-lab1-kwok-install", "nodes/onprem-k8s:kwok", "nodes/onprem-k8s:kwok"]);
    const nodes = [...simulatedBaseline.values()].filter((r) => r.type === "kubernetes:core/v1:Node");
    expect(nodes.map((n) => n.name).sort()).toEqual(eachNode("nodes/HOST").sort());
    nodes.forEach((n) => expect(n.dependsOn).toEqual(["nodes-lab1-kwok"]));
    const edge = nodes.find((n) => n.name === "nodes/lab-e1")!.inputs;
    expect(edge.metadata.annotations["kwok.x-k8s.io/node"]).toBe("fake");
    expect(edge.spec.taints).toEqual([{ key: "node-role.kubernetes.io/edge", effect: "NoSchedule" }]);
    expect(nodes.find((n) => n.name === "nodes/lab-w1")!.inputs.metadata.labels).toMatchObject({ storage: "ssd", "node-role.kubernetes.io/worker": "" });
    // CoreDNS waits for the simulated nodes as it does for real ones.
    expect(resource(simulatedBaseline, "kubernetes:apps/v1:Deployment", "coredns/kube-system/coredns").dependsOn).toEqual(expect.arrayContaining(eachNode("nodes/HOST")));
    // No SSH step ever reaches a simulated host, and none of the real nodes' steps is there.
    const remote = [...simulatedBaseline.values()].filter((r) => r.type.startsWith("command:remote"));
    expect(remote.filter((r) => r.name.startsWith("node-bootstrap-") || r.name.startsWith("registry-mirrors-"))).toEqual([]);
    const simulated = ["172.31.250.21", "172.31.250.22", "172.31.250.31", "172.31.250.32"];
    remote.forEach((r) => expect(simulated).not.toContain(r.inputs.connection.host));
  });

  test("every SSH step pins its own host's SSH key, and every host, master or node, has steps", () => {
    const keyOf = new Map(labConfig().raw.hosts.map((h: any) => [h.address, testHostKey(h.name)]));
    expect(keyOf.size).toBe(HOSTS.length + NODES.length);
    const remote = [...baseline.values()].filter((r) => r.type.startsWith("command:remote"));
    remote.forEach((r) => expect([r.name, r.inputs.connection.hostKey]).toEqual([r.name, keyOf.get(r.inputs.connection.host)]));
    expect(new Set(remote.map((r) => r.inputs.connection.host))).toEqual(new Set(keyOf.keys()));
  });

  test("CoreDNS serves on network.clusterDnsIp; the API load balancer checks /readyz", () => {
    expect(resource(baseline, "kubernetes:core/v1:Service", "coredns/kube-system/kube-dns").inputs.spec.clusterIP).toBe("10.96.0.10");
    expect(resource(baseline, "kubernetes:apps/v1:Deployment", "coredns/kube-system/coredns").inputs.spec.template.spec.containers[0].image).toBe("registry.k8s.io/coredns/coredns:v1.11.3");
    expect(JSON.stringify(step(baseline, "api-lab1-config").inputs.create)).toContain("option httpchk GET /readyz");
    expect(JSON.stringify(step(baseline, "etcd-lab1-config").inputs.create)).toContain("option tcp-check");
  });

  test("flannel gets the lab's pod network; its namespaced objects wait for its namespace", () => {
    const config = resource(baseline, "kubernetes:core/v1:ConfigMap", "flannel/kube-flannel/kube-flannel-cfg");
    expect(JSON.parse(config.inputs.data["net-conf.json"])).toEqual({ Network: "10.244.0.0/16", SubnetLen: 24, Backend: { Type: "vxlan" } });
    const daemonSet = resource(baseline, "kubernetes:apps/v1:DaemonSet", "flannel/kube-flannel/kube-flannel-ds");
    expect(daemonSet.inputs.spec.template.spec.containers[0].image).toBe("docker.io/flannel/flannel:v0.26.1");
    expect(daemonSet.dependsOn).toEqual(["flannel/kube-flannel"]);
  });

  test("every Kubernetes object has a type token the provider knows (kubernetes:<group>/<version>:<Kind>)", () => {
    const types = [...new Set([...baseline.values()].map((r) => r.type).filter((t) => t.startsWith("kubernetes:") && t !== "pulumi:providers:kubernetes"))];
    expect(types.filter((t) => !/^kubernetes:[a-z0-9.]+\/v[0-9a-z]+:[A-Za-z]+$/.test(t))).toEqual([]);
    expect(types).toContain("kubernetes:core/v1:PersistentVolume");
  });

  test("every key travels on a secret stdin, never in a script, so the scripts stay plain", () => {
    const steps = [...baseline.values()].filter((r) => r.type === "command:remote:Command");
    for (const s of steps) {
      expect([s.name, JSON.stringify({ ...s.inputs, stdin: undefined })]).not.toEqual([s.name, expect.stringContaining("KEY pki-")]);
      expect([s.name, s.secretInputs.filter((k) => k !== "connection" && k !== "stdin")]).toEqual([s.name, []]);
      if (s.inputs.stdin !== undefined) expect([s.name, s.secretInputs]).toEqual([s.name, expect.arrayContaining(["stdin"])]);
    }
    const member = step(baseline, "etcd-lab1-member");
    expect(member.inputs.stdin).toContain("@@secret server.key\nKEY pki-etcd-server-lab1-key\n");
    expect(member.inputs.create).toContain("CERT pki-etcd-server-lab1");
    const withSecrets = steps
      .filter((s) => s.inputs.stdin !== undefined)
      .map((s) => s.name)
      .sort();
    expect(withSecrets).toEqual(
      [
        ...each("api-HOST-config"),
        ...each("control-plane-HOST-master"),
        ...each("edge-HOST-config"),
        ...each("etcd-HOST-config"),
        ...each("etcd-HOST-member"),
        ...eachNode("node-bootstrap-HOST-kubelet"),
        ...eachNode("registry-mirrors-HOST"),
        ...each("registry-HOST-config"),
        ...REGISTRY_HOSTS,
      ].sort(),
    );
    // kwok's client key travels the same way in the simulated lab.
    expect(step(simulatedBaseline, "nodes-lab1-kwok").secretInputs).toEqual(expect.arrayContaining(["stdin"]));
  });
});

type RerunCase = [string, (c: Record<string, any>) => void, string[]];

describe("changing X re-runs exactly these steps", () => {
  const cases: RerunCase[] = [
    ["nothing", () => undefined, []],
    ["an etcd tunable (snapshotCount)", (c) => (c.etcd = { ...c.etcd, snapshotCount: 20000 }), each("etcd-HOST-member")],
    ["the backup retention", (c) => (c.etcd = { ...c.etcd, backupRetention: 9 }), each("etcd-HOST-backup")],
    // A new release restarts the daemons, one host at a time.
    ["the etcd artifact", (c) => (c.artifacts.etcd.sha256 = "d".repeat(64)), [...each("etcd-HOST-etcd-install"), ...each("etcd-HOST-member")]],
    // New certificates everywhere: the nodes' own, and the registry's, which their mirrors trust.
    [
      "the certificate validity",
      (c) => (c.pki = { validityDays: 90 }),
      [...each("etcd-HOST-member"), ...each("control-plane-HOST-master"), ...eachNode("node-bootstrap-HOST-kubelet"), ...eachNode("registry-mirrors-HOST"), ...REGISTRY_HOSTS],
    ],
    ["the load balancer ports", (c) => (c.loadBalancers[0].ports = [2379, 2380]), each("etcd-HOST-config")],
    ["the VRRP password", (c) => (c.loadBalancerAuthPassword = "newpass"), [...each("etcd-HOST-config"), ...each("api-HOST-config"), ...each("edge-HOST-config"), ...each("registry-HOST-config")]],
    [
      "the apt source",
      (c) => (c.aptSource = "deb [trusted=yes] http://172.31.250.1:8081/apt ./"),
      // The nodes install Debian's containerd from it too.
      [...each("etcd-HOST-packages"), ...each("api-HOST-packages"), ...each("edge-HOST-packages"), ...each("registry-HOST-packages"), ...eachNode("node-bootstrap-HOST-packages")],
    ],
    ["an apiserver flag", (c) => (c.kubernetes = { ...c.kubernetes, apiServerExtraArgs: { "event-ttl": "2h" } }), each("control-plane-HOST-master")],
    ["a scheduler flag", (c) => (c.kubernetes = { ...c.kubernetes, schedulerExtraArgs: { v: 2 } }), each("control-plane-HOST-master")],
    ["the kubelets' eviction thresholds", (c) => (c.kubernetes = { ...c.kubernetes, kubeletEvictionHard: { "memory.available": "200Mi" } }), eachNode("node-bootstrap-HOST-kubelet")],
    ["kube-proxy's conntrack sizing", (c) => (c.kubernetes = { ...c.kubernetes, kubeProxyConntrackMaxPerCore: 32768 }), eachNode("node-bootstrap-HOST-kubelet")],
    // The batch size only orders the nodes' steps.
    ["the node batch size", (c) => (c.kubernetes = { ...c.kubernetes, nodeBatchSize: 1 }), []],
    ["the Secrets encryption key", (c) => (c.secretsEncryptionKey = Buffer.alloc(32, 4).toString("base64")), each("control-plane-HOST-master")],
    ["the kubernetes-server artifact", (c) => (c.artifacts.kubernetes.sha256 = "d".repeat(64)), [...each("control-plane-HOST-kubernetes-install"), ...each("control-plane-HOST-master")]],
    [
      "the kubernetes-node artifact",
      (c) => (c.artifacts.kubernetesNode.sha256 = "b".repeat(64)),
      [...eachNode("node-bootstrap-HOST-kubernetes-node-install"), ...eachNode("node-bootstrap-HOST-kubelet")],
    ],
    // No node is simulated, so nothing runs kwok.
    ["the kwok artifact", (c) => (c.artifacts.kwok.sha256 = "d".repeat(64)), []],
    // A node's labels are its NodePatch's, set through the API.
    ["a node's labels", (c) => (c.hosts[3].labels = { storage: "hdd" }), []],
    ["the edge VIP", (c) => (c.loadBalancers[2].vip = "172.31.250.104"), each("edge-HOST-config")],
    ["one app's image", (c) => (c.apps[0].image = "flaskapp:0.0.3"), []],
    // The registry: its hosts roll one at a time; a push re-runs only for its own image.
    ["the registry's garbage collection schedule", (c) => (c.imageRegistry = { ...c.imageRegistry, garbageCollection: "daily" }), REGISTRY_HOSTS],
    // The nodes pull with it.
    ["the registry's pull password", (c) => (c.registryPullPassword = "new-pull-password"), [...REGISTRY_HOSTS, ...eachNode("registry-mirrors-HOST")]],
    ["the registry artifact", (c) => (c.artifacts.registry.sha256 = "e".repeat(64)), [...REGISTRY_HOSTS, "image-registry-lab1-registry-install", "image-registry-lab2-registry-install"]],
    [
      "one bundle image's digest",
      (c) => (c.imageRegistry = { ...c.imageRegistry, bundle: newDigest("docker.io/library/redis:4-alpine3.8") }),
      ["image-registry-push-docker.io-library-redis-4-alpine3.8"],
    ],
    [
      "the API VIP",
      (c) => (c.loadBalancers[1].vip = "172.31.250.104"),
      // The membership and upgrade-drain steps reach the API through it.
      [
        ...each("api-HOST-config"),
        ...each("control-plane-HOST-master"),
        "control-plane-ready",
        ...eachNode("node-bootstrap-HOST-kubelet"),
        ...eachNode("node-bootstrap-HOST-membership"),
        ...eachNode("node-bootstrap-HOST-upgrade-drain"),
      ],
    ],
    [
      "versions.kubernetes with both releases: an upgrade",
      (c) => {
        c.versions.kubernetes = "v1.35.4";
        c.artifacts.kubernetes.sha256 = "1".repeat(64);
        c.artifacts.kubernetesNode.sha256 = "2".repeat(64);
      },
      [
        ...each("control-plane-HOST-kubernetes-install"),
        ...each("control-plane-HOST-master"),
        ...eachNode("node-bootstrap-HOST-kubernetes-node-install"),
        ...eachNode("node-bootstrap-HOST-upgrade-drain"),
        ...eachNode("node-bootstrap-HOST-kubelet"),
        ...eachNode("node-bootstrap-HOST-membership"),
      ],
    ],
  ];

  test.each(cases)("%s", async (_name, change, expected) => {
    const { raw, secretKeys } = labConfig();
    change(raw);
    const after = await runStack(raw, secretKeys);
    expect(rerunSteps(baseline, after)).toEqual(expected.sort());
  });
});

describe("with the lab's nodes simulated, changing X re-runs exactly these steps", () => {
  const cases: RerunCase[] = [
    ["nothing", () => undefined, []],
    ["the kwok artifact", (c) => (c.artifacts.kwok.sha256 = "d".repeat(64)), ["nodes-lab1-kwok-install", "nodes-lab1-kwok"]],
    // A simulated node's labels are its Node object's.
    ["a simulated node's labels", (c) => (c.hosts[3].labels = { storage: "hdd" }), []],
    // kwok's kubeconfig names the API VIP and holds a certificate of the cluster's CA.
    ["the certificate validity", (c) => (c.pki = { validityDays: 90 }), [...each("etcd-HOST-member"), ...each("control-plane-HOST-master"), "nodes-lab1-kwok", ...REGISTRY_HOSTS]],
    ["the API VIP", (c) => (c.loadBalancers[1].vip = "172.31.250.104"), [...each("api-HOST-config"), ...each("control-plane-HOST-master"), "control-plane-ready", "nodes-lab1-kwok"]],
  ];

  test.each(cases)("%s", async (_name, change, expected) => {
    const { raw, secretKeys } = simulatedLabConfig();
    change(raw);
    const after = await runStack(raw, secretKeys);
    expect(rerunSteps(simulatedBaseline, after)).toEqual(expected.sort());
  });
});
