/**
 * Parses `apps`: each entry is a WebApp spec (spec/webapp.ts) whose sensitive values are
 * referred to by the name of a secret config key, never given inline.
 */
import { placeholdersOf, secretFileValueNames, WebAppSpec } from "../spec/webapp";
import { webAppSpecProblems } from "../spec/webapp-validation";
import { APP_SHAPE, PROBE_KINDS } from "./app-shape";
import { checkShape } from "./shape";
import { AppConfig, PortRange } from "../spec/cluster";
import { Problems, isRecord } from "./problems";

export function parseApps(raw: unknown, key: string, nodePortRange: PortRange, secretKeys: ReadonlySet<string>, problems: Problems): AppConfig[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    problems.add(key, "is not a list", "give a list of WebApp definitions");
    return [];
  }
  const apps = raw.flatMap((item, i) => {
    const appKey = `${key}[${i}]`;
    if (!checkShape(item, APP_SHAPE, appKey, problems)) return [];
    const { secretEnv, registry, ...fields } = item as Record<string, unknown>;
    const { values: fileValues, ...secretFiles } = (fields.secretFiles ?? {}) as Record<string, unknown>;
    const spec = withOwnProbeSpelling(fields.secretFiles === undefined ? fields : { ...fields, secretFiles }) as unknown as WebAppSpec;
    // The component's own lines start with the field name; the prefix says where it sits in the config.
    webAppSpecProblems(spec, nodePortRange).forEach((line) => problems.addLine(`${appKey}.${line}`));
    const secretEnvKeys = parseKeyRefs(secretEnv, `${appKey}.secretEnv`, secretKeys, problems);
    const fileValueKeys = parseSecretFileValues(spec, fileValues, `${appKey}.secretFiles`, secretEnvKeys, secretKeys, problems);
    // The component takes every secret value by name from secretEnv; those the files hold fill them, not the environment.
    return [{ spec, secretEnvKeys, secretFileKeys: fileValueKeys, registry: parseRegistry(registry, `${appKey}.registry`, secretKeys, problems) }];
  });
  checkNodePortsUnique(
    apps.map((app) => app.spec),
    key,
    problems,
  );
  return apps;
}

/** Probes as Kubernetes spells them (httpGet, tcpSocket) become the spec's own (http, tcp). */
function withOwnProbeSpelling(fields: Record<string, unknown>): Record<string, unknown> {
  const result = { ...fields };
  for (const name of ["livenessProbe", "readinessProbe", "startupProbe"]) {
    const probe = fields[name] as Record<string, unknown> | undefined;
    if (!probe) continue;
    result[name] = Object.fromEntries(Object.entries(probe).map(([field, value]) => [field in PROBE_KINDS ? PROBE_KINDS[field as keyof typeof PROBE_KINDS] : field, value]));
  }
  return result;
}

/** The API server refuses a node port that another Service holds: two apps must not ask for the same one. */
function checkNodePortsUnique(specs: readonly WebAppSpec[], key: string, problems: Problems): void {
  const owners = new Map<number, string>();
  specs.forEach((spec, i) => {
    (spec.service?.ports ?? []).forEach((port, j) => {
      if (port.nodePort === undefined) return;
      const owner = owners.get(port.nodePort);
      if (owner !== undefined) {
        problems.add(`${key}[${i}].service.ports[${j}].nodePort`, `${port.nodePort} is already ${owner}'s node port`, "give each app its own node port");
      } else {
        owners.set(port.nodePort, spec.name);
      }
    });
  });
}

function requireSecretKey(ref: unknown, key: string, secretKeys: ReadonlySet<string>, problems: Problems): ref is string {
  if (typeof ref !== "string" || !secretKeys.has(ref)) {
    problems.add(key, `${JSON.stringify(ref)} is not a secret config key`, `set the value with \`pulumi config set --secret ${typeof ref === "string" ? ref : "KEY"}\` and give that key's name here`);
    return false;
  }
  return true;
}

function parseKeyRefs(raw: unknown, key: string, secretKeys: ReadonlySet<string>, problems: Problems): Record<string, string> {
  if (raw === undefined) return {};
  if (!isRecord(raw)) {
    problems.add(key, "is not a map", "give VARIABLE: secretConfigKey pairs");
    return {};
  }
  return Object.fromEntries(Object.entries(raw).filter(([name, ref]) => requireSecretKey(ref, `${key}.${name}`, secretKeys, problems)) as [string, string][]);
}

/** The secret config keys of the values the secret files hold: each `${NAME}` has one, and each one fills a `${NAME}`. */
function parseSecretFileValues(
  spec: WebAppSpec,
  raw: unknown,
  key: string,
  secretEnvKeys: Readonly<Record<string, string>>,
  secretKeys: ReadonlySet<string>,
  problems: Problems,
): Record<string, string> {
  if (!spec.secretFiles) return {};
  const given = isRecord(raw) ? raw : {};
  for (const [file, text] of Object.entries(spec.secretFiles.files)) {
    for (const name of placeholdersOf(text).filter((n) => !(n in given))) {
      problems.add(`${key}.files.${file}`, `\${${name}} is not a name of secretFiles.values`, `add ${name}: <secret config key> to secretFiles.values`);
    }
  }
  const used = new Set(secretFileValueNames(spec));
  for (const name of Object.keys(given)) {
    if (!used.has(name)) problems.add(`${key}.values.${name}`, `no file holds \${${name}}`, `put \${${name}} where the value goes, or drop ${name}`);
    if (name in secretEnvKeys) problems.add(`${key}.values.${name}`, "is also a secretEnv variable", "give the file's value and the variable different names");
  }
  return parseKeyRefs(raw, `${key}.values`, secretKeys, problems);
}

function parseRegistry(raw: unknown, key: string, secretKeys: ReadonlySet<string>, problems: Problems): AppConfig["registry"] {
  if (raw === undefined) return undefined;
  const r = isRecord(raw) ? raw : {};
  if (typeof r.server !== "string" || typeof r.username !== "string") {
    problems.add(key, "needs server and username", "give {server, username, passwordKey}");
    return undefined;
  }
  if (!requireSecretKey(r.passwordKey, `${key}.passwordKey`, secretKeys, problems)) return undefined;
  return { server: r.server, username: r.username, passwordKey: r.passwordKey as string, secretName: typeof r.secretName === "string" ? r.secretName : undefined };
}
