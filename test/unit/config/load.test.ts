// loadClusterSpec through the Pulumi runtime (mocks): secrets stay secrets, and bad config stops the program before any resource.
import * as pulumi from "@pulumi/pulumi";
import { NS, SECRET_KEY_NAMES, validRawConfig } from "./fixture";
import { ADDONS } from "../../../addons";

const registered: string[] = [];

beforeAll(() =>
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push(args.type);
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => args.inputs,
    },
    "onprem-k8s",
    "test",
    false,
  ),
);

function setConfig(raw: Record<string, unknown>, secretKeys: string[]): void {
  const all = Object.fromEntries(Object.entries(raw).map(([k, v]) => [`${NS}:${k}`, typeof v === "string" ? v : JSON.stringify(v)]));
  pulumi.runtime.setAllConfig(
    all,
    secretKeys.map((k) => `${NS}:${k}`),
  );
}

function secretValue(output: pulumi.Output<string>): Promise<{ value: string; secret: boolean }> {
  return new Promise((resolve) => pulumi.all([output, pulumi.isSecret(output)]).apply(([value, secret]) => resolve({ value, secret })));
}

describe("loadClusterSpec", () => {
  test("returns the typed spec with the SSH key as a secret", async () => {
    setConfig(validRawConfig(), SECRET_KEY_NAMES);
    const { loadClusterSpec } = await import("../../../config");
    const spec = loadClusterSpec(ADDONS, new pulumi.Config(NS));
    expect(spec.hosts.map((h) => h.name)).toEqual(["m1", "m2", "m3", "w1"]);
    await expect(secretValue(spec.sshPrivateKey)).resolves.toEqual({ value: "-----BEGIN OPENSSH PRIVATE KEY-----", secret: true });
  });

  test("with artifacts.kubernetes the control plane is the stack's own: its release, the Service IP and the encryption key as a secret", async () => {
    const raw = validRawConfig();
    raw.artifacts.kubernetes = { url: "http://10.0.0.1:8080/kubernetes-server.tar.gz", sha256: "b".repeat(64) };
    raw.versions.kubernetes = "v1.34.4";
    raw.artifacts.kubernetesNode = { url: "http://10.0.0.1:8080/kubernetes-node.tar.gz", sha256: "d".repeat(64) };
    raw.secretsEncryptionKey = Buffer.alloc(32, 7).toString("base64");
    setConfig(raw, [...SECRET_KEY_NAMES, "secretsEncryptionKey"]);
    const { loadClusterSpec } = await import("../../../config");
    const { controlPlane } = loadClusterSpec(ADDONS, new pulumi.Config(NS));
    if (controlPlane.kind !== "own") throw new Error(`control plane is ${controlPlane.kind}, not own`);
    expect(controlPlane.artifact).toEqual(raw.artifacts.kubernetes);
    expect(controlPlane.serviceIp).toBe("10.96.0.1");
    await expect(secretValue(controlPlane.secretsEncryptionKey)).resolves.toEqual({ value: raw.secretsEncryptionKey, secret: true });
  });

  test("without artifacts.kubernetes the cluster is external, reached through the kubeconfig secret", async () => {
    setConfig({ ...validRawConfig(), kubeconfig: "apiVersion: v1\nkind: Config" }, [...SECRET_KEY_NAMES, "kubeconfig"]);
    const { loadClusterSpec } = await import("../../../config");
    const { controlPlane } = loadClusterSpec(ADDONS, new pulumi.Config(NS));
    if (controlPlane.kind !== "external") throw new Error(`control plane is ${controlPlane.kind}, not external`);
    await expect(secretValue(controlPlane.kubeconfig!)).resolves.toEqual({ value: "apiVersion: v1\nkind: Config", secret: true });
  });

  test("a plain-text SSH key fails with a ConfigError naming the key", async () => {
    setConfig(validRawConfig(), ["loadBalancerAuthPassword"]);
    const { loadClusterSpec, ConfigError } = await import("../../../config");
    expect(() => loadClusterSpec(ADDONS, new pulumi.Config(NS))).toThrow(ConfigError);
    expect(() => loadClusterSpec(ADDONS, new pulumi.Config(NS))).toThrow("onprem-k8s:sshPrivateKey: is a secret given in plain text");
  });

  test("the stack program registers nothing when the config is invalid", async () => {
    const raw = validRawConfig();
    raw.network.clusterDnsIp = "192.0.2.1";
    setConfig(raw, SECRET_KEY_NAMES);
    registered.length = 0;
    await expect(import("../../../index")).rejects.toThrow('invalid stack configuration (1 problem):\n  - onprem-k8s:network.clusterDnsIp: "192.0.2.1" is not inside serviceCidr 10.96.0.0/16');
    expect(registered).toEqual([]);
  });
});
