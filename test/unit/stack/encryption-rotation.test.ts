// The lab stack during a Secrets-encryption key rotation: every master reads the new key before any encrypts with it,
// and every Secret is rewritten once the control plane is ready again.
import { RecordedResource, installMocks, runStack } from "./stack-harness";
import { labConfigWithControlPlane } from "./stack-config";
import { encryptionKeyName } from "../../../components/host/encryption-scripts";

jest.setTimeout(60_000);

const MASTERS = ["lab1", "lab2", "lab3"];
const NEW_KEY = Buffer.alloc(32, 3).toString("base64");
const OLD_KEY = Buffer.alloc(32, 4).toString("base64");

async function stackWith(oldKey: string | undefined): Promise<Map<string, RecordedResource>> {
  const { raw, secretKeys } = labConfigWithControlPlane();
  raw.secretsEncryptionKey = NEW_KEY;
  if (oldKey) raw.secretsEncryptionOldKey = oldKey;
  return runStack(raw, [...secretKeys, "secretsEncryptionOldKey"]);
}

const step = (resources: Map<string, RecordedResource>, name: string) => {
  const r = resources.get(`command:remote:Command::${name}`);
  if (!r) throw new Error(`no step ${name}`);
  return r;
};

describe("a Secrets-encryption key rotation in the stack", () => {
  let resources: Map<string, RecordedResource>;
  beforeAll(async () => {
    await installMocks();
    resources = await stackWith(OLD_KEY);
  });

  test("the masters learn the new key one at a time, all before the first master's step", () => {
    const prepare = (h: string) => `control-plane-${h}-encryption-prepare`;
    expect(step(resources, prepare("lab1")).dependsOn).toEqual(["etcd-health"]);
    expect(step(resources, prepare("lab2")).dependsOn).toEqual([prepare("lab1")]);
    expect(step(resources, prepare("lab3")).dependsOn).toEqual([prepare("lab2")]);
    expect(step(resources, "control-plane-lab1-master").dependsOn).toEqual(["control-plane-lab1-kubernetes-install", "etcd-health", prepare("lab3")]);
  });

  test("the prepare steps and the master steps name the keys in the right order, and carry them only on stdin", () => {
    const [newName, oldName] = [encryptionKeyName(NEW_KEY), encryptionKeyName(OLD_KEY)];
    for (const h of MASTERS) {
      const prepare = step(resources, `control-plane-${h}-encryption-prepare`);
      expect(prepare.inputs.create).toContain(`keys=" ${oldName} ${newName} "`);
      expect(step(resources, `control-plane-${h}-master`).inputs.create).toContain(`keys=" ${newName} ${oldName} "`);
      expect(prepare.secretInputs).toEqual(["connection", "stdin"]);
      expect(prepare.inputs.stdin).toContain(`- name: ${oldName}\n              secret: ${OLD_KEY}\n            - name: ${newName}\n              secret: ${NEW_KEY}\n`);
      for (const key of [NEW_KEY, OLD_KEY]) expect(prepare.inputs.create + step(resources, `control-plane-${h}-master`).inputs.create).not.toContain(key);
    }
  });

  test("every Secret is rewritten after the control plane's gate, through the API VIP", () => {
    const rewrite = step(resources, "control-plane-encryption-rewrite");
    expect(rewrite.dependsOn).toEqual(["control-plane-ready"]);
    expect(rewrite.inputs.create).toContain("--server https://172.31.250.101:6443");
    expect(rewrite.inputs.create).toContain(`Secrets rewritten with ${encryptionKeyName(NEW_KEY)}`);
  });

  test("without an old key there is neither a prepare step nor a rewrite", async () => {
    const plain = await stackWith(undefined);
    expect([...plain.keys()].filter((k) => k.includes("encryption-"))).toEqual([]);
    expect(step(plain, "control-plane-lab1-master").inputs.create).toContain(`keys=" ${encryptionKeyName(NEW_KEY)} "`);
  });
});
