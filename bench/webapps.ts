/**
 * Benchmark: WebApp chart synthesis plus Pulumi registration under mocks, for stacks of 10, 100
 * and 500 WebApps. Each run is a fresh child process, so the peak RSS is that run's own. The
 * "chart-only" column times the same charts synthesized without Pulumi, to split the cost.
 *
 *   npx tsc -p bench/tsconfig.json && node bin/bench/webapps.js [runs]
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { execFileSync } from "child_process";
import { webAppManifests } from "../components/charts/webapp-chart";
import { WebApp, WebAppArgs } from "../components/webapp";

const sizes = [10, 100, 500];

/** A go2cloud-like app: ConfigMap, Secrets, registry credential, PVC, NodePort, Ingress, HPA, PDB. */
function appArgs(i: number, provider: k8s.Provider): WebAppArgs {
  const name = `app-${i}`;
  return {
    provider,
    name,
    namespace: `team-${i % 10}`,
    image: `registry.local/apps/${name}:1.0.${i}`,
    ports: [{ containerPort: 8080, name: "http" }],
    replicas: 2,
    env: { LOG_LEVEL: "info", APP_INDEX: String(i) },
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
    livenessProbe: { tcp: { port: 8080 }, initialDelaySeconds: 10 },
    readinessProbe: { http: { path: "/healthz", port: 8080 } },
    configFiles: {
      files: { "config.yaml": `name: ${name}\nport: 8080\n` },
      mounts: [{ style: "items", mountPath: "/etc/app", items: [{ key: "config.yaml", path: "config.yaml" }] }],
    },
    secretEnv: { DB_PASSWORD: pulumi.secret(`pw-${i}`) },
    registryCredential: { server: "registry.local", username: "ci", password: pulumi.secret("registry-pw") },
    persistentVolume: { storageClassName: "ceph-rbd", size: "1Gi", mountPath: "/data" },
    nodeSelector: { storage: "ssd" },
    service: { type: "NodePort", ports: [{ port: 80, targetPort: 8080, name: "http", nodePort: 30000 + i }] },
    ingress: { host: `${name}.apps.local` },
    autoscaling: { maxReplicas: 4, targetCpuUtilization: 80 },
    podDisruptionBudget: { maxUnavailable: 1 },
  };
}

/** Child: registers `count` WebApps and reports time to the last registration and peak RSS. */
async function runOnce(count: number): Promise<void> {
  let registered = 0;
  let expected = Infinity;
  let done!: () => void;
  const allRegistered = new Promise<void>((resolve) => (done = resolve));
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        if (++registered >= expected) done();
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => args.inputs,
    },
    "bench",
    "bench",
    false,
  );
  const provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
  const synthStart = process.hrtime.bigint();
  for (let i = 0; i < count; i++) webAppManifests(appArgs(i, provider));
  const synthMs = Number(process.hrtime.bigint() - synthStart) / 1e6;

  const start = process.hrtime.bigint();
  const objectsPerApp = webAppManifests(appArgs(0, provider)).length + 2; // + the two Secrets the component adds
  expected = 1 + count * (1 + objectsPerApp); // provider + per app: component + objects
  for (let i = 0; i < count; i++) new WebApp(`app-${i}`, appArgs(i, provider));
  await allRegistered;
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  // No process.exit: Pulumi flags still-pending output promises as leaks; let them settle.
  console.log(JSON.stringify({ count, ms, synthMs, peakRssMiB: process.resourceUsage().maxRSS / 1024, resources: registered }));
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function main(): void {
  const runs = Number(process.argv[2] ?? 5);
  console.log(`WebApp synthesis + registration under Pulumi mocks, ${runs} runs each (node ${process.version})`);
  console.log("apps  resources  median ms  ms/app  chart-only ms  median peak RSS MiB  max peak RSS MiB");
  for (const count of sizes) {
    const results = Array.from({ length: runs }, () => JSON.parse(execFileSync(process.execPath, [__filename, "--child", String(count)], { encoding: "utf8" }).trim()));
    const ms = median(results.map((r) => r.ms));
    const rss = results.map((r) => r.peakRssMiB);
    console.log(
      [
        String(count).padStart(4),
        String(results[0].resources).padStart(10),
        ms.toFixed(0).padStart(10),
        (ms / count).toFixed(2).padStart(7),
        median(results.map((r) => r.synthMs))
          .toFixed(0)
          .padStart(14),
        median(rss).toFixed(0).padStart(20),
        Math.max(...rss)
          .toFixed(0)
          .padStart(17),
      ].join(" "),
    );
  }
}

if (process.argv[2] === "--child") void runOnce(Number(process.argv[3]));
else main();
