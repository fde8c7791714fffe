// The GitHub Actions workflows: actionlint, built from its pinned Go module (tools/actionlint), must find nothing;
// and the preview workflow keeps its promises (PR comments, policy pack, credentials only from secrets).
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { ROOT } from "./pulumi-cli";

jest.setTimeout(900_000);

const WORKFLOW = path.join(ROOT, ".github/workflows/preview.yml");

describe("actionlint", () => {
  let actionlint: string;
  beforeAll(() => {
    // actionlint runs shellcheck on the `run:` scripts when it finds it; scripts/test.sh installs it.
    actionlint = execFileSync("bash", [path.join(ROOT, "scripts/build-actionlint.sh")], { encoding: "utf8" }).trim();
  });

  test("finds nothing in .github/workflows (shell steps included, through shellcheck)", () => {
    const result = spawnSync(actionlint, ["-no-color"], { cwd: ROOT, encoding: "utf8" });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  test("does report a broken workflow, so its silence above means something", () => {
    const broken =
      "on: pull_request\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: pulumi/actions@v6\n        with:\n          comment-on-pr-numbr: 1\n      - run: echo ${{ github.event.pull_request.title }} $HOME\n";
    const result = spawnSync(actionlint, ["-no-color", "-"], { cwd: ROOT, input: broken, encoding: "utf8" });
    expect(result.status).not.toBe(0);
    expect(result.stdout).toContain('input "comment-on-pr-numbr" is not defined in action "pulumi/actions@v6"');
    expect(result.stdout).toContain('"github.event.pull_request.title" is potentially untrusted');
    expect(result.stdout).toContain("shellcheck reported issue in this script: SC2086");
  });
});

describe("the preview workflow", () => {
  const text = fs.readFileSync(WORKFLOW, "utf8");
  const workflow = yaml.load(text) as { jobs: Record<string, { strategy: { matrix: { stack: string[] } }; env: Record<string, string>; steps: { uses?: string; with?: Record<string, unknown> }[] }> };
  const job = workflow.jobs.preview;
  const step = (action: string) => job.steps.find((s) => s.uses?.startsWith(action))!;

  test("previews every environment stack with the policy pack and that stack's policy config", () => {
    expect(job.strategy.matrix.stack).toEqual(["dev", "prod"]);
    expect(step("pulumi/actions@").with).toMatchObject({
      command: "preview",
      "stack-name": "${{ matrix.stack }}",
      policyPacks: "policy",
      policyPackConfigs: "policy/config/${{ matrix.stack }}.json",
    });
    for (const stack of job.strategy.matrix.stack) expect(fs.existsSync(path.join(ROOT, `policy/config/${stack}.json`))).toBe(true);
  });

  test("comments on the pull request, one comment per stack edited in place, and posts the summary as a sticky comment per stack", () => {
    expect(step("pulumi/actions@").with).toMatchObject({
      "comment-on-pr": true,
      "comment-on-pr-number": "${{ github.event.pull_request.number }}",
      "edit-pr-comment": true,
      "github-token": "${{ secrets.GITHUB_TOKEN }}",
    });
    expect(step("marocchino/sticky-pull-request-comment@").with).toMatchObject({ header: "preview-summary-${{ matrix.stack }}" });
    expect(text).toContain("node scripts/preview-summary.js");
  });

  test("takes credentials only from secrets", () => {
    for (const name of ["PULUMI_BACKEND_URL", "PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE"]) {
      expect(job.env[name]).toBe(`\${{ secrets.${name} }}`);
    }
    expect(text).not.toContain("onprem-k8s-example");
    expect(text).not.toMatch(/(PASSPHRASE|TOKEN|PASSWORD)\s*[:=]\s*(?!\$\{\{ secrets\.)\S/);
  });
});

describe("the checks workflow", () => {
  const workflow = yaml.load(fs.readFileSync(path.join(ROOT, ".github/workflows/checks.yml"), "utf8")) as { on: Record<string, unknown>; jobs: { checks: { steps: { run?: string }[] } } };
  const runs = workflow.jobs.checks.steps.map((s) => s.run).filter((r): r is string => r !== undefined);

  test("runs on pull requests: types, the unit tests and the plugins' Go tests", () => {
    expect(Object.keys(workflow.on)).toContain("pull_request");
    expect(runs).toEqual(expect.arrayContaining(["npx tsc --noEmit -p tsconfig.json", "npx jest --ci --selectProjects unit", "go test ./cmd/..."]));
  });

  test("lints the same scripts as the test command", () => {
    const testCommand = fs
      .readFileSync(path.join(ROOT, "scripts/test.sh"), "utf8")
      .split("\n")
      .find((line) => line.startsWith("shellcheck "));
    expect(runs.filter((r) => r.startsWith("shellcheck "))).toEqual([testCommand]);
  });
});
