// The npm library as a user gets it: `npm pack` the repository, install the tarball into a fresh Pulumi program
// outside the repository, type-check that program and run a real `pulumi preview` of it.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pulumi, ROOT } from "./pulumi-cli";
import { testHostKey } from "../unit/hosts";

jest.setTimeout(900_000);

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", timeout: 600_000 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** The version of an npm package that the repository's lock file pins. */
function lockedVersion(name: string): string {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
  return lock.packages[`node_modules/${name}`].version;
}

// A consumer of the library: an etcd cluster with its PKI on three hosts, and a WebApp on a Kubernetes provider.
const PROGRAM = `import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterPki, EtcdCluster, EtcdClusterArgs, WebApp } from "onprem-k8s";

const config = new pulumi.Config();
const hostKeys = ${JSON.stringify([1, 2, 3].map((i) => testHostKey(`node${i}`)))};
const members: EtcdClusterArgs["members"] = [1, 2, 3].map((i) => ({
  name: \`node\${i}\`, address: \`192.0.2.\${i}\`, sshPort: 22, sshUser: "root", sshHostKey: hostKeys[i - 1], roles: ["etcd"], labels: {}, taints: [],
}));
const pki = new ClusterPki("pki", { clusterName: "demo", validityDays: 365, etcdMembers: members });
const etcd = new EtcdCluster("etcd", {
  clusterName: "demo",
  members,
  sshPrivateKey: config.requireSecret("sshPrivateKey"),
  artifact: { url: "https://mirror.example.internal/etcd.tar.gz", sha256: "0".repeat(64) },
  caCert: pki.etcdCaCert,
  memberCerts: pki.etcdMembers,
  clientCert: pki.etcdClient,
  settings: { heartbeatIntervalMs: 100, electionTimeoutMs: 1000, snapshotCount: 10000, quotaBackendBytes: 2 ** 31 },
  backup: { intervalMinutes: 60, retention: 24, directory: "/var/backups/etcd" },
});
const web = new WebApp("web", {
  provider: new k8s.Provider("cluster", {}),
  name: "web",
  image: "nginx:1.27.3",
  ports: [{ containerPort: 80 }],
  resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
});

export const endpoints = etcd.clientEndpoints;
export const dnsName = web.dnsName;
`;

describe("the npm package", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "onprem-k8s-library-"));
  const program = path.join(work, "program");
  let tarball: string;

  beforeAll(() => {
    // prepack compiles the library (tsconfig.build.json) into bin/ first.
    const [packed] = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", work], ROOT));
    tarball = path.join(work, packed.filename);
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test("holds the compiled components, spec and config with their types, the README and nothing else", () => {
    const files = run("tar", ["-tzf", tarball], work).trim().split("\n").sort();
    expect(files).toContain("package/bin/components/index.js");
    expect(files).toContain("package/bin/components/index.d.ts");
    expect(files).toContain("package/bin/components/etcd-cluster.d.ts");
    expect(files).toContain("package/bin/spec/cluster.d.ts");
    expect(files).toContain("package/README.md");
    expect(files.filter((f) => !/^package\/(bin\/(components|config|spec)\/.*\.(js|d\.ts)|README\.md|package\.json)$/.test(f))).toEqual([]);
  });

  test("installs into a fresh program outside the repository, which type-checks and previews", () => {
    const versions = Object.fromEntries(["@pulumi/pulumi", "@pulumi/command", "@pulumi/tls", "@pulumi/kubernetes", "typescript", "@types/node"].map((n) => [n, lockedVersion(n)]));
    fs.mkdirSync(program);
    fs.writeFileSync(path.join(program, "Pulumi.yaml"), "name: library-consumer\nruntime:\n  name: nodejs\n  options:\n    typescript: true\nmain: index.ts\n");
    fs.writeFileSync(path.join(program, "index.ts"), PROGRAM);
    fs.writeFileSync(
      path.join(program, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { target: "ES2022", module: "commonjs", moduleResolution: "node10", strict: true, esModuleInterop: true, types: ["node"] }, files: ["index.ts"] }),
    );
    const { typescript, "@types/node": typesNode, ...dependencies } = versions;
    fs.writeFileSync(
      path.join(program, "package.json"),
      JSON.stringify(
        { name: "library-consumer", private: true, dependencies: { ...dependencies, "onprem-k8s": `file:${tarball}` }, devDependencies: { typescript, "@types/node": typesNode } },
        null,
        2,
      ),
    );
    run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], program);

    run("npx", ["tsc", "--noEmit", "-p", "."], program);

    const env = { PULUMI_BACKEND_URL: `file://${work}` };
    expect(pulumi(["stack", "init", "demo", "--cwd", program], env).code).toBe(0);
    expect(pulumi(["config", "set", "--secret", "sshPrivateKey", "not-a-real-key", "--cwd", program, "--stack", "demo"], env).code).toBe(0);
    const result = pulumi(["preview", "--cwd", program, "--stack", "demo"], env);
    expect(result.stderr).toBe("");
    expect({ code: result.code, output: result.code === 0 ? "" : result.stdout }).toEqual({ code: 0, output: "" });
    for (const created of ["onprem-k8s:index:EtcdCluster etcd create", "command:remote:Command etcd-node3-member create", "onprem-k8s:apps:WebApp web create", "kubernetes:apps/v1:Deployment"]) {
      expect(result.stdout).toContain(created);
    }
  });
});
