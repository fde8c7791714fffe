// The dev and prod stacks under mocks: their config is valid and they register the seed workloads the way
// each environment should run them.
import { installMocks, RecordedResource, runStack } from "./stack-harness";
import { stackConfig } from "./stack-config";

jest.setTimeout(60_000);

type Resources = Map<string, RecordedResource>;
const stacks: Record<string, Resources> = {};
const ofKind = (resources: Resources, type: string) => [...resources.values()].filter((r) => r.type === type);
const named = (resources: Resources, type: string, name: string) => ofKind(resources, type).find((r) => r.inputs.metadata?.name === name);

beforeAll(async () => {
  await installMocks();
  for (const stack of ["dev", "prod"]) {
    const { raw, secretKeys } = stackConfig(stack);
    // An up needs the cluster's kubeconfig; the real one comes from the control plane.
    stacks[stack] = await runStack({ ...raw, kubeconfig: "kubeconfig-placeholder" }, [...secretKeys, "kubeconfig"]);
  }
});

describe.each(["dev", "prod"])("%s stack", (stack) => {
  test("deploys every seed app, Traefik and the Ceph class (prod: and monitoring and logging)", () => {
    const deployments = ofKind(stacks[stack], "kubernetes:apps/v1:Deployment").map((d) => d.inputs.metadata.name);
    expect(deployments).toEqual(expect.arrayContaining(["flaskapp", "redis", "nginx", "tutum-hello-world", "tutum-hello-world-canary", "go2cloud-platform"]));
    // prod also runs monitoring's node-exporter and logging's vlagent on every node.
    const daemonSets = stack === "prod" ? ["node-exporter", "traefik", "vlagent"] : ["traefik"];
    expect(
      ofKind(stacks[stack], "kubernetes:apps/v1:DaemonSet")
        .map((d) => d.inputs.metadata.name)
        .sort(),
    ).toEqual(daemonSets);
    expect(ofKind(stacks[stack], "kubernetes:storage.k8s.io/v1:StorageClass").map((d) => d.inputs.provisioner)).toEqual(["rbd.csi.ceph.com"]);
  });

  test("nginx gets default.conf from a ConfigMap mounted with subPath; redis runs on storage=ssd", () => {
    const nginx = named(stacks[stack], "kubernetes:apps/v1:Deployment", "nginx")!;
    expect(nginx.inputs.spec.template.spec.containers[0].volumeMounts).toEqual(
      expect.arrayContaining([expect.objectContaining({ mountPath: "/etc/nginx/conf.d/default.conf", subPath: "default.conf" })]),
    );
    expect(named(stacks[stack], "kubernetes:core/v1:ConfigMap", "nginx-config")!.inputs.data["default.conf"]).toContain("proxy_pass http://flaskapp;");
    expect(named(stacks[stack], "kubernetes:apps/v1:Deployment", "redis")!.inputs.spec.template.spec.nodeSelector).toEqual({ storage: "ssd" });
  });

  test("hello-world is on NodePort 31000 with its Ingress host", () => {
    const service = named(stacks[stack], "kubernetes:core/v1:Service", "service-tutum-hello-world")!;
    expect(service.inputs.spec.type).toBe("NodePort");
    expect(service.inputs.spec.ports[0].nodePort).toBe(31000);
  });

  test("go2cloud: config.yaml with seed 003's keys from a Secret, its passwords from secret config; 8Gi PVC, TCP probe, pull secret", () => {
    const go2cloud = named(stacks[stack], "kubernetes:apps/v1:Deployment", "go2cloud-platform")!.inputs.spec.template.spec;
    expect(go2cloud.containers[0].livenessProbe.tcpSocket.port).toBe(8088);
    expect(go2cloud.imagePullSecrets).toEqual([{ name: "registry-secret" }]);
    expect(named(stacks[stack], "kubernetes:core/v1:PersistentVolumeClaim", "go2cloud-api-pvc")!.inputs.spec.resources.requests.storage).toBe("8Gi");
    const secret = named(stacks[stack], "kubernetes:core/v1:Secret", "go2cloud-platform-config")!;
    // The file arrives as a Pulumi secret, with the values of the secret config keys in it.
    expect(secret.secretInputs).toEqual(["stringData"]);
    const config = secret.inputs.stringData["config.yaml"];
    expect(config).toContain("DB_PASSWORD: go2cloudDbPassword-placeholder");
    expect(config).toContain("REDIS_PASSWORD: go2cloudRedisPassword-placeholder");
    // No variable carries them any more, and no ConfigMap holds them.
    expect(go2cloud.containers[0].env ?? []).toEqual([]);
    const configMaps = ofKind(stacks[stack], "kubernetes:core/v1:ConfigMap").map((c) => JSON.stringify(c.inputs.data ?? {}));
    configMaps.forEach((data) => expect(data).not.toContain("placeholder"));
  });
});

test("prod runs the way production does: more replicas, TLS, autoscaling, disruption budgets, Ceph as the default class", () => {
  const replicas = (stack: string, name: string) => named(stacks[stack], "kubernetes:apps/v1:Deployment", name)!.inputs.spec.replicas;
  expect(replicas("prod", "tutum-hello-world")).toBeGreaterThan(replicas("dev", "tutum-hello-world"));
  // hello-world's canary routes it by header, so its route is a Traefik IngressRoute, on websecure with the certificate.
  const route = (stack: string) => ofKind(stacks[stack], "kubernetes:traefik.io/v1alpha1:IngressRoute").find((r) => r.inputs.metadata.name === "tutum-hello-world")!.inputs.spec;
  expect([route("prod").entryPoints, route("prod").tls]).toEqual([["websecure"], { secretName: "tutum-hello-world-tls" }]);
  expect([route("dev").entryPoints, route("dev").tls]).toEqual([["web"], undefined]);
  expect(ofKind(stacks.prod, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler").length).toBeGreaterThan(ofKind(stacks.dev, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler").length);
  expect(ofKind(stacks.prod, "kubernetes:policy/v1:PodDisruptionBudget").length).toBeGreaterThan(ofKind(stacks.dev, "kubernetes:policy/v1:PodDisruptionBudget").length);
  const isDefault = (stack: string) => ofKind(stacks[stack], "kubernetes:storage.k8s.io/v1:StorageClass")[0].inputs.metadata.annotations?.["storageclass.kubernetes.io/is-default-class"];
  expect(isDefault("prod")).toBe("true");
  expect(isDefault("dev")).toBeUndefined();
});
