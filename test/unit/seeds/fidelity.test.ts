// Seed fidelity: every manifest the seeds show (test/fixtures/seeds/) against what the dev stack renders, field by
// field. Each value a seed states is in the dev stack's object, or docs/seeds.md lists the difference and its reason;
// a listed difference that no longer is one fails too, so the list stays true.
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { validateClusterConfig } from "../../../config";
import { ADDONS } from "../../../addons";
import { installMocks, runStack } from "../stack/stack-harness";
import { stackConfig } from "../stack/stack-config";

jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, "../../..");

/** A seed's manifest: where the seed shows it (`002:91` for seed 002's line 91) and the object. */
interface SeedObject {
  readonly seed: string;
  readonly object: Record<string, any>;
}

function seedObjects(): SeedObject[] {
  const dir = path.join(ROOT, "test/fixtures/seeds");
  return fs
    .readdirSync(dir)
    .filter((file) => file.endsWith(".yaml"))
    .flatMap((file) =>
      fs
        .readFileSync(path.join(dir, file), "utf8")
        .split(/^---$/m)
        .map((text) => {
          const ref = /^# seed: (\d{3})_\w+\.txt:(\d+)/m.exec(text);
          if (!ref) throw new Error(`${file}: a document without its "# seed: FILE:LINE" line`);
          return { seed: `${ref[1]}:${ref[2]}`, object: yaml.load(text) as Record<string, any> };
        }),
    );
}

const keyOf = (object: Record<string, any>) => `${object.kind}/${object.metadata.name}`;

/** A field's path: `spec.replicas` for plain keys, `data["config.yaml"]` for any other, `ports[0]` for a list item. */
const step = (at: string, key: string) => (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${at}[${JSON.stringify(key)}]` : at ? `${at}.${key}` : key);

/**
 * Every value of an object by its path. A YAML file's text counts as its keys, so each key is compared; any other
 * multi-line text is compared line by line, its indentation and blank lines aside (the seeds' text lost them).
 */
function leaves(value: unknown, at = "", into = new Map<string, unknown>()): Map<string, unknown> {
  if (Array.isArray(value)) value.forEach((item, i) => leaves(item, `${at}[${i}]`, into));
  else if (value !== null && typeof value === "object") for (const [key, item] of Object.entries(value)) leaves(item, step(at, key), into);
  else if (typeof value === "string" && /\.ya?ml"\]$/.test(at)) leaves(yaml.load(value), at, into);
  else if (typeof value === "string" && value.includes("\n"))
    into.set(
      at,
      value
        .split("\n")
        .map((line) => line.trim())
        .filter(Boolean)
        .join("\n"),
    );
  else into.set(at, value);
  return into;
}

/** One row of docs/seeds.md's table of differences. */
interface Row {
  readonly seeds: readonly string[];
  readonly object: string;
  /** A field's path, or `(object)` for the object as a whole. */
  readonly field: string;
  /** `→ PATH` (or `→ Kind/name` for an object): the same values under another path; else the stack's differing value. */
  readonly stack: string;
  readonly line: string;
}

function documentedDifferences(): Row[] {
  const text = fs.readFileSync(path.join(ROOT, "docs/seeds.md"), "utf8");
  const table = text.slice(text.indexOf("## Differences"));
  return table
    .split("\n")
    .filter((line) => /^\| \d{3}:\d+/.test(line))
    .map((line) => {
      const [seeds, object, field, stack] = line.split(" | ").map((cell) => cell.replace(/^\| /, "").replace(/`/g, "").trim());
      return { seeds: seeds.split(/,\s*/), object, field, stack, line };
    });
}

/** Does PREFIX name PATH or a field inside it? */
const covers = (prefix: string, at: string) => at === prefix || at.startsWith(`${prefix}.`) || at.startsWith(`${prefix}[`);
const longest = (rows: Row[]) => rows.sort((a, b) => b.field.length - a.field.length)[0];
const isRename = (row: Row) => row.stack.startsWith("→ ");

let rendered: Record<string, any>[];
beforeAll(async () => {
  await installMocks();
  const { raw, secretKeys } = stackConfig("dev");
  // An up needs the cluster's kubeconfig; the real one comes from the control plane.
  const resources = await runStack({ ...raw, kubeconfig: "kubeconfig-placeholder" }, [...secretKeys, "kubeconfig"]);
  rendered = [...resources.values()].filter((r) => r.type.startsWith("kubernetes:") && r.inputs.kind).map((r) => r.inputs);
});

test("every value a seed's manifest states is what the dev stack renders, or docs/seeds.md lists the difference", () => {
  const rows = documentedDifferences();
  const used = new Set<Row>();
  const undocumented: string[] = [];
  for (const { seed, object } of seedObjects()) {
    const own = rows.filter((row) => row.seeds.includes(seed) && row.object === keyOf(object));
    const objectRow = own.find((row) => row.field === "(object)");
    const [kind, name] = (objectRow ? objectRow.stack.slice(2) : keyOf(object)).split("/");
    // The namespace, where the seed states one, picks among same-named objects; a different one is a difference.
    const candidates = rendered.filter((o) => o.kind === kind && o.metadata.name === name);
    const twin = candidates.find((o) => o.metadata.namespace === object.metadata.namespace) ?? candidates[0];
    if (!twin) {
      undocumented.push(`${seed} ${keyOf(object)}: the dev stack renders no ${kind}/${name}`);
      continue;
    }
    const stack = leaves(twin);
    for (const [at, value] of leaves(object)) {
      if (objectRow && (at === "kind" || at === "metadata.name")) {
        used.add(objectRow);
        continue;
      }
      const rename = longest(own.filter((row) => isRename(row) && row.field !== "(object)" && covers(row.field, at)));
      const target = rename ? rename.stack.slice(2) + at.slice(rename.field.length) : at;
      if (rename) used.add(rename);
      const found = stack.get(target);
      // The API server sets a port's protocol to TCP when none is given.
      if (found === value || (found === undefined && at.endsWith(".protocol") && value === "TCP")) continue;
      const listed = longest(own.filter((row) => !isRename(row) && covers(row.field, at)));
      if (listed) used.add(listed);
      else undocumented.push(`${seed} ${keyOf(object)} ${at}: the seed says ${JSON.stringify(value)}, the stack ${target === at ? "" : `(${target}) `}${JSON.stringify(found) ?? "has none"}`);
    }
  }
  expect(undocumented).toEqual([]);
  // A row whose difference is gone, or that names no seed field, is stale.
  expect(rows.filter((row) => !used.has(row)).map((row) => row.line)).toEqual([]);
});

test("every seed manifest has its place: seeds 000, 002 and 003, each with the line it starts on", () => {
  const objects = seedObjects().map(({ seed, object }) => `${seed} ${keyOf(object)}`);
  expect(objects.sort()).toEqual(
    [
      "000:97 Deployment/deployment-tutum-hello-world",
      "000:123 Service/service-tutum-hello-world",
      "000:140 Ingress/traefik-web-ui",
      "002:81 Service/flaskapp",
      "002:91 Deployment/flaskapp",
      "002:146 Service/redis",
      "002:156 Deployment/redis",
      "002:567 Deployment/redis",
      "002:236 ConfigMap/nginx-config",
      "002:258 Service/nginx",
      "002:269 Deployment/nginx",
      "003:154 StorageClass/ceph-rdb",
      "003:173 Secret/ceph-admin-secret",
      "003:183 PersistentVolumeClaim/go2cloud-api-pvc",
      "003:196 ConfigMap/go2cloud-platform-cm",
      "003:224 Deployment/go2cloud-platform",
      "003:281 Service/go2cloud-platform-service",
      "003:297 Secret/registry-secret",
    ].sort(),
  );
  // The seeds sit beside the repository (shared/seeds); each recorded line must be where its manifest starts.
  const seedsDir = path.join(ROOT, "../shared/seeds");
  if (!fs.existsSync(seedsDir)) return;
  for (const objectLine of objects) {
    const [file, line] = objectLine.split(" ")[0].split(":");
    const seedFile = fs.readdirSync(seedsDir).find((f) => f.startsWith(`${file}_`))!;
    expect(fs.readFileSync(path.join(seedsDir, seedFile), "utf8").split("\n")[Number(line) - 1]).toMatch(/apiVersion|kind:/);
  }
});

describe("the stacks' apps", () => {
  const validated = (stack: string, change: (apps: Record<string, any>[]) => void = () => undefined) => {
    const { raw, secretKeys } = stackConfig(stack);
    const apps = structuredClone(raw.apps) as Record<string, any>[];
    change(apps);
    return validateClusterConfig({ ...raw, apps }, new Set(secretKeys), "onprem-k8s", ADDONS);
  };

  test.each(["dev", "prod", "lab"])("%s: every app is valid", (stack) => {
    expect(validated(stack).problems.filter((p) => p.includes(":apps"))).toEqual([]);
  });

  test("prod's go2cloud-platform, autoscaled to 6, may not mount its ReadWriteOnce claim", () => {
    const go2cloud = (apps: Record<string, any>[]) => apps.find((app) => app.name === "go2cloud-platform")!;
    const { problems } = validated("prod", (apps) => (go2cloud(apps).persistentVolume.mountPath = "/data/shared"));
    expect(problems).toEqual([
      "onprem-k8s:apps[4].persistentVolume: go2cloud-platform can run more than one pod (autoscaling.maxReplicas is 6; a rolling update starts the new pod beside the old one), " +
        "but its ReadWriteOnce claim go2cloud-api-pvc attaches to one node at a time, and a pod on another node fails with a Multi-Attach error; " +
        'use strategy "Recreate" with replicas 1 and no autoscaling or canary, a StatefulSet with a claim per pod instead of this app, ' +
        'or a ReadWriteMany class such as CephFS (accessMode "ReadWriteMany").',
    ]);
  });

  test.each(["dev", "prod", "lab"])("%s: no probe GETs flaskapp's page, which counts each visit", (stack) => {
    const flaskapp = validated(stack).spec.apps.find((app) => app.spec.name === "flaskapp")!.spec;
    const probes = [flaskapp.readinessProbe, flaskapp.livenessProbe, flaskapp.startupProbe];
    expect(probes.filter((probe) => probe && "http" in probe && probe.http.path === "/")).toEqual([]);
  });
});
