/** Parses `imageRegistry`: the registry the hosts of role `registry` run, the mirrors the nodes pull through, and the image bundle. */
import * as fs from "fs";
import * as path from "path";
import { ArtifactSpec, HostSpec, LoadBalancerSpec, SiteRegistry } from "../spec/cluster";
import { BundleImage, DEFAULT_MIRRORS, ImageBundleSpec, ImageRegistrySpec } from "../spec/image-registry";
import { canonicalImage } from "../spec/images";
import { Problems, isPort, isRecord } from "./problems";
import { checkShape } from "./shape";
import { REGISTRY_HOST } from "./parse-registries";

/** The secret config keys of the registry's two accounts. */
export const REGISTRY_PASSWORD_KEYS = { push: "registryPushPassword", pull: "registryPullPassword" } as const;

const SHAPE = {
  fields: { port: "integer", storageDirectory: "string", garbageCollection: "string", mirrors: { list: "string" }, bundle: "string" },
} as const;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

export interface ImageRegistryContext {
  readonly key: string;
  readonly keyOf: (name: string) => string;
  readonly hosts: readonly HostSpec[];
  readonly loadBalancers: readonly LoadBalancerSpec[];
  readonly artifacts: Readonly<Record<string, ArtifactSpec>>;
  readonly registries: readonly SiteRegistry[];
  readonly secretKeys: ReadonlySet<string>;
  readonly problems: Problems;
}

/** The registry's spec, or undefined when no host has role `registry` (then `imageRegistry` must be unset). */
export function parseImageRegistry(given: unknown, c: ImageRegistryContext): ImageRegistrySpec | undefined {
  const { key, problems } = c;
  // Pulumi.yaml declares the key with an empty default: empty means unset.
  const raw = isRecord(given) && Object.keys(given).length === 0 ? undefined : given;
  const registryHosts = c.hosts.filter((h) => h.roles.includes("registry"));
  if (registryHosts.length === 0) {
    if (raw !== undefined) {
      const mirrors = isRecord(raw) && Array.isArray(raw.mirrors) && raw.mirrors.length > 0;
      problems.add(
        key,
        mirrors ? "names mirrors, but no registry serves them: no host has role registry" : "is set, but no host has role registry",
        'give the role "registry" to the hosts that run the registry (two or more behind a load balancer), or drop imageRegistry',
      );
    }
    return undefined;
  }
  const value = raw ?? {};
  if (!checkShape(value, SHAPE, key, problems)) return undefined;
  const r = value as { port?: number; storageDirectory?: string; garbageCollection?: string; mirrors?: string[]; bundle?: string };
  const port = r.port ?? 5000;
  if (!isPort(port)) problems.add(`${key}.port`, `${port} is not a port`, "give a number from 1 to 65535");
  const storageDirectory = r.storageDirectory ?? "/var/lib/onprem-registry";
  if (!/^\/[^\s'"$`\\]*$/.test(storageDirectory) || storageDirectory === "/") {
    problems.add(`${key}.storageDirectory`, `"${storageDirectory}" is not an absolute directory`, "give a directory such as /var/lib/onprem-registry, without spaces or quotes");
  }
  const garbageCollection = r.garbageCollection ?? "Sun *-*-* 03:00:00";
  if (!/^[A-Za-z0-9*:,./~ -]+$/.test(garbageCollection)) {
    problems.add(`${key}.garbageCollection`, `"${garbageCollection}" is not a systemd calendar expression`, 'give one as OnCalendar takes it, such as "Sun *-*-* 03:00:00" or "daily"');
  }
  const mirrors = r.mirrors ?? [...DEFAULT_MIRRORS];
  mirrors.forEach((m, i) => {
    if (!REGISTRY_HOST.test(m)) {
      problems.add(`${key}.mirrors[${i}]`, `"${m}" is not HOST or HOST:PORT`, "give a registry as image names start with it, such as docker.io or 10.234.2.218");
    } else if (c.registries.some((s) => s.host === m)) {
      problems.add(`${key}.mirrors[${i}]`, `"${m}" is also in registries`, "nodes pull it either through the site's registry (mirrors) or from the registry itself (registries): drop one");
    }
  });
  if (!c.artifacts.registry) {
    problems.add(`${c.keyOf("artifacts")}.registry`, "is not set, but hosts have role registry", "give the registry release .tar.gz (scripts/build-registry.sh makes it) as {url or path, sha256}");
  }
  for (const secret of Object.values(REGISTRY_PASSWORD_KEYS)) {
    if (!c.secretKeys.has(secret)) {
      problems.add(c.keyOf(secret), "is not set as a secret, but hosts have role registry", `set it with \`pulumi config set --secret ${secret}\` (docs/images.md)`);
    }
  }
  return {
    port,
    storageDirectory,
    garbageCollection,
    address: registryAddress(registryHosts, c, port),
    mirrors,
    ...(r.bundle === undefined ? {} : { bundle: readBundle(r.bundle, `${key}.bundle`, problems) }),
  };
}

/** Nodes pull through the VIP in front of the registry hosts; one registry host needs none. */
function registryAddress(registryHosts: readonly HostSpec[], c: ImageRegistryContext, port: number): string {
  const lb = c.loadBalancers.find((l) => l.backendRole === "registry");
  if (lb) {
    if (!lb.ports.includes(port)) {
      c.problems.add(c.keyOf("loadBalancers"), `${lb.name} forwards ${lb.ports.join(", ")}, not the registry's port ${port}`, `add ${port} to its ports`);
    }
    return lb.vip;
  }
  if (registryHosts.length > 1) {
    c.problems.add(
      c.keyOf("loadBalancers"),
      `${registryHosts.length} hosts have role registry, but no load balancer has backendRole registry`,
      `add one with backendRole: registry and ports: [${port}], so a registry host that is down loses no pull`,
    );
  }
  return registryHosts[0].address;
}

/** Reads DIR/bundle.json: every image needs its archive in DIR and the digest of its manifest. */
function readBundle(directory: string, key: string, problems: Problems): ImageBundleSpec {
  const file = path.join(directory, "bundle.json");
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    problems.add(key, `${file} cannot be read: ${(e as Error).message.split("\n")[0]}`, "give the directory scripts/build-images.sh printed, or one laid out as docs/images.md says");
    return { directory, images: [] };
  }
  const entries = isRecord(parsed) && Array.isArray(parsed.images) ? parsed.images : undefined;
  if (entries === undefined) {
    problems.add(key, `${file} has no images list`, 'give {"images": [{"name", "archive", "digest"}]}');
    return { directory, images: [] };
  }
  const images: BundleImage[] = [];
  entries.forEach((e, i) => {
    const at = `${file}: images[${i}]`;
    const entry = isRecord(e) ? e : {};
    const name = typeof entry.name === "string" ? entry.name : undefined;
    if (name === undefined) {
      problems.add(key, `${at} has no name`, "give the image's upstream name, such as docker.io/library/redis:7");
      return;
    }
    if (typeof entry.digest !== "string" || !DIGEST.test(entry.digest)) {
      problems.add(key, `${at} (${name}) has no digest`, "give the manifest digest as sha256:<64 hex digits>, as `onprem-image digest ARCHIVE` prints it");
      return;
    }
    const archive = typeof entry.archive === "string" ? path.resolve(directory, entry.archive) : "";
    if (!archive || !fs.existsSync(archive)) {
      problems.add(key, `${at} (${name}): archive ${archive || "(none)"} is missing`, "put the image's OCI archive in the bundle directory and name it in archive");
      return;
    }
    images.push({ name: canonicalImage(name), archive, digest: entry.digest });
  });
  return { directory, images: images.sort((a, b) => a.name.localeCompare(b.name)) };
}
