import { cephRbdManifests } from "../../../components/charts/ceph-csi-chart";
import { CephRbdSpec } from "../../../spec/ceph-rbd";
import { ManifestObject } from "../../../components/charts/chart-app";
import { flannelManifests } from "../../../components/flannel";
import { traefikManifests, TraefikSecretShapes } from "../../../components/charts/traefik-chart";
import { TraefikSpec } from "../../../spec/traefik";
import { webAppManifests } from "../../../components/charts/webapp-chart";
import { WebAppSecretShapes, WebAppSpec } from "../../../spec/webapp";
import { webAppSecretShapes } from "../../../components/webapp";
import { AppConfig } from "../../../spec/cluster";
import { validateClusterConfig } from "../../../config";
import { ADDONS } from "../../../addons";
import { stackConfig } from "../stack/stack-config";

/** The dev stack's apps, read by the stack's own config parser: the app goldens show what the stack renders. */
export const devApps: readonly AppConfig[] = (() => {
  const { raw, secretKeys } = stackConfig("dev");
  const { spec, problems } = validateClusterConfig(raw, new Set(secretKeys), "onprem-k8s", ADDONS);
  if (problems.length > 0) throw new Error(`Pulumi.dev.yaml is invalid:\n${problems.join("\n")}`);
  return spec.apps;
})();

export function devApp(name: string): AppConfig {
  const app = devApps.find((a) => a.spec.name === name);
  if (!app) throw new Error(`Pulumi.dev.yaml has no app ${name}`);
  return app;
}

/** The Secrets the WebApp component declares for a stack app, as it does from the app's secret config keys. */
export const secretShapesOf = (app: AppConfig): WebAppSecretShapes => webAppSecretShapes({ ...app.spec, registryCredential: app.registry }, Object.keys(app.secretEnvKeys));

export const flaskapp: WebAppSpec = devApp("flaskapp").spec;
export const redis: WebAppSpec = devApp("redis").spec;
export const nginx: WebAppSpec = devApp("nginx").spec;
export const go2cloud: WebAppSpec = devApp("go2cloud-platform").spec;
export const go2cloudSecrets: WebAppSecretShapes = secretShapesOf(devApp("go2cloud-platform"));

/** tutum-hello-world as the dev stack runs it: a canary that testers reach by sending `X-Canary: true`. */
export const helloWorldHeaderCanary: WebAppSpec = devApp("tutum-hello-world").spec;

/** The same app without its canary, so its route is a plain Ingress. */
export const helloWorld: WebAppSpec = { ...helloWorldHeaderCanary, canary: undefined };

/** A canary that takes 10% of all requests, over TLS. */
export const helloWorldWeightedCanary: WebAppSpec = {
  ...helloWorldHeaderCanary,
  ingress: { host: "tutum-hello-world.local", tls: { secretName: "hello-world-tls" } },
  canary: { image: "tutum/hello-world:canary", routing: "weight", weight: 10 },
};

export const traefik: TraefikSpec = { defaultIngressClass: true };
export const traefikSecrets: TraefikSecretShapes = { dashboardAuthSecretName: "traefik-dashboard-auth" };

/** Seed 003's in-tree class, moved to ceph-csi: same pool, fs, features and reclaim policy. */
export const cephRbd: CephRbdSpec = {
  clusterId: "b9127830-b0cc-4e34-aa47-9d1a2e9949a8",
  monitors: ["192.0.2.11:6789", "192.0.2.12:6789", "192.0.2.13:6789"],
  pool: "kube",
  storageClassName: "ceph-rdb",
  fsType: "xfs",
  imageFeatures: "layering",
  reclaimPolicy: "Retain",
};

/** Every chart rendered with the fixtures above, by golden file name: each dev stack app as `webapp-<name>`. */
export const renderedCharts: Record<string, () => ManifestObject[]> = {
  ...Object.fromEntries(devApps.map((app) => [`webapp-${app.spec.name}`, () => webAppManifests(app.spec, secretShapesOf(app))])),
  "webapp-tutum-hello-world-ingress": () => webAppManifests(helloWorld),
  "webapp-tutum-hello-world-weighted-canary": () => webAppManifests(helloWorldWeightedCanary),
  traefik: () => traefikManifests(traefik, traefikSecrets),
  "ceph-rbd": () => cephRbdManifests(cephRbd),
  flannel: () => flannelManifests({ podCidr: "10.244.0.0/16", nodeSubnetLength: 24 }),
  "flannel-every-option": () =>
    flannelManifests({
      podCidr: "172.20.0.0/14",
      nodeSubnetLength: 22,
      version: "0.26.4",
      imageRegistry: "registry.example.internal",
      backendType: "wireguard",
      resources: { requests: { cpu: "200m", memory: "64Mi" }, limits: { cpu: "1", memory: "512Mi" } },
    }),
};
