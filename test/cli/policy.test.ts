// The policy pack (policy/) through the real CLI, `pulumi preview --policy-pack policy --policy-pack-config
// policy/config/STACK.json`, on a scratch program (test/fixtures/policy) that breaks or keeps each rule and on the
// prod stack; then edge cases of each rule on hand-made resources.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { pulumi, ROOT } from "./pulumi-cli";

jest.setTimeout(900_000);

const POLICY = path.join(ROOT, "policy");
const policyConfig = (stack: string) => path.join(POLICY, "config", `${stack}.json`);

/** Installs the pack's own dependencies when node_modules does not match its lock file, as scripts/setup.sh does. */
function installPolicyPack(): void {
  const lock = path.join(POLICY, "package-lock.json");
  const installed = path.join(POLICY, "node_modules", ".package-lock.json");
  if (fs.existsSync(installed) && fs.readFileSync(installed, "utf8") === fs.readFileSync(lock, "utf8")) return;
  const result = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: POLICY, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`npm ci in policy/ failed:\n${result.stderr}`);
  fs.copyFileSync(lock, installed);
}

beforeAll(installPolicyPack);

describe("pulumi preview --policy-pack policy, on the scratch program", () => {
  // The program runs from a copy outside the repository, so that its stack files land there too.
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "onprem-k8s-policy-"));
  const program = path.join(work, "program");
  const env = { PULUMI_BACKEND_URL: `file://${path.join(work, "backend")}` };

  beforeAll(() => {
    fs.mkdirSync(path.join(work, "backend"));
    fs.cpSync(path.join(ROOT, "test/fixtures/policy"), program, { recursive: true });
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(program, "node_modules"));
    expect(pulumi(["stack", "init", "policy", "--cwd", program], env).code).toBe(0);
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  function preview(which: string, stack: "dev" | "prod") {
    const configFile = path.join(work, `${which}.yaml`);
    fs.writeFileSync(configFile, `config:\n  policy-fixtures:case: ${which}\n`);
    const args = ["preview", "--cwd", program, "--stack", "policy", "--config-file", configFile, "--policy-pack", POLICY, "--policy-pack-config", policyConfig(stack)];
    const result = pulumi(args, env);
    return { ...result, output: result.stdout + result.stderr };
  }

  const k8sViolations = [
    'Deployment "latest" container "app": image "nginx:latest" uses the latest tag; pin a version tag or a digest',
    'Deployment "untagged" container "app": image "registry.local:5000/team/app" has no tag; pin a version tag or a digest',
    'Deployment "unbounded" container "app" has no resources.limits.cpu, resources.limits.memory; set requests and limits for cpu and memory',
    'ConfigMap "settings" key "DB_PASSWORD" looks like a secret; put it in a Secret (WebApp: secretEnv) instead of a ConfigMap',
    'ConfigMap "settings" key "tls.key" looks like a secret; put it in a Secret (WebApp: secretEnv) instead of a ConfigMap',
    'Ingress "web" has no spec.tls; serve it over TLS (WebApp: ingress.tls)',
    'Deployment "host-mounts" volume "docker" mounts host path /var/run/docker.sock; only kube-flannel/kube-flannel-ds, kube-system/kube-proxy, ceph-csi/csi-rbdplugin, logging/vlagent, monitoring/node-exporter may (policy config "allowed")',
    'Service "web" port http has nodePort 8080, outside the NodePort range 30000-32767',
  ];

  test("prod: every Kubernetes rule is mandatory, and the preview fails naming each violation", () => {
    const result = preview("k8s-violations", "prod");
    expect(result.code).not.toBe(0);
    for (const message of k8sViolations) expect(result.output).toContain(message);
    expect(result.output.match(/\[mandatory\]/g)).toHaveLength(k8sViolations.length);
  });

  test("dev: the same violations are advisory warnings, TLS on Ingresses is not required, and the preview passes", () => {
    const result = preview("k8s-violations", "dev");
    expect(result.code).toBe(0);
    for (const message of k8sViolations.filter((m) => !m.startsWith("Ingress"))) expect(result.output).toContain(message);
    expect(result.output.match(/\[advisory\]/g)).toHaveLength(k8sViolations.length - 1);
    expect(result.output).not.toContain("ingress-tls");
  });

  test("prod: compliant Kubernetes objects pass", () => {
    const result = preview("k8s-compliant", "prod");
    expect(result.output).not.toMatch(/\[(mandatory|advisory)\]/);
    expect(result.code).toBe(0);
  });

  test("an EtcdCluster with an even number of members fails, an odd one passes", () => {
    const even = preview("etcd-even", "prod");
    expect(even.code).not.toBe(0);
    expect(even.output).toContain("[mandatory]  etcd-odd-members");
    expect(even.output).toContain('EtcdCluster "etcd" has 2 members (etcd-h1-member, etcd-h2-member); give it an odd number (1, 3 or 5) so that it keeps a quorum');
    const odd = preview("etcd-odd", "prod");
    expect(odd.output).not.toContain("etcd-odd-members");
    expect(odd.code).toBe(0);
  });
});

describe.each(["dev", "prod"])("the %s stack and its policy config", (stack) => {
  test("the policy config's NodePort range is the stack's network.nodePortRange", () => {
    const stackConfig = yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, { nodePortRange?: string }> };
    const config = JSON.parse(fs.readFileSync(policyConfig(stack), "utf8"));
    expect(config["node-port-range"].nodePortRange).toBe(stackConfig.config["onprem-k8s:network"].nodePortRange ?? "30000-32767");
  });
});

test("the prod stack passes the pack with prod's mandatory config", () => {
  expect(pulumi(["stack", "select", "--create", "prod"]).code).toBe(0);
  const result = pulumi(["preview", "--stack", "prod", "--policy-pack", POLICY, "--policy-pack-config", policyConfig("prod")]);
  expect({ code: result.code, output: result.code === 0 ? "" : result.stdout + result.stderr }).toEqual({ code: 0, output: "" });
  expect(result.stdout).toContain("✅ onprem-k8s@v0.1.0");
});

// Edge cases, calling each rule's check directly with hand-made resources (as @pulumi/policy's own tests do).
describe("the rules on hand-made resources", () => {
  type Report = (message: string) => void;
  interface Rule {
    name: string;
    validateResource?: (args: object, report: Report) => void;
  }
  let rules: Record<string, Rule>;
  beforeAll(() => {
    // Loaded only now: the pack's dependencies are installed by the beforeAll above.
    const { policies } = require("../../policy/rules") as { policies: Rule[] };
    rules = Object.fromEntries(policies.map((p) => [p.name, p]));
  });

  function violations(rule: string, type: string, props: object, config: object = {}): string[] {
    const found: string[] = [];
    rules[rule].validateResource!({ type, props, name: "r", urn: `urn:pulumi:t::p::${type}::r`, getConfig: () => config }, (m) => found.push(m));
    return found;
  }
  const cronJob = (image: string) => ({ metadata: { name: "backup" }, spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: "c", image }] } } } } } });

  test("images: digests and version tags pass; the pod template of a CronJob is checked too", () => {
    expect(violations("pinned-images", "kubernetes:batch/v1:CronJob", cronJob("registry:5000/tools/backup@sha256:" + "a".repeat(64)))).toEqual([]);
    expect(violations("pinned-images", "kubernetes:batch/v1:CronJob", cronJob("registry:5000/tools/backup:2.1"))).toEqual([]);
    expect(violations("pinned-images", "kubernetes:batch/v1:CronJob", cronJob("registry:5000/tools/backup"))).toEqual([
      'CronJob "backup" container "c": image "registry:5000/tools/backup" has no tag; pin a version tag or a digest',
    ]);
  });

  test("hostPath: a workload on the allow-list may mount host paths, the list comes from the config", () => {
    const daemonSet = (namespace: string, name: string) => ({
      metadata: { namespace, name },
      spec: { template: { spec: { containers: [], volumes: [{ name: "run", hostPath: { path: "/run/flannel" } }] } } },
    });
    expect(violations("no-host-path-volumes", "kubernetes:apps/v1:DaemonSet", daemonSet("kube-flannel", "kube-flannel-ds"))).toEqual([]);
    expect(violations("no-host-path-volumes", "kubernetes:apps/v1:DaemonSet", daemonSet("kube-flannel", "kube-flannel-ds"), { allowed: ["logging/vlagent"] })).toHaveLength(1);
  });

  test("Ingress: every rule's host must be covered by spec.tls", () => {
    const rule = (host: string) => ({ host, http: { paths: [] } });
    const ingress = { metadata: { name: "web" }, spec: { rules: [rule("a.example.com"), rule("b.example.com")], tls: [{ hosts: ["a.example.com"] }] } };
    expect(violations("ingress-tls", "kubernetes:networking.k8s.io/v1:Ingress", ingress)).toEqual(['Ingress "web" serves b.example.com without TLS; list them in spec.tls[].hosts']);
  });

  test("NodePort: the range comes from the config; ports the API server assigns are not checked", () => {
    const service = { metadata: { name: "web" }, spec: { type: "NodePort", ports: [{ name: "http", nodePort: 30080 }, { name: "auto" }] } };
    expect(violations("node-port-range", "kubernetes:core/v1:Service", service)).toEqual([]);
    expect(violations("node-port-range", "kubernetes:core/v1:Service", service, { nodePortRange: "31000-31999" })).toEqual([
      'Service "web" port http has nodePort 30080, outside the NodePort range 31000-31999',
    ]);
  });

  test("ConfigMap: ordinary keys pass", () => {
    const data = { "nginx.conf": "", "app.properties": "", keys: "", "monitoring-targets": "" };
    expect(violations("no-secrets-in-configmaps", "kubernetes:core/v1:ConfigMap", { metadata: { name: "c" }, data })).toEqual([]);
  });
});
