// The engine as scripts/build-tools.sh registers it: each provider under its npm SDK's exact version, and the
// kubernetes provider is upstream's (its schema has the provider-side components the project-built one never had).
import * as path from "path";
import { pulumi, ROOT } from "./pulumi-cli";

jest.setTimeout(60_000);

const sdkVersion = (name: string): string => require(path.join(ROOT, "node_modules", "@pulumi", name, "package.json")).version;

test("every resource plugin is registered once, under the version of its npm SDK", () => {
  const result = pulumi(["plugin", "ls", "--json"]);
  expect(result.code).toBe(0);
  const plugins: { name: string; kind: string; version: string }[] = JSON.parse(result.stdout);
  const resources = plugins
    .filter((p) => p.kind === "resource")
    .map((p) => `${p.name}@${p.version}`)
    .sort();
  expect(resources).toEqual(["command", "kubernetes", "tls"].map((name) => `${name}@${sdkVersion(name)}`));
});

test("the kubernetes provider is upstream's 4.25.0: its schema has Helm v4 and yaml/v2", () => {
  expect(sdkVersion("kubernetes")).toBe("4.25.0");
  const result = pulumi(["package", "get-schema", `kubernetes@${sdkVersion("kubernetes")}`]);
  expect(result.code).toBe(0);
  const schema = JSON.parse(result.stdout);
  expect([schema.name, schema.version]).toEqual(["kubernetes", "4.25.0"]);
  expect(Object.keys(schema.resources)).toEqual(expect.arrayContaining(["kubernetes:helm.sh/v4:Chart", "kubernetes:yaml/v2:ConfigGroup", "kubernetes:core/v1:NodePatch"]));
});
