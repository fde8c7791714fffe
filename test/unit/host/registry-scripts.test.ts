// The registry hosts' scripts, the bundle push and the nodes' mirrors, as text: a golden file each, and shellcheck.
import { renderRegistryGc, renderRegistryHost, renderRegistryRemove } from "../../../components/host/registry-scripts";
import { renderImagePush } from "../../../components/host/push-script";
import { renderMirrorHosts, renderMirrors, renderMirrorsRemove } from "../../../components/host/mirror-scripts";
import { expectGolden } from "./golden";
import { shellcheckFailures } from "./shellcheck";

const pem = `-----BEGIN CERTIFICATE-----\nMIIBfakeCERTIFICATE\n-----END CERTIFICATE-----\n`;
const host = {
  host: "lab1",
  address: "172.31.250.11",
  turn: 0,
  peers: ["172.31.250.12:5000"],
  port: 5000,
  storageDirectory: "/var/lib/onprem-registry",
  garbageCollection: "Sun *-*-* 03:00:00",
  caCert: pem,
  serverCert: pem,
  releaseSha256: "a".repeat(64),
};
const image = { name: "docker.io/library/redis:4-alpine3.8", archive: "/cache/images/docker.io_library_redis_4-alpine3.8.tar", digest: `sha256:${"d".repeat(64)}` };
const scripts: Record<string, string> = {
  "registry-host.sh": renderRegistryHost(host),
  "registry-gc.sh": renderRegistryGc({ turn: 1, peers: ["172.31.250.11:5000"], garbageCollection: "Sun *-*-* 03:00:00" }).script,
  "registry-remove.sh": renderRegistryRemove("lab1", "/var/lib/onprem-registry"),
  "registry-push.sh": renderImagePush({ image, targets: ["172.31.250.11:5000", "172.31.250.12:5000"], tool: "onprem-image" }),
  "registry-mirrors.sh": renderMirrors({ host: "lab-w1", endpoint: "172.31.250.103:5000", caCert: pem, mirrors: ["docker.io", "registry.k8s.io"] }),
  "registry-mirrors-remove.sh": renderMirrorsRemove("lab-w1"),
};

test.each(Object.keys(scripts))("%s matches its golden file", (name) => {
  expectGolden(`host/${name}`, scripts[name]);
});

test("the scripts pass shellcheck", () => {
  expect(shellcheckFailures(scripts)).toEqual([]);
});

test("no script carries a password or key: they come on stdin", () => {
  for (const text of Object.values(scripts)) expect(text).not.toMatch(/PRIVATE KEY|Basic [A-Za-z0-9+/=]{8,}/);
  expect(scripts["registry-host.sh"]).toContain('registry-htpasswd "$1" <"$2"');
  expect(scripts["registry-mirrors.sh"]).toContain('"$(cat "$SECRETS/pull-authorization")"');
});

test("docker.io's mirror falls back to its API host; the hosts.toml sends pulls to the site's registry with its CA", () => {
  expect(renderMirrorHosts("docker.io", "172.31.250.103:5000")).toBe(`# Rendered by onprem-k8s; changes here are overwritten.
server = "https://registry-1.docker.io"

[host."https://172.31.250.103:5000"]
  capabilities = ["pull", "resolve"]
  ca = "/etc/containerd/onprem-registry-ca.crt"
`);
  expect(renderMirrorHosts("quay.io", "10.0.0.9:5000")).toContain('server = "https://quay.io"');
});

test("a changed setting changes the host script; the same inputs give the same text", () => {
  expect(renderRegistryHost(host)).toBe(renderRegistryHost({ ...host }));
  expect(renderRegistryHost({ ...host, storageDirectory: "/srv/registry" })).not.toBe(renderRegistryHost(host));
  expect(renderRegistryHost({ ...host, releaseSha256: "b".repeat(64) })).toContain(`registry release ${"b".repeat(64)}`);
});
