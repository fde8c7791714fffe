// The host-step graph of the lab stack under mocks: what runs before what, and which steps a config change re-runs.
import { installMocks, RecordedResource, runStack } from "./stack-harness";
import { labConfig } from "./stack-config";

jest.setTimeout(60_000);

type Resources = Map<string, RecordedResource>;
const step = (resources: Resources, name: string) => resources.get(`command:remote:Command::${name}`)!;
const HOSTS = ["lab1", "lab2", "lab3"];
const each = (pattern: string) => HOSTS.map((h) => pattern.replace("HOST", h));

/** Host steps whose script differs between two runs: exactly the steps a real `up` would re-run. */
function rerunSteps(before: Resources, after: Resources): string[] {
  return [...after.values()]
    .filter((r) => r.type.startsWith("command:"))
    .filter((r) => JSON.stringify(r.inputs.create ?? r.inputs.source) !== JSON.stringify(before.get(`${r.type}::${r.name}`)?.inputs.create ?? before.get(`${r.type}::${r.name}`)?.inputs.source))
    .map((r) => r.name)
    .sort();
}

let baseline: Resources;

beforeAll(async () => {
  await installMocks();
  const { raw, secretKeys } = labConfig();
  baseline = await runStack(raw, secretKeys);
});

describe("lab stack step order", () => {
  test("registers the expected host steps", () => {
    const steps = [...baseline.values()].filter((r) => r.type === "command:remote:Command").map((r) => r.name).sort();
    expect(steps).toEqual(
      [...each("etcd-HOST-etcd-install"), ...each("etcd-HOST-member"), ...each("etcd-HOST-backup"), "etcd-health", ...each("etcd-HOST-packages"), ...each("etcd-HOST-config")].sort(),
    );
  });

  test("no etcd member starts before its binaries are installed", () => {
    HOSTS.forEach((h) => expect(step(baseline, `etcd-${h}-member`).dependsOn).toContain(`etcd-${h}-etcd-install`));
  });

  test("member steps form a rolling chain, one host at a time", () => {
    expect(step(baseline, "etcd-lab1-member").dependsOn).toEqual(["etcd-lab1-etcd-install"]);
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

  test("the member scripts carry their certificates as secrets: no PEM key in any plain input", () => {
    const member = step(baseline, "etcd-lab1-member");
    expect(member.inputs.create).toContain("KEY pki-etcd-server-lab1-key");
  });
});

describe("changing X re-runs exactly these steps", () => {
  const cases: [string, (c: Record<string, any>) => void, string[]][] = [
    ["nothing", () => undefined, []],
    ["an etcd tunable (snapshotCount)", (c) => (c.etcd = { ...c.etcd, snapshotCount: 20000 }), each("etcd-HOST-member")],
    ["the backup retention", (c) => (c.etcd = { ...c.etcd, backupRetention: 9 }), each("etcd-HOST-backup")],
    ["the etcd artifact", (c) => (c.artifacts.etcd.sha256 = "d".repeat(64)), each("etcd-HOST-etcd-install")],
    ["the certificate validity", (c) => (c.pki = { validityDays: 90 }), each("etcd-HOST-member")],
    ["the load balancer ports", (c) => (c.loadBalancers[0].ports = [2379, 2380]), each("etcd-HOST-config")],
    ["the VRRP password", (c) => (c.loadBalancerAuthPassword = "newpass"), each("etcd-HOST-config")],
    ["the apt source", (c) => (c.aptSource = "deb [trusted=yes] http://172.31.250.1:8081/apt ./"), each("etcd-HOST-packages")],
  ];

  test.each(cases)("%s", async (_name, change, expected) => {
    const { raw, secretKeys } = labConfig();
    change(raw);
    const after = await runStack(raw, secretKeys);
    expect(rerunSteps(baseline, after)).toEqual(expected.sort());
  });
});
