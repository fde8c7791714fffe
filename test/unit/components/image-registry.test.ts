// ImageRegistry and RegistryMirrors under mocks: the shape of their graph (their scripts are golden-tested in
// test/unit/host/registry-scripts.test.ts, and run for real in test/lab/registry.test.sh).
import * as pulumi from "@pulumi/pulumi";
import { ImageRegistry } from "../../../components/image-registry";
import { RegistryMirrors } from "../../../components/registry-mirrors";
import { simulatedHost, testHostKey } from "../hosts";
import { installMocks, isWrappedSecret, recorded, settle } from "./mocks";

const real = (name: string, address: string) => simulatedHost(name, { address, roles: ["registry"], sshHostKey: testHostKey(name), simulated: false });
const digest = (c: string) => `sha256:${c.repeat(64)}`;

beforeAll(async () => {
  await installMocks();
  const registry = new ImageRegistry("registry", {
    hosts: [real("r1", "10.0.0.31"), real("r2", "10.0.0.32")],
    sshPrivateKey: pulumi.secret("key"),
    artifact: { url: "http://10.0.0.1/registry.tar.gz", sha256: "f".repeat(64) },
    address: "10.0.0.103",
    caCert: "CA",
    serverCert: { cert: pulumi.output("CERT"), key: pulumi.secret("KEY") },
    pushPassword: pulumi.secret("push-pw"),
    pullPassword: pulumi.secret("pull-pw"),
    images: [
      { name: "docker.io/library/redis:7", archive: "/b/redis.tar", digest: digest("a") },
      { name: "registry.k8s.io/pause:3.10", archive: "/b/pause.tar", digest: digest("b") },
    ],
  });
  new RegistryMirrors("mirrors", {
    hosts: [real("w1", "10.0.0.21")],
    sshPrivateKey: pulumi.secret("key"),
    endpoint: registry.endpoint,
    caCert: registry.caCert,
    pullPassword: pulumi.secret("pull-pw"),
    mirrors: ["docker.io"],
  });
  await settle();
});

const byName = (name: string) => recorded.find((r) => r.name === name)!;

test("each registry host gets its release and its step; one push per image", () => {
  expect(recorded.filter((r) => r.name.startsWith("registry-")).map((r) => `${r.type} ${r.name}`)).toEqual(
    expect.arrayContaining([
      "command:remote:Command registry-r1-registry-install",
      "command:remote:Command registry-r1",
      "command:remote:Command registry-r2",
      "command:local:Command registry-push-docker.io-library-redis-7",
      "command:local:Command registry-push-registry.k8s.io-pause-3.10",
    ]),
  );
});

test("a push names its digest and every registry host, and gets the password on stdin only", () => {
  const push = byName("registry-push-docker.io-library-redis-7").inputs;
  expect(push.create).toContain(`--digest ${digest("a")}`);
  expect(push.create).toContain("--to 10.0.0.31:5000,10.0.0.32:5000");
  expect(push.create).not.toContain("push-pw");
  expect(isWrappedSecret(push.stdin)).toBe(true);
  expect(push.interpreter).toEqual(["/bin/bash", "-c"]);
});

test("the host steps carry their secrets on stdin, not in the script", () => {
  const step = byName("registry-r1").inputs;
  expect(step.create).not.toMatch(/push-pw|pull-pw|KEY/);
  expect(isWrappedSecret(step.stdin)).toBe(true);
  expect(step.create).toContain("registry r1");
});

test("the mirrors point at the registry's endpoint, with the pull credentials on stdin", () => {
  const step = byName("mirrors-w1").inputs;
  expect(step.create).toContain('[host."https://10.0.0.103:5000"]');
  expect(step.create).not.toContain(Buffer.from("onprem-pull:pull-pw").toString("base64"));
  expect(isWrappedSecret(step.stdin)).toBe(true);
});
