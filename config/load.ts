/** Reads the stack config through the Pulumi runtime and validates it before any resource is registered. */
import * as pulumi from "@pulumi/pulumi";
import { cidrHost, parseCidr } from "../spec/cidr";
import { ClusterSpec, ControlPlaneSpec } from "../spec/cluster";
import { AddonParser } from "./addon";
import { ConfigError } from "./problems";
import { validateClusterConfig } from "./validate";
import { imageSourceWarnings } from "./image-sources";

// The SDK keeps its secret-key lookup internal; it is the only way to tell a plain value from a secret one.
const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(fullKey: string): boolean };

/** The raw values of one config namespace, JSON-decoded where they are JSON, and which of them are secret. */
export function readNamespace(namespace: string): { raw: Record<string, unknown>; secretKeys: Set<string> } {
  const raw: Record<string, unknown> = {};
  const secretKeys = new Set<string>();
  for (const [fullKey, text] of Object.entries(pulumi.runtime.allConfig())) {
    if (!fullKey.startsWith(`${namespace}:`)) continue;
    const key = fullKey.slice(namespace.length + 1);
    raw[key] = decode(text);
    if (runtimeConfig.isConfigSecret(fullKey)) secretKeys.add(key);
  }
  return { raw, secretKeys };
}

function decode(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** True when the stack has anything to deploy onto Kubernetes: an app or a configured addon. */
export function hasWorkloads(spec: Pick<ClusterSpec, "apps" | "addons">): boolean {
  return spec.apps.length > 0 || Object.keys(spec.addons).length > 0;
}

/** Loads and validates the stack config, with the addons the stack knows; throws a ConfigError listing every problem. */
export function loadClusterSpec(addons: readonly AddonParser[], config: pulumi.Config = new pulumi.Config()): ClusterSpec {
  const { raw, secretKeys } = readNamespace(config.name);
  const validated = validateClusterConfig(raw, secretKeys, config.name, addons);
  const { spec } = validated;
  const problems = [...validated.problems];
  // A preview may run before the cluster exists; an up must never fall back to whatever ~/.kube/config holds.
  const kubeconfig = raw.kubeconfig ? config.requireSecret("kubeconfig") : undefined;
  // A stack with its own control plane takes the admin kubeconfig from it.
  if (!pulumi.runtime.isDryRun() && hasWorkloads(spec) && !kubeconfig && !spec.artifacts.kubernetes) {
    problems.push(`${config.name}:kubeconfig: is not set, but addons or apps are configured; set the cluster's admin kubeconfig with \`pulumi config set --secret kubeconfig < FILE\``);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  for (const warning of imageSourceWarnings(spec, addons)) pulumi.log.warn(warning);
  // Validation has checked the encryption key and the service network of a stack with its own control plane.
  const serviceCidr = parseCidr(spec.network.serviceCidr);
  const controlPlane: ControlPlaneSpec =
    spec.artifacts.kubernetes && serviceCidr
      ? {
          kind: "own",
          artifact: spec.artifacts.kubernetes,
          version: spec.versions.kubernetes,
          secretsEncryptionKey: config.requireSecret("secretsEncryptionKey"),
          // Pulumi.yaml's default is "": no rotation.
          secretsEncryptionOldKey: raw.secretsEncryptionOldKey ? config.requireSecret("secretsEncryptionOldKey") : undefined,
          serviceIp: cidrHost(serviceCidr, 1),
        }
      : { kind: "external", kubeconfig };
  return {
    ...spec,
    sshPrivateKey: config.requireSecret("sshPrivateKey"),
    loadBalancerAuthPassword: config.getSecret("loadBalancerAuthPassword") ?? pulumi.secret(""),
    secretValue: (key) => config.requireSecret(key),
    controlPlane,
  };
}
