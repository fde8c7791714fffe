// scripts/preview-summary.js against previews recorded with the real CLI (test/fixtures/preview/record.sh):
// the Markdown must equal the golden file beside each recording; UPDATE_GOLDEN=1 rewrites them.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../../..");
const FIXTURES = path.join(ROOT, "test/fixtures/preview");
const SCRIPT = path.join(ROOT, "scripts/preview-summary.js");
const { summarize } = require(SCRIPT) as { summarize(preview: unknown, state?: unknown, now?: Date): string };

const readJson = (name: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), "utf8"));

function run(args: string[], input?: string): string {
  const result = spawnSync("node", [SCRIPT, ...args], { input, encoding: "utf8" });
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  return result.stdout;
}

const RECORDED = ["create", "harmless", "risky-replace", "risky-config", "failed-config"];

test.each(RECORDED)("the recorded %s preview is summarized exactly as its golden file, from a file or from stdin", (name) => {
  const recording = path.join(FIXTURES, `${name}.json`);
  const golden = path.join(FIXTURES, `${name}.md`);
  const markdown = run([recording]);
  if (process.env.UPDATE_GOLDEN === "1") fs.writeFileSync(golden, markdown);
  expect(markdown).toBe(fs.readFileSync(golden, "utf8"));
  expect(run([], fs.readFileSync(recording, "utf8"))).toBe(markdown);
});

// A failed preview shows its errors instead of counts.
test.each(RECORDED.filter((name) => !name.startsWith("failed-")))("the %s summary counts as many changes as the CLI's own change summary", (name) => {
  const preview = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), "utf8"));
  const totalRow = summarize(preview)
    .split("\n")
    .find((line) => line.startsWith("| **total** |"))!;
  const counted = [...totalRow.matchAll(/\*\*(\d+)\*\*/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  const changed = Object.entries(preview.changeSummary as Record<string, number>).filter(([op]) => op !== "same");
  expect(counted).toBe(changed.reduce((sum, [, n]) => sum + n, 0));
});

test("a failed preview shows the CLI's errors and no counts or risks", () => {
  const markdown = fs.readFileSync(path.join(FIXTURES, "failed-config.md"), "utf8");
  expect(markdown).toContain("### Preview of `dev`: failed");
  expect(markdown).toContain("onprem-k8s:network.podCidr: 192.168.0.0/16 overlaps onprem-k8s:network.hostCidr 192.168.10.0/24");
  expect(markdown).not.toContain("#### Risk");
});

test("the harmless change has no risk and the risky ones have theirs", () => {
  const risksOf = (name: string) => [...fs.readFileSync(path.join(FIXTURES, `${name}.md`), "utf8").matchAll(/^- :warning: \*\*(.+?)\*\*/gm)].map((m) => m[1]);
  expect(risksOf("create")).toEqual([]);
  expect(risksOf("harmless")).toEqual([]);
  expect(risksOf("risky-replace")).toEqual(["etcd member replaced or deleted", "more than one etcd member restarts", "certificates rotate"]);
  expect(risksOf("risky-config")).toEqual(["more than one etcd member restarts", "PersistentVolumeClaim replaced or deleted", "a VIP is touched"]);
});

// The recorded stacks have no masters yet, and no input of theirs names a VIP: these risks are checked on hand-made steps.
describe("risks the recorded stacks cannot show yet", () => {
  const urn = (type: string, name: string) => `urn:pulumi:prod::onprem-k8s::${type}::${name}`;
  const preview = (steps: object[]) => ({
    config: { "onprem-k8s:loadBalancers": JSON.stringify([{ name: "edge", vip: "10.0.0.200" }]) },
    steps,
  });

  const master = (op: string, host: string) => ({
    op,
    urn: urn("onprem-k8s:index:HaControlPlane$command:remote:Command", `control-plane-${host}-master`),
    newState: { type: "command:remote:Command", custom: true },
  });

  test("a replaced master, and more than one master restarting", () => {
    const markdown = summarize(preview([master("replace", "m1"), master("update", "m2")]));
    expect(markdown).toContain("- :warning: **master replaced or deleted**: `control-plane-m1-master` (replace).");
    expect(markdown).toContain("- :warning: **more than one master restarts**: `control-plane-m1-master` (replace), `control-plane-m2-master` (update).");
    expect(summarize(preview([master("update", "m1")]))).toContain("None found");
  });

  test("a change whose inputs mention a VIP, but not an address that merely starts like it", () => {
    const service = (vip: string) => ({ type: "kubernetes:core/v1:Service", custom: true, inputs: { spec: { externalIPs: [vip] } } });
    const step = (name: string, from: string, to: string) => ({ op: "update", urn: urn("kubernetes:core/v1:Service", name), oldState: service(from), newState: service(to) });
    const markdown = summarize(preview([step("moved", "10.0.0.9", "10.0.0.200"), step("elsewhere", "10.0.0.9", "10.0.0.201")]));
    expect(markdown).toContain("- :warning: **a VIP is touched**: `moved` (update).");
  });
});

// The state recorded after the same up as the previews (its certificates only), with a fixed "now" for the golden files.
describe("the certificates' expiry, from the stack's state", () => {
  const NOW = new Date("2026-12-01T00:00:00Z");

  test.each(["harmless", "risky-replace"])("the %s preview with the recorded state is summarized exactly as its golden file", (name) => {
    const golden = path.join(FIXTURES, `${name}-with-state.md`);
    const markdown = summarize(readJson(`${name}.json`), readJson("state.json"), NOW);
    if (process.env.UPDATE_GOLDEN === "1") fs.writeFileSync(golden, markdown);
    expect(markdown).toBe(fs.readFileSync(golden, "utf8"));
  });

  test("the CLI reads the state from a second file or from stdin (-), and dates from today", () => {
    const state = fs.readFileSync(path.join(FIXTURES, "state.json"), "utf8");
    const recording = path.join(FIXTURES, "harmless.json");
    const markdown = run([recording, "-"], state);
    expect(markdown).toBe(summarize(readJson("harmless.json"), JSON.parse(state)));
    expect(run([recording, path.join(FIXTURES, "state.json")])).toBe(markdown);
    expect(markdown).toMatch(/^\d+ deployed; the first to expire is `pki-[a-z0-9-]+` on \d{4}-\d\d-\d\d \(in \d+ days\)\.$/m);
  });

  test("the replaced certificate is marked in the table", () => {
    expect(fs.readFileSync(path.join(FIXTURES, "risky-replace-with-state.md"), "utf8")).toMatch(/^\| `pki-etcd-server-dev-m1` \| [0-9T:.Z-]+ \| \d+ \| replace \|$/m);
  });

  test("without the state it says how to pass it", () => {
    expect(fs.readFileSync(path.join(FIXTURES, "harmless.md"), "utf8")).toContain(
      "Not known: pass the stack's state as well, `pulumi stack export --stack dev | node scripts/preview-summary.js preview.json -`.",
    );
  });

  // Certificates near their end cannot be recorded without waiting for them: these are hand-made.
  test("a certificate within pki.expiryWarningDays is a warning, with the fix for a leaf and for a CA, unless this change re-issues it", () => {
    const urn = (type: string, name: string) => `urn:pulumi:prod::onprem-k8s::onprem-k8s:index:ClusterPki$tls:index/${type}::${name}`;
    const cert = (type: string, name: string, notAfter: string) => ({ urn: urn(type, name), type: `tls:index/${type}`, outputs: { validityEndTime: notAfter } });
    const leaf = "locallySignedCert:LocallySignedCert";
    const ca = "selfSignedCert:SelfSignedCert";
    const state = {
      deployment: {
        resources: [
          cert(leaf, "pki-apiserver", "2026-12-11T00:00:00Z"),
          cert(ca, "pki-kube-ca", "2026-12-06T12:00:00Z"),
          cert(leaf, "pki-admin", "2026-12-08T00:00:00Z"),
          cert(leaf, "pki-scheduler", "2027-06-01T00:00:00Z"),
          { urn: urn("privateKey:PrivateKey", "pki-admin-key"), type: "tls:index/privateKey:PrivateKey", outputs: {} },
        ],
      },
    };
    const preview = {
      config: { "onprem-k8s:pki": JSON.stringify({ expiryWarningDays: 20 }) },
      steps: [{ op: "replace", urn: urn(leaf, "pki-admin"), newState: { type: `tls:index/${leaf}`, custom: true } }],
    };
    const markdown = summarize(preview, state, NOW);
    expect(markdown).toContain("4 deployed; the first to expire is `pki-kube-ca` on 2026-12-06 (in 5 days).");
    expect(markdown).toContain("- :warning: **`pki-kube-ca` expires 2026-12-06** (in 5 days, within pki.expiryWarningDays 20): a CA is re-issued only by `pulumi up --replace` of it.");
    expect(markdown).toContain("- :warning: **`pki-apiserver` expires 2026-12-11** (in 10 days, within pki.expiryWarningDays 20): the next `pulumi up` re-issues it.");
    expect(markdown).not.toContain("**`pki-admin` expires");
    expect(markdown).toContain("| `pki-admin` | 2026-12-08T00:00:00Z | 7 | replace |");
    expect(markdown).toContain("| `pki-kube-ca` (CA) | 2026-12-06T12:00:00Z | 5 |  |");
    expect(markdown).not.toContain("pki-admin-key");
  });

  test("a stack not deployed yet has none, and a first preview counts the certificates it issues", () => {
    expect(summarize(readJson("create.json"), { deployment: {} }, NOW)).toMatch(/^None deployed yet\. This change issues \d+ new\.$/m);
  });
});
