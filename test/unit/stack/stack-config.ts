/** A stack's config as raw values, read from Pulumi.<stack>.yaml; each encrypted value becomes a named placeholder. */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { testHostKey } from "../hosts";

export interface RawStackConfig {
  readonly raw: Record<string, any>;
  readonly secretKeys: string[];
}

// keepalived reads at most 8 characters of its password.
const placeholder = (key: string) => (key === "loadBalancerAuthPassword" ? "vrrp-pw" : `${key}-placeholder`);

export function stackConfig(stack: string): RawStackConfig {
  const text = fs.readFileSync(path.resolve(__dirname, `../../../Pulumi.${stack}.yaml`), "utf8");
  const config = (yaml.load(text) as { config: Record<string, unknown> }).config;
  const raw: Record<string, any> = {};
  const secretKeys: string[] = [];
  for (const [fullKey, value] of Object.entries(config)) {
    const key = fullKey.replace(/^onprem-k8s:/, "");
    const secure = value !== null && typeof value === "object" && "secure" in value;
    raw[key] = secure ? placeholder(key) : value;
    if (secure) secretKeys.push(key);
  }
  return { raw, secretKeys };
}

/**
 * The lab stack as a lab machine completes it (scripts/lab/stack-config.sh): its SSH key, its hosts' keys, the etcd,
 * kubernetes-node and registry releases, and a two-image bundle (test/fixtures/bundle) in place of the lab's.
 */
export function labConfig(): RawStackConfig {
  const { raw, secretKeys } = stackConfig("lab");
  const hosts = (raw.hosts as Record<string, unknown>[]).map((h) => (h.simulated ? h : { ...h, sshHostKey: testHostKey(String(h.name)) }));
  return {
    raw: {
      ...raw,
      hosts,
      sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nlab\n-----END OPENSSH PRIVATE KEY-----",
      artifacts: {
        etcd: { url: "http://172.31.250.1:8080/artifacts/etcd.tar.gz", sha256: "c".repeat(64) },
        kubernetesNode: { url: "http://172.31.250.1:8080/artifacts/kubernetes-node.tar.gz", sha256: "a".repeat(64) },
        registry: { url: "http://172.31.250.1:8080/artifacts/registry.tar.gz", sha256: "d".repeat(64) },
      },
      imageRegistry: { ...(raw.imageRegistry as object), bundle: path.resolve(__dirname, "../../fixtures/bundle") },
    },
    secretKeys: [...new Set([...secretKeys, "sshPrivateKey"])],
  };
}

/** The lab stack with its own control plane: labConfig, the kubernetes-server release and a Secrets-encryption key. */
export function labConfigWithControlPlane(): { raw: Record<string, any>; secretKeys: string[] } {
  const { raw, secretKeys } = labConfig();
  raw.artifacts = { ...(raw.artifacts as object), kubernetes: { url: "http://172.31.250.1:8080/artifacts/kubernetes-server.tar.gz", sha256: "e".repeat(64) } };
  raw.versions = { ...(raw.versions as object), kubernetes: "v1.34.4" };
  raw.secretsEncryptionKey = Buffer.alloc(32, 3).toString("base64");
  return { raw, secretKeys: [...secretKeys, "secretsEncryptionKey"] };
}
