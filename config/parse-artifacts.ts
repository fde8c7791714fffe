/** Parses `artifacts` (binaries uploaded from a path or downloaded from a mirror) and `versions`. */
import { ArtifactSpec } from "../spec/cluster";
import { Problems, isRecord } from "./problems";
import { unknownNameFix } from "./shape";

export function parseArtifacts(raw: unknown, key: string, problems: Problems): Record<string, ArtifactSpec> {
  if (raw === undefined) return {};
  if (!isRecord(raw)) {
    problems.add(key, "is not a map", "give NAME: {path or url, sha256}");
    return {};
  }
  const artifacts: Record<string, ArtifactSpec> = {};
  for (const [name, value] of Object.entries(raw)) {
    const a = isRecord(value) ? value : {};
    const hasPath = typeof a.path === "string";
    const hasUrl = typeof a.url === "string";
    if (hasPath === hasUrl) {
      problems.add(`${key}.${name}`, "needs exactly one of path or url", "give path (uploaded from this machine) for air-gapped sites, or url (downloaded by each host) for a mirror");
    }
    if (hasUrl && !/^https?:\/\//.test(a.url as string)) {
      problems.add(`${key}.${name}.url`, `"${String(a.url)}" is not an http(s) URL`, "give the mirror URL as http://... or https://...");
    }
    if (typeof a.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(a.sha256)) {
      problems.add(`${key}.${name}.sha256`, "is not a sha256 digest", "give the 64 lower-case hex digits printed by sha256sum");
    }
    artifacts[name] = { path: a.path as string | undefined, url: a.url as string | undefined, sha256: String(a.sha256) };
  }
  return artifacts;
}

/**
 * The versions config sets: the images of CoreDNS, flannel and Traefik, and the Kubernetes release, which
 * artifacts.kubernetes and artifacts.kubernetesNode must hold. The others' versions are those of their artifacts.
 */
const VERSIONED = ["coredns", "flannel", "traefik", "kubernetes"] as const;
const ARTIFACT_OF: Record<string, string> = { etcd: "etcd", kwok: "kwok", containerd: "containerd" };

export function parseVersions(raw: unknown, key: string, problems: Problems): Record<string, string> {
  if (raw === undefined) return {};
  if (!isRecord(raw)) {
    problems.add(key, "is not a map", "give COMPONENT: VERSION strings");
    return {};
  }
  for (const [name, version] of Object.entries(raw)) {
    if (!(VERSIONED as readonly string[]).includes(name)) {
      problems.add(
        `${key}.${name}`,
        "is not a version onprem-k8s reads",
        name in ARTIFACT_OF ? `the release in artifacts.${ARTIFACT_OF[name]} decides it: drop this key` : unknownNameFix(name, VERSIONED),
      );
    } else if (name === "kubernetes" && (typeof version !== "string" || !/^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$/.test(version))) {
      problems.add(`${key}.${name}`, `${JSON.stringify(version)} is not a Kubernetes release`, "give the release as `kube-apiserver --version` prints it, such as v1.35.4");
    } else if (typeof version !== "string" || !/^v?[0-9]+(\.[0-9]+){0,2}([-+][0-9A-Za-z.-]+)?$/.test(version)) {
      problems.add(`${key}.${name}`, `${JSON.stringify(version)} is not a version`, "give it as MAJOR.MINOR.PATCH, with an optional leading v");
    }
  }
  const versions = { ...(raw as Record<string, string>) };
  // Kubernetes names its releases with the v, as the binaries print them.
  if (typeof versions.kubernetes === "string" && !versions.kubernetes.startsWith("v")) versions.kubernetes = `v${versions.kubernetes}`;
  return versions;
}
