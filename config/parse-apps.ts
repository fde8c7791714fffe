/**
 * Parses `apps`: each entry is a WebApp spec (components/charts/webapp-spec.ts) whose sensitive values are
 * referred to by the name of a secret config key, never given inline.
 */
import { WebAppSpec } from "../components/charts/webapp-spec";
import { webAppSpecProblems } from "../components/charts/webapp-validation";
import { PortRange } from "./spec";
import { Problems, isRecord } from "./problems";

/** One app from config: the chart spec plus the config keys that hold its secrets. */
export interface AppConfig {
  readonly spec: WebAppSpec;
  /** Environment variable name to the secret config key that holds its value. */
  readonly secretEnvKeys: Readonly<Record<string, string>>;
  /** A private registry login whose password is in the secret config key `passwordKey`. */
  readonly registry?: { readonly server: string; readonly username: string; readonly passwordKey: string; readonly secretName?: string };
}

export function parseApps(raw: unknown, key: string, nodePortRange: PortRange, secretKeys: ReadonlySet<string>, problems: Problems): AppConfig[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    problems.add(key, "is not a list", "give a list of WebApp definitions");
    return [];
  }
  return raw.flatMap((item, i) => {
    const appKey = `${key}[${i}]`;
    if (!isRecord(item)) {
      problems.add(appKey, "is not an object", "give a WebApp definition with at least name and image");
      return [];
    }
    const { secretEnv, registry, ...spec } = item;
    // The component checks a typed spec; config is plain JSON, so its required shape comes first.
    if (typeof spec.name !== "string" || typeof spec.image !== "string" || !Array.isArray(spec.ports)) {
      problems.add(appKey, "needs name, image and ports", 'give at least {name, image, ports: [{containerPort}]}');
      return [];
    }
    // The component's own lines start with the field name; the prefix says where it sits in the config.
    webAppSpecProblems(spec as unknown as WebAppSpec, nodePortRange).forEach((line) => problems.addLine(`${appKey}.${line}`));
    const secretEnvKeys = parseKeyRefs(secretEnv, `${appKey}.secretEnv`, secretKeys, problems);
    return [{ spec: spec as unknown as WebAppSpec, secretEnvKeys, registry: parseRegistry(registry, `${appKey}.registry`, secretKeys, problems) }];
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
