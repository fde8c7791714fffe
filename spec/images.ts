/** Image names: how containerd reads a short name, and the images the stack's own addons run. */

/** The registry a name without one is pulled from. */
export const DEFAULT_REGISTRY = "docker.io";

/** The pod sandbox image containerd starts every pod with (Kubernetes 1.34's default). */
export const PAUSE_IMAGE = "registry.k8s.io/pause:3.10";

/** The flannel version when `versions.flannel` is not set: the one the example stacks pin. */
export const DEFAULT_FLANNEL_VERSION = "0.26.1";
/** The flannel-cni-plugin image tag that flannel v0.26.1's kube-flannel.yml ships with. */
export const DEFAULT_FLANNEL_CNI_PLUGIN_VERSION = "v1.5.1-flannel2";

/** A version as an image tag: with its leading v. */
export const vTag = (version: string): string => (version.startsWith("v") ? version : `v${version}`);

/** The CoreDNS image of a version (versions.coredns), from `repository`. */
export function corednsImage(version: string, repository = "registry.k8s.io/coredns/coredns"): string {
  return `${repository}:${vTag(version)}`;
}

/** flannel's two images, from `registry` (and path prefix). */
export function flannelImages(version = DEFAULT_FLANNEL_VERSION, cniPluginVersion = DEFAULT_FLANNEL_CNI_PLUGIN_VERSION, registry = DEFAULT_REGISTRY): { flannel: string; cniPlugin: string } {
  const base = registry.replace(/\/+$/, "");
  return { flannel: `${base}/flannel/flannel:${vTag(version)}`, cniPlugin: `${base}/flannel/flannel-cni-plugin:${vTag(cniPluginVersion)}` };
}

/** A parsed image reference: `registry/repository:tag` or `registry/repository@digest`. */
export interface ImageReference {
  /** The registry host, with its port if any, such as `docker.io` or `10.234.2.218:5000`. */
  readonly registry: string;
  /** The path inside the registry, such as `library/redis`. */
  readonly repository: string;
  /** The tag, `latest` when the name gives none (and no digest). */
  readonly tag?: string;
  readonly digest?: string;
}

/**
 * Reads an image name as containerd and Docker do: the first component is a registry only when it has a dot or a
 * colon or is `localhost`; docker.io's one-component names live under `library/`; no tag means `latest`.
 */
export function parseImage(name: string): ImageReference {
  let rest = name;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf("/");
  const first = slash < 0 ? "" : rest.slice(0, slash);
  const hasRegistry = first !== "" && (first.includes(".") || first.includes(":") || first === "localhost");
  const registry = hasRegistry ? first : DEFAULT_REGISTRY;
  let repository = hasRegistry ? rest.slice(slash + 1) : rest;
  if (registry === DEFAULT_REGISTRY && !repository.includes("/")) repository = `library/${repository}`;
  return { registry, repository, ...(digest === undefined ? { tag: tag ?? "latest" } : { digest, ...(tag === undefined ? {} : { tag }) }) };
}

/** The fully qualified name, such as `docker.io/library/redis:4-alpine3.8`: two spellings of one image compare equal. */
export function canonicalImage(name: string): string {
  const r = parseImage(name);
  return `${r.registry}/${r.repository}${r.tag === undefined ? "" : `:${r.tag}`}${r.digest === undefined ? "" : `@${r.digest}`}`;
}
