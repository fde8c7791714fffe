import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { WebApp } from "../../../components/webapp";
import { go2cloud, helloWorld, helloWorldHeaderCanary, redis } from "../charts/fixtures";
import * as yaml from "js-yaml";
import { childrenOf, installMocks, isWrappedSecret, settle, valueOf } from "./mocks";

const dbPassword = "db-pass-3f9c1e";
const redisPassword = "redis-pass-77a0b2";
const registryPassword = "registry-pass-c41d08";

let provider: k8s.Provider;
beforeAll(async () => {
  await installMocks();
  provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
});

function byName(component: string, type: string, name: string): Record<string, any> {
  const found = childrenOf(component).find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`${component} registered no ${type} ${name}`);
  return found.inputs;
}

describe("go2cloud-platform", () => {
  let app: WebApp;
  beforeAll(async () => {
    app = new WebApp("go2cloud", {
      ...go2cloud,
      provider,
      secretFileValues: { DB_PASSWORD: pulumi.secret(dbPassword), REDIS_PASSWORD: pulumi.secret(redisPassword) },
      registryCredential: {
        server: "10.234.2.218",
        username: "deploy",
        password: pulumi.secret(registryPassword),
        secretName: "registry-secret",
      },
      nodeAddress: "203.0.113.10",
    });
    await settle();
  });

  test("one typed resource per chart object, named <component>/<namespace>/<object>", () => {
    expect(
      childrenOf("go2cloud")
        .map((r) => `${r.type} ${r.name}`)
        .sort(),
    ).toEqual([
      "kubernetes:apps/v1:Deployment go2cloud/default/go2cloud-platform",
      "kubernetes:core/v1:PersistentVolumeClaim go2cloud/default/go2cloud-api-pvc",
      "kubernetes:core/v1:Secret go2cloud/default/go2cloud-platform-config",
      "kubernetes:core/v1:Secret go2cloud/default/registry-secret",
      "kubernetes:core/v1:Service go2cloud/default/go2cloud-platform-service",
    ]);
  });

  test("every child goes through the given provider", () => {
    for (const child of childrenOf("go2cloud")) expect(child.provider).toMatch(/::pulumi:providers:kubernetes::cluster::/);
  });

  test("8Gi PVC, tcp liveness probe and the registry imagePullSecret reach Pulumi", () => {
    const claim = byName("go2cloud", "kubernetes:core/v1:PersistentVolumeClaim", "go2cloud/default/go2cloud-api-pvc");
    expect(claim.spec.resources.requests.storage).toBe("8Gi");
    expect(claim.spec.storageClassName).toBe("ceph-rdb");
    const pod = byName("go2cloud", "kubernetes:apps/v1:Deployment", "go2cloud/default/go2cloud-platform").spec.template.spec;
    expect(pod.containers[0].livenessProbe.tcpSocket).toEqual({ port: 8088 });
    expect(pod.imagePullSecrets).toEqual([{ name: "registry-secret" }]);
  });

  test("config.yaml reaches the engine as a secret, with seed 003's every key and the passwords filled in", () => {
    const files = byName("go2cloud", "kubernetes:core/v1:Secret", "go2cloud/default/go2cloud-platform-config");
    expect(isWrappedSecret(files.stringData)).toBe(true);
    expect(Object.keys(files.stringData.value)).toEqual(["config.yaml"]);
    const config = yaml.load(files.stringData.value["config.yaml"]) as Record<string, unknown>;
    expect(Object.keys(config)).toEqual([
      "DB_ENGINE",
      "DB_HOST",
      "DB_PORT",
      "DB_USER",
      "DB_PASSWORD",
      "DB_NAME",
      "REDIS_HOST",
      "REDIS_PORT",
      "REDIS_PASSWORD",
      "HTTP_LISTEN_PORT",
      "API_MIGRATE_SERVER_URL",
      "PLATFORM_CALLBACK_URL",
    ]);
    expect([config.DB_PASSWORD, config.REDIS_PASSWORD]).toEqual([dbPassword, redisPassword]);
    const pod = byName("go2cloud", "kubernetes:apps/v1:Deployment", "go2cloud/default/go2cloud-platform").spec.template.spec;
    expect(pod.containers[0].env).toBeUndefined();
  });

  test("Secret data reaches the engine as secrets, and nowhere else in clear: no ConfigMap, no env, no annotation", () => {
    const registry = byName("go2cloud", "kubernetes:core/v1:Secret", "go2cloud/default/registry-secret");
    expect(isWrappedSecret(registry.stringData)).toBe(true);
    const dockerConfig = JSON.parse(registry.stringData.value[".dockerconfigjson"]);
    expect(dockerConfig.auths["10.234.2.218"]).toEqual({
      username: "deploy",
      password: registryPassword,
      auth: Buffer.from(`deploy:${registryPassword}`).toString("base64"),
    });

    const everythingElse = JSON.stringify(childrenOf("go2cloud").filter((r) => r.type !== "kubernetes:core/v1:Secret"));
    for (const value of [dbPassword, redisPassword, registryPassword]) expect(everythingElse).not.toContain(value);
  });

  test("outputs: service name, cluster DNS name and the NodePort URL", async () => {
    expect(await valueOf(app.serviceName)).toBe("go2cloud-platform-service");
    expect(await valueOf(app.dnsName)).toBe("go2cloud-platform-service.default.svc.cluster.local");
    expect(await valueOf(app.urls)).toEqual(["http://203.0.113.10:30020"]);
  });
});

describe("secret values", () => {
  test("secretFileValues fill the secret files; secretEnv are the variables of the env Secret", async () => {
    new WebApp("both", {
      ...redis,
      name: "both",
      secretFiles: { files: { "app.conf": "password = ${DB_PASSWORD}\n" }, mounts: [{ style: "subPath", key: "app.conf", mountPath: "/etc/app.conf" }] },
      secretFileValues: { DB_PASSWORD: pulumi.secret(dbPassword) },
      secretEnv: { API_TOKEN: pulumi.secret("token-9d1") },
      provider,
    });
    await settle();
    expect(byName("both", "kubernetes:core/v1:Secret", "both/docker2istio/both-secret-files").stringData.value).toEqual({ "app.conf": `password = ${dbPassword}\n` });
    expect(byName("both", "kubernetes:core/v1:Secret", "both/docker2istio/both-secret").stringData.value).toEqual({ API_TOKEN: "token-9d1" });
    const container = byName("both", "kubernetes:apps/v1:Deployment", "both/docker2istio/both").spec.template.spec.containers[0];
    expect(container.env).toEqual([{ name: "API_TOKEN", valueFrom: { secretKeyRef: { name: "both-secret", key: "API_TOKEN" } } }]);
    expect(container.volumeMounts).toEqual([{ name: "secret-files", mountPath: "/etc/app.conf", subPath: "app.conf" }]);
  });
});

describe("seed apps through Pulumi", () => {
  test("redis keeps nodeSelector storage=ssd", async () => {
    new WebApp("redis", { ...redis, provider });
    await settle();
    const deployment = byName("redis", "kubernetes:apps/v1:Deployment", "redis/docker2istio/redis");
    expect(deployment.spec.template.spec.nodeSelector).toEqual({ storage: "ssd" });
  });

  test("hello-world: NodePort 31000, ingress URL and NodePort URL, custom cluster domain", async () => {
    const app = new WebApp("hello", { ...helloWorld, provider, clusterDomain: "k8s.internal" });
    await settle();
    const service = byName("hello", "kubernetes:core/v1:Service", "hello/cloud/service-tutum-hello-world");
    expect(service.spec.ports[0].nodePort).toBe(31000);
    expect(byName("hello", "kubernetes:networking.k8s.io/v1:Ingress", "hello/cloud/tutum-hello-world").spec.rules[0].host).toBe("tutum-hello-world.local");
    expect(await valueOf(app.urls)).toEqual(["http://tutum-hello-world.local/", "http://127.0.0.1:31000"]);
    expect(await valueOf(app.dnsName)).toBe("service-tutum-hello-world.cloud.svc.k8s.internal");
  });

  test("a canary's Traefik routes become CustomResources of the traefik.io kinds", async () => {
    new WebApp("canary", { ...helloWorldHeaderCanary, provider });
    await settle();
    const types = childrenOf("canary").map((r) => r.type);
    expect(types).toContain("kubernetes:traefik.io/v1alpha1:IngressRoute");
    expect(types.filter((t) => t === "kubernetes:apps/v1:Deployment")).toHaveLength(2);
    expect(types).not.toContain("kubernetes:networking.k8s.io/v1:Ingress");
  });

  test("a namespace it creates is registered too", async () => {
    new WebApp("ns", { ...redis, name: "cache", namespace: "cache", createNamespace: true, provider });
    await settle();
    expect(byName("ns", "kubernetes:core/v1:Namespace", "ns/cache")).toMatchObject({ metadata: { name: "cache" } });
  });
});
