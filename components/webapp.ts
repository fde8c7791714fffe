import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { checkDnsSubdomain } from "../spec/names";
import { webAppManifests } from "./charts/webapp-chart";
import { namespaceOf, placeholdersOf, renderSecretFile, secretFileValueNames, secretFilesNameOf, serviceNameOf, WebAppSecretShapes, WebAppSpec } from "../spec/webapp";
import { NodePortRange, secretEnvNameProblems, webAppSpecProblems } from "../spec/webapp-validation";
import { dependsOnList, plainSecretProblems, registerObjects } from "./k8s-objects";

/** Credentials of a private image registry, turned into a `kubernetes.io/dockerconfigjson` Secret. */
export interface RegistryCredential {
  /** Registry host (and port), e.g. `10.234.2.218` or `registry.example.com:5000`. */
  readonly server: string;
  /** Registry user name. */
  readonly username: string;
  /** Registry password, as a Pulumi secret (e.g. `config.requireSecret("registryPassword")`). */
  readonly password: pulumi.Output<string>;
  /** Name of the Secret. @default `${name}-registry` */
  readonly secretName?: string;
}

/**
 * Arguments of a WebApp: the chart spec (see WebAppSpec for each field) plus the values that
 * cannot be plain data: the provider, secrets, and the cluster facts used for checks and outputs.
 */
export interface WebAppArgs extends WebAppSpec {
  /** Provider of the cluster the app runs on. */
  readonly provider: k8s.Provider;
  /**
   * Sensitive environment variables, by name, as Pulumi secrets, stored in one Secret. None is ever in a ConfigMap,
   * the chart, the golden files or the state in clear.
   */
  readonly secretEnv?: Record<string, pulumi.Output<string>>;
  /** The values of the `${NAME}`s in `secretFiles`, by name, as Pulumi secrets; every `${NAME}` needs one. */
  readonly secretFileValues?: Record<string, pulumi.Output<string>>;
  /** How `secretEnv` reaches the container: one `secretKeyRef` per variable, or `envFrom`. @default "env" */
  readonly secretEnvExposure?: "env" | "envFrom";
  /** Name of the Secret holding the `secretEnv` variables. @default `${name}-secret` */
  readonly secretEnvSecretName?: string;
  /** Private registry login, added to the pods' imagePullSecrets. */
  readonly registryCredential?: RegistryCredential;
  /** Node ports the API server allows, for checking `service.ports[].nodePort`. @default { min: 30000, max: 32767 } */
  readonly nodePortRange?: NodePortRange;
  /** Cluster DNS domain, for the `dnsName` output. @default "cluster.local" */
  readonly clusterDomain?: string;
  /** Address printed in NodePort URLs: any node's IP or the edge VIP. @default "127.0.0.1" (valid on any node) */
  readonly nodeAddress?: pulumi.Input<string>;
}

/** Every problem of the arguments, including the Pulumi-only ones the chart spec cannot see. */
function webAppArgsProblems(args: WebAppArgs): string[] {
  const secretFields: Record<string, unknown> = { "registryCredential.password": args.registryCredential?.password };
  for (const [name, value] of Object.entries(args.secretEnv ?? {})) secretFields[`secretEnv.${name}`] = value;
  for (const [name, value] of Object.entries(args.secretFileValues ?? {})) secretFields[`secretFileValues.${name}`] = value;
  const unfilled = Object.entries(args.secretFiles?.files ?? {}).flatMap(([file, text]) =>
    placeholdersOf(text)
      .filter((name) => args.secretFileValues?.[name] === undefined)
      .map((name) => `secretFiles.files.${file}: \${${name}} has no value; give ${name} in secretFileValues.`),
  );
  const used = new Set(secretFileValueNames(args));
  const unused = Object.keys(args.secretFileValues ?? {})
    .filter((name) => !used.has(name))
    .map((name) => `secretFileValues.${name}: no file of secretFiles holds \${${name}}; put it where the value goes, or drop ${name}.`);
  return [
    ...webAppSpecProblems(args, args.nodePortRange),
    ...secretEnvNameProblems(Object.keys(args.secretEnv ?? {})),
    ...unused,
    ...unfilled,
    ...plainSecretProblems(secretFields),
    ...[
      args.secretEnvSecretName && checkDnsSubdomain("secretEnvSecretName", args.secretEnvSecretName),
      args.registryCredential?.secretName && checkDnsSubdomain("registryCredential.secretName", args.registryCredential.secretName),
    ].filter((problem): problem is string => !!problem),
  ];
}

/** The plain-data part of the arguments: what the chart renders. */
function specOf(args: WebAppArgs): WebAppSpec {
  const { provider, secretEnv, secretFileValues, secretEnvExposure, secretEnvSecretName, registryCredential, nodePortRange, clusterDomain, nodeAddress, ...spec } = args;
  return spec;
}

function dockerConfigJson(credential: RegistryCredential): pulumi.Output<Record<string, string>> {
  return pulumi.secret(
    credential.password.apply((password): Record<string, string> => {
      const auth = Buffer.from(`${credential.username}:${password}`).toString("base64");
      const config = { auths: { [credential.server]: { username: credential.username, password, auth } } };
      return { ".dockerconfigjson": JSON.stringify(config) };
    }),
  );
}

/** The secret files with their values filled in, as one Pulumi secret. */
function secretFiles(files: Record<string, string>, values: Record<string, pulumi.Output<string>>): pulumi.Output<Record<string, string>> {
  return pulumi.secret(pulumi.all(values).apply((plain) => Object.fromEntries(Object.entries(files).map(([name, text]) => [name, renderSecretFile(text, plain)]))));
}

/**
 * The Secrets the chart declares for an app with the given secret variable names. Exported so that a rendering
 * outside the component (the golden files) declares the same.
 */
export function webAppSecretShapes(
  args: Pick<WebAppArgs, "name" | "secretEnvExposure" | "secretEnvSecretName"> & { readonly registryCredential?: Pick<RegistryCredential, "secretName"> },
  secretEnvNames: readonly string[],
): WebAppSecretShapes {
  return {
    env: secretEnvNames.length === 0 ? undefined : { secretName: args.secretEnvSecretName ?? `${args.name}-secret`, keys: [...secretEnvNames], exposure: args.secretEnvExposure ?? "env" },
    registrySecretName: args.registryCredential && (args.registryCredential.secretName ?? `${args.name}-registry`),
  };
}

function ingressUrls(args: WebAppArgs): string[] {
  const ingress = args.ingress;
  if (!ingress?.host) return [];
  const scheme = ingress.tls ? "https" : "http";
  return (ingress.paths ?? ["/"]).map((path) => `${scheme}://${ingress.host}${path}`);
}

/**
 * A stateless web application: Deployment (optionally with a canary track), Service, config files,
 * Secrets, PVC, Ingress or Traefik routes, HPA and PDB, rendered by a cdk8s chart and created as
 * typed Pulumi resources. Arguments are checked before anything is registered.
 */
export class WebApp extends pulumi.ComponentResource {
  /** Name of the stable Service. */
  public readonly serviceName: pulumi.Output<string>;
  /** In-cluster DNS name of the Service, `<svc>.<ns>.svc.<clusterDomain>`. */
  public readonly dnsName: pulumi.Output<string>;
  /** Ingress URLs, then `http://<nodeAddress>:<nodePort>` for each NodePort. */
  public readonly urls: pulumi.Output<string[]>;

  constructor(name: string, args: WebAppArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = webAppArgsProblems(args);
    if (problems.length > 0) {
      throw new Error(`WebApp "${name}" has invalid arguments:\n${problems.map((p) => `- ${p}`).join("\n")}`);
    }
    super("onprem-k8s:apps:WebApp", name, {}, opts);

    const shapes = webAppSecretShapes(args, Object.keys(args.secretEnv ?? {}));
    const secretData: Record<string, pulumi.Output<Record<string, string>>> = {};
    if (shapes.env) secretData[shapes.env.secretName] = pulumi.secret(pulumi.all(args.secretEnv ?? {}));
    if (args.secretFiles) secretData[secretFilesNameOf(args)] = secretFiles(args.secretFiles.files, args.secretFileValues ?? {});
    if (args.registryCredential && shapes.registrySecretName) secretData[shapes.registrySecretName] = dockerConfigJson(args.registryCredential);

    const registered = registerObjects(name, webAppManifests(specOf(args), shapes), {
      parent: this,
      provider: args.provider,
      secretData,
      dependsOn: dependsOnList(opts),
    });

    const serviceName = serviceNameOf(args);
    const service = registered.find((r) => r.object.kind === "Service" && r.object.metadata.name === serviceName)!.resource as k8s.core.v1.Service;
    this.serviceName = pulumi.output(serviceName);
    this.dnsName = pulumi.output(`${serviceName}.${namespaceOf(args)}.svc.${args.clusterDomain ?? "cluster.local"}`);
    this.urls = pulumi
      .all([service.spec, pulumi.output(args.nodeAddress ?? "127.0.0.1")])
      .apply(([spec, address]) => [...ingressUrls(args), ...(spec.type === "NodePort" ? spec.ports.filter((p) => p.nodePort).map((p) => `http://${address}:${p.nodePort}`) : [])]);
    this.registerOutputs({ serviceName: this.serviceName, dnsName: this.dnsName, urls: this.urls });
  }
}
