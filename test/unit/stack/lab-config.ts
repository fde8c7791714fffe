/** The lab stack's config as raw values, read from Pulumi.lab.yaml plus the secrets a lab adds. */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";

export const LAB_SECRET_KEYS = ["sshPrivateKey", "loadBalancerAuthPassword"];

export function labConfig(): Record<string, any> {
  const text = fs.readFileSync(path.resolve(__dirname, "../../../Pulumi.lab.yaml"), "utf8");
  const config = (yaml.load(text) as { config: Record<string, unknown> }).config;
  const raw: Record<string, any> = Object.fromEntries(Object.entries(config).filter(([, v]) => !(v && typeof v === "object" && "secure" in (v as object))).map(([k, v]) => [k.replace(/^onprem-k8s:/, ""), v]));
  return {
    ...raw,
    sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nlab\n-----END OPENSSH PRIVATE KEY-----",
    loadBalancerAuthPassword: "labvrrp",
    artifacts: { etcd: { url: "http://172.31.250.1:8080/artifacts/etcd.tar.gz", sha256: "c".repeat(64) } },
  };
}
