import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { validateClusterConfig } from "../../../config/validate";
import { imageSourceWarnings } from "../../../config/image-sources";
import { ADDONS } from "../../../addons";
import { canonicalImage, parseImage } from "../../../spec/images";
import { NS, SECRET_KEY_NAMES, validRawConfig } from "./fixture";

const SHA = "b".repeat(64);
const WITH_PASSWORDS = new Set([...SECRET_KEY_NAMES, "registryPushPassword", "registryPullPassword", "secretsEncryptionKey"]);

/** The stack also runs its own control plane and nodes, so CoreDNS, flannel and the pod sandbox run too. */
function ownCluster(raw: Record<string, any>): Record<string, any> {
  const artifact = (name: string) => ({ url: `http://10.0.0.1:8080/${name}.tar.gz`, sha256: SHA });
  return {
    ...raw,
    artifacts: { ...raw.artifacts, kubernetes: artifact("kubernetes"), kubernetesNode: artifact("kubernetes-node") },
    versions: { ...raw.versions, kubernetes: "v1.34.4" },
    secretsEncryptionKey: Buffer.alloc(32, 1).toString("base64"),
  };
}

/** A bundle directory with the given bundle.json entries, each archive written unless `missing`. */
function bundle(entries: { name?: string; digest?: string; archive?: string; missing?: boolean }[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bundle-"));
  for (const e of entries) if (e.archive && !e.missing) fs.writeFileSync(path.join(dir, e.archive), "archive");
  fs.writeFileSync(path.join(dir, "bundle.json"), JSON.stringify({ images: entries.map(({ missing: _missing, ...e }) => e) }));
  return dir;
}

/** The fixture with m1 and m2 as registry hosts behind a registry VIP, and the registry release. */
function withRegistry(): Record<string, any> {
  const raw = validRawConfig();
  raw.hosts[0].roles.push("registry");
  raw.hosts[1].roles.push("registry");
  raw.loadBalancers.push({ name: "registry", vip: "10.0.0.103", virtualRouterId: 54, hostRole: "lb", backendRole: "registry", ports: [5000] });
  raw.artifacts.registry = { url: "http://10.0.0.1:8080/registry.tar.gz", sha256: SHA };
  return raw;
}

const problems = (raw: Record<string, any>, secrets = WITH_PASSWORDS) => validateClusterConfig(raw, secrets, NS, ADDONS).problems;

describe("imageRegistry config", () => {
  test("two registry hosts behind their VIP: nodes pull from the VIP, mirrors default to the public registries", () => {
    const { spec, problems: found } = validateClusterConfig(withRegistry(), WITH_PASSWORDS, NS, ADDONS);
    expect(found).toEqual([]);
    expect(spec.imageRegistry).toEqual({
      port: 5000,
      storageDirectory: "/var/lib/onprem-registry",
      garbageCollection: "Sun *-*-* 03:00:00",
      address: "10.0.0.103",
      mirrors: ["docker.io", "registry.k8s.io", "quay.io", "ghcr.io"],
    });
  });

  test("imageRegistry without a registry host", () => {
    const raw = { ...validRawConfig(), imageRegistry: { port: 5000 } };
    expect(problems(raw)).toEqual([
      `${NS}:imageRegistry: is set, but no host has role registry; give the role "registry" to the hosts that run the registry (two or more behind a load balancer), or drop imageRegistry`,
    ]);
  });

  test("a mirror with no registry to serve it", () => {
    const raw = { ...validRawConfig(), imageRegistry: { mirrors: ["docker.io"] } };
    expect(problems(raw)).toEqual([
      `${NS}:imageRegistry: names mirrors, but no registry serves them: no host has role registry; give the role "registry" to the hosts that run the registry (two or more behind a load balancer), or drop imageRegistry`,
    ]);
  });

  test("two registry hosts without a load balancer in front of them", () => {
    const raw = withRegistry();
    raw.loadBalancers.pop();
    expect(problems(raw)).toEqual([
      `${NS}:loadBalancers: 2 hosts have role registry, but no load balancer has backendRole registry; add one with backendRole: registry and ports: [5000], so a registry host that is down loses no pull`,
    ]);
  });

  test("the registry release and both passwords are required, the passwords as secrets", () => {
    const raw = withRegistry();
    delete raw.artifacts.registry;
    expect(problems(raw, new Set(SECRET_KEY_NAMES))).toEqual([
      `${NS}:artifacts.registry: is not set, but hosts have role registry; give the registry release .tar.gz (scripts/build-registry.sh makes it) as {url or path, sha256}`,
      `${NS}:registryPushPassword: is not set as a secret, but hosts have role registry; set it with \`pulumi config set --secret registryPushPassword\` (docs/images.md)`,
      `${NS}:registryPullPassword: is not set as a secret, but hosts have role registry; set it with \`pulumi config set --secret registryPullPassword\` (docs/images.md)`,
    ]);
  });

  test("a mirror that is also a site registry, a bad mirror name and a wrong field", () => {
    const raw: Record<string, any> = { ...ownCluster(withRegistry()), registries: [{ host: "10.0.0.5:5500", http: true }] };
    raw.imageRegistry = { mirrors: ["10.0.0.5:5500", "Docker.IO/"], garbageColection: "daily" };
    expect(problems(raw)).toEqual(expect.arrayContaining([expect.stringContaining(`${NS}:imageRegistry.garbageColection: is not a known field; did you mean "garbageCollection"?`)]));
    delete raw.imageRegistry.garbageColection;
    expect(problems(raw)).toEqual(
      expect.arrayContaining([
        `${NS}:imageRegistry.mirrors[0]: "10.0.0.5:5500" is also in registries; nodes pull it either through the site's registry (mirrors) or from the registry itself (registries): drop one`,
        `${NS}:imageRegistry.mirrors[1]: "Docker.IO/" is not HOST or HOST:PORT; give a registry as image names start with it, such as docker.io or 10.234.2.218`,
      ]),
    );
  });

  test("a bundle image without a digest, and one whose archive is missing", () => {
    const dir = bundle([
      { name: "redis:7", archive: "redis.tar" },
      { name: "nginx:1", archive: "nginx.tar", digest: `sha256:${SHA}`, missing: true },
      { name: "pause:3.10", archive: "pause.tar", digest: `sha256:${SHA}` },
    ]);
    const raw = { ...withRegistry(), imageRegistry: { bundle: dir } };
    const file = path.join(dir, "bundle.json");
    expect(problems(raw)).toEqual([
      `${NS}:imageRegistry.bundle: ${file}: images[0] (redis:7) has no digest; give the manifest digest as sha256:<64 hex digits>, as \`onprem-image digest ARCHIVE\` prints it`,
      `${NS}:imageRegistry.bundle: ${file}: images[1] (nginx:1): archive ${path.join(dir, "nginx.tar")} is missing; put the image's OCI archive in the bundle directory and name it in archive`,
    ]);
    const { spec } = validateClusterConfig(raw, WITH_PASSWORDS, NS, ADDONS);
    expect(spec.imageRegistry?.bundle?.images).toEqual([{ name: "docker.io/library/pause:3.10", archive: path.join(dir, "pause.tar"), digest: `sha256:${SHA}` }]);
  });

  test("a bundle directory without bundle.json", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bundle-"));
    expect(problems({ ...withRegistry(), imageRegistry: { bundle: dir } })).toEqual([
      expect.stringMatching(new RegExp(`^${NS}:imageRegistry\\.bundle: ${path.join(dir, "bundle.json")} cannot be read: ENOENT.*; give the directory scripts/build-images.sh printed`)),
    ]);
  });
});

describe("images the site's registry cannot serve", () => {
  const dir = bundle([
    { name: "registry.k8s.io/pause:3.10", archive: "pause.tar", digest: `sha256:${SHA}` },
    { name: "registry.k8s.io/coredns/coredns:v1.11.3", archive: "coredns.tar", digest: `sha256:${SHA}` },
    { name: "docker.io/flannel/flannel:v0.26.1", archive: "flannel.tar", digest: `sha256:${SHA}` },
    { name: "docker.io/flannel/flannel-cni-plugin:v1.5.1-flannel2", archive: "cni.tar", digest: `sha256:${SHA}` },
    { name: "redis:4-alpine3.8", archive: "redis.tar", digest: `sha256:${SHA}` },
  ]);
  const base = ownCluster(withRegistry());
  base.hosts[3].roles = ["worker", "edge"];
  const raw = {
    ...base,
    imageRegistry: { bundle: dir },
    registries: [{ host: "10.0.0.5:5500", http: true }],
    apps: [
      { name: "redis", image: "docker.io/library/redis:4-alpine3.8", ports: [{ containerPort: 6379 }] },
      { name: "hello", image: "tutum/hello-world", ports: [{ containerPort: 80 }], canary: { image: "tutum/hello-world:canary", replicas: 1, routing: "header" }, ingress: { host: "h.local" } },
      { name: "site", image: "10.0.0.5:5500/team/site:1", ports: [{ containerPort: 80 }] },
      { name: "platform", image: "10.234.2.218/go2cloud/go2cloud-platform:latest", ports: [{ containerPort: 8088 }] },
    ],
    traefik: { defaultIngressClass: true },
    loadBalancers: [...withRegistry().loadBalancers, { name: "edge", vip: "10.0.0.102", virtualRouterId: 53, hostRole: "lb", backendRole: "edge", ports: [80, 443] }],
  };

  test("names each app and addon whose image neither the bundle behind a mirror nor a site registry has", () => {
    const { spec, problems: found } = validateClusterConfig(raw, WITH_PASSWORDS, NS, ADDONS);
    expect(found).toEqual([]);
    expect(imageSourceWarnings(spec, ADDONS)).toEqual([
      "addon traefik runs traefik:v3.1, which the image bundle (imageRegistry.bundle) does not hold: add it to the bundle (docs/images.md), or no node can pull it",
      "app hello runs tutum/hello-world, which the image bundle (imageRegistry.bundle) does not hold: add it to the bundle (docs/images.md), or no node can pull it",
      "app hello (canary) runs tutum/hello-world:canary, which the image bundle (imageRegistry.bundle) does not hold: add it to the bundle (docs/images.md), or no node can pull it",
      "app platform runs 10.234.2.218/go2cloud/go2cloud-platform:latest, whose registry 10.234.2.218 is neither in imageRegistry.mirrors nor in registries: no node can pull it in a site cut off from the internet",
    ]);
  });

  test("no warning without a registry of the site's own", () => {
    const { spec } = validateClusterConfig(validRawConfig(), WITH_PASSWORDS, NS, ADDONS);
    expect(imageSourceWarnings(spec, ADDONS)).toEqual([]);
  });
});

test.each([
  ["redis", { registry: "docker.io", repository: "library/redis", tag: "latest" }, "docker.io/library/redis:latest"],
  ["tutum/hello-world:canary", { registry: "docker.io", repository: "tutum/hello-world", tag: "canary" }, "docker.io/tutum/hello-world:canary"],
  ["registry.k8s.io/coredns/coredns:v1.11.3", { registry: "registry.k8s.io", repository: "coredns/coredns", tag: "v1.11.3" }, "registry.k8s.io/coredns/coredns:v1.11.3"],
  ["10.234.2.218/go2cloud/go2cloud-platform", { registry: "10.234.2.218", repository: "go2cloud/go2cloud-platform", tag: "latest" }, "10.234.2.218/go2cloud/go2cloud-platform:latest"],
  ["localhost:5000/app@sha256:" + SHA, { registry: "localhost:5000", repository: "app", digest: `sha256:${SHA}` }, `localhost:5000/app@sha256:${SHA}`],
])("reads %s as containerd does", (name, parsed, canonical) => {
  expect(parseImage(name)).toEqual(parsed);
  expect(canonicalImage(name)).toBe(canonical);
});
