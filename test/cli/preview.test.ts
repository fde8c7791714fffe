// Real `pulumi preview` runs of the environment stacks, through the engine built by scripts/build-tools.sh.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pulumi } from "./pulumi-cli";

jest.setTimeout(600_000);

describe.each(["dev", "prod"])("pulumi preview --stack %s", (stack) => {
  test("succeeds with no hosts and no cluster, and shows the validated plan", () => {
    expect(pulumi(["stack", "select", "--create", stack]).code).toBe(0);
    const result = pulumi(["preview", "--stack", stack, "--diff"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`+ pulumi:pulumi:Stack: (create)`);
    expect(result.stdout).toMatch(/clusterName\s*: "(dev|prod)"/);
    expect(result.stdout).not.toContain("BEGIN OPENSSH PRIVATE KEY");
    // The seed workloads, previewed before the cluster exists.
    for (const app of ["flaskapp", "redis", "nginx", "tutum-hello-world", "go2cloud-platform"]) {
      expect(result.stdout).toMatch(new RegExp(`\\+ kubernetes:apps/v1:Deployment: \\(create\\)[\\s\\S]*?name\\s*: "${app}"`));
    }
    expect(result.stdout).toContain("+ kubernetes:apps/v1:DaemonSet: (create)");
    expect(result.stdout).toContain("nodePort  : 31000");
  });
});

describe("pulumi preview with invalid config", () => {
  // A throwaway backend and stack, so that the repository's own stacks stay untouched.
  const backend = fs.mkdtempSync(path.join(os.tmpdir(), "onprem-k8s-invalid-"));
  const env = { PULUMI_BACKEND_URL: `file://${backend}` };
  const configFile = path.join(backend, "Pulumi.invalid.yaml");

  // `stack init` writes the stack's config file (its encryption salt) beside Pulumi.yaml: it goes with the stack.
  const initFile = path.join(__dirname, "../../Pulumi.invalid.yaml");

  afterAll(() => {
    fs.rmSync(backend, { recursive: true, force: true });
    fs.rmSync(initFile, { force: true });
  });

  test("fails before any resource, listing every problem with its key", () => {
    expect(pulumi(["stack", "init", "invalid"], env).code).toBe(0);
    const dev = fs.readFileSync(path.join(__dirname, "../../Pulumi.dev.yaml"), "utf8");
    // Break three rules at once; the secret stays a secret of this throwaway stack.
    const broken = dev
      .replace(/^encryptionsalt:.*$/m, "")
      .replace(/^ {2}onprem-k8s:\w+:\n {4}secure: .*\n/gm, "")
      .replace("podCidr: 10.244.0.0/16", "podCidr: 192.168.0.0/16")
      .replace("clusterDnsIp: 10.96.0.10", "clusterDnsIp: 10.97.0.10")
      .replace("vip: 192.168.10.200", "vip: 192.168.10.31");
    fs.writeFileSync(configFile, broken);
    // Every secret of dev again, now encrypted for this stack.
    const secretKeys = [...dev.matchAll(/^ {2}onprem-k8s:(\w+):\n {4}secure: /gm)].map((m) => m[1]);
    expect(secretKeys).toEqual(expect.arrayContaining(["sshPrivateKey", "loadBalancerAuthPassword"]));
    for (const key of secretKeys) {
      const value = key === "sshPrivateKey" ? "not-a-real-key" : "vrrp-pw";
      expect(pulumi(["config", "set", "--secret", key, value, "--stack", "invalid", "--config-file", configFile], env).code).toBe(0);
    }

    const result = pulumi(["preview", "--stack", "invalid", "--config-file", configFile], env);
    const output = result.stdout + result.stderr;
    expect(result.code).not.toBe(0);
    expect(output).toContain("invalid stack configuration (3 problems):");
    expect(output).toContain("onprem-k8s:network.podCidr: 192.168.0.0/16 overlaps onprem-k8s:network.hostCidr 192.168.10.0/24");
    expect(output).toContain('onprem-k8s:network.clusterDnsIp: "10.97.0.10" is not inside serviceCidr 10.96.0.0/16');
    expect(output).toContain("onprem-k8s:loadBalancers[1].vip: 192.168.10.31 is the address of host dev-e1");
    expect(output).not.toMatch(/at \S+ \(.*\.ts:\d+/); // no stack trace, just the problems
    expect(output).not.toContain("not-a-real-key");
  });
});
