// The lab stack with etcd.restore: the restore's steps and their order, between etcd's member steps and its health gate.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { installMocks, RecordedResource, runStack } from "./stack-harness";
import { labConfigWithControlPlane } from "./stack-config";

jest.setTimeout(60_000);

const MEMBERS = ["lab1", "lab2", "lab3"];
const step = (host: string, what: string) => `etcd-restore-r1-${host}-${what}`;

/** The lab stack with its own control plane, restoring `snapshot` (or not restoring). */
async function stackWith(snapshot: Record<string, unknown> | undefined): Promise<Map<string, RecordedResource>> {
  const { raw, secretKeys } = labConfigWithControlPlane();
  if (snapshot) raw.etcd = { ...raw.etcd, restore: { id: "r1", snapshot } };
  return runStack(raw, secretKeys);
}

const command = (resources: Map<string, RecordedResource>, name: string) => {
  const r = resources.get(`command:remote:Command::${name}`);
  if (!r) throw new Error(`no step ${name}`);
  return r;
};

describe("etcd.restore in the stack", () => {
  let resources: Map<string, RecordedResource>;
  beforeAll(async () => {
    await installMocks();
    resources = await stackWith({ member: "lab2" });
  });

  test("the snapshot is staged on its member after every member step, then fetched by the others", () => {
    expect(command(resources, step("lab2", "stage")).dependsOn).toEqual(MEMBERS.map((h) => `etcd-${h}-member`));
    for (const h of ["lab1", "lab3"]) expect(command(resources, step(h, "stage")).dependsOn).toEqual([step("lab2", "stage")]);
    // The fetch reads with the stack's SSH key, which comes only on the step's secret stdin.
    expect(command(resources, step("lab1", "stage")).secretInputs).toEqual(["connection", "stdin"]);
    expect(command(resources, step("lab1", "stage")).inputs.create).not.toContain("PRIVATE KEY");
  });

  test("every master stops once every member holds the snapshot; every member's data waits for both", () => {
    const staged = ["lab2", "lab1", "lab3"].map((h) => step(h, "stage"));
    for (const h of MEMBERS) expect(command(resources, step(h, "hold")).dependsOn).toEqual(staged);
    for (const h of MEMBERS) expect(command(resources, step(h, "data")).dependsOn).toEqual([...staged, ...MEMBERS.map((m) => step(m, "hold"))]);
  });

  test("the members start one at a time, then the masters resume, then etcd's health gate", () => {
    expect(command(resources, step("lab1", "start")).dependsOn).toEqual(MEMBERS.map((h) => step(h, "data")));
    expect(command(resources, step("lab2", "start")).dependsOn).toEqual([step("lab1", "start")]);
    expect(command(resources, step("lab3", "start")).dependsOn).toEqual([step("lab2", "start")]);
    for (const h of MEMBERS) expect(command(resources, step(h, "resume")).dependsOn).toEqual([step("lab3", "start")]);
    expect(command(resources, "etcd-health").dependsOn).toEqual([...MEMBERS.map((h) => `etcd-${h}-member`), ...MEMBERS.map((h) => step(h, "resume"))]);
  });

  test("every member restores with the same new cluster token, the cluster's own followed by the restore id", () => {
    const tokens = MEMBERS.map((h) => /--initial-cluster-token (\S+)/.exec(command(resources, step(h, "data")).inputs.create)![1]);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).toMatch(/^lab-etcd-[0-9a-f]{12}-r1$/);
  });

  test("without etcd.restore there is no restore step", async () => {
    const plain = await stackWith(undefined);
    expect([...plain.keys()].filter((k) => k.includes("restore"))).toEqual([]);
    expect(command(plain, "etcd-health").dependsOn).toEqual(MEMBERS.map((h) => `etcd-${h}-member`));
  });

  test("a snapshot from this machine is uploaded to every member and checked there before anything stops", async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "restore-")), "etcd.db");
    fs.writeFileSync(file, "snapshot");
    const uploaded = await stackWith({ path: file, sha256: "f".repeat(64) });
    for (const h of MEMBERS) {
      const upload = uploaded.get(`command:remote:CopyToRemote::${step(h, "upload")}`)!;
      expect(upload.inputs.remotePath).toBe("/var/lib/etcd-restore/r1/snapshot.db.upload");
      expect(upload.dependsOn).toEqual(MEMBERS.map((m) => `etcd-${m}-member`));
      expect(command(uploaded, step(h, "stage")).dependsOn).toEqual([step(h, "upload")]);
      expect(command(uploaded, step(h, "stage")).inputs.create).toContain(`[[ $got == ${"f".repeat(64)} ]]`);
    }
  });
});
