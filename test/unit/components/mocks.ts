import * as pulumi from "@pulumi/pulumi";

/** A resource registration as the Pulumi engine mock received it. */
export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
  /** Reference (`<urn>::<id>`) of the provider the resource was registered with. */
  readonly provider: string;
}

/** Every registration since the mocks were installed, in order. */
export const recorded: RecordedResource[] = [];

/** The aliases of each resource that `recordAliases` saw, by `TYPE::NAME`: mocks see inputs, not options. */
export const recordedAliases = new Map<string, unknown[]>();

/** A transformation to pass to a component under test (`{ transformations: [recordAliases] }`): records its children's aliases. */
export const recordAliases: pulumi.ResourceTransformation = (args) => {
  recordedAliases.set(`${args.type}::${args.name}`, [...(args.opts.aliases ?? [])]);
  return undefined;
};

/** The name aliases (`{ name }`, the name a resource had before) that recordAliases saw for a resource. */
export function nameAliases(r: Pick<RecordedResource, "type" | "name">): { name: string }[] {
  return recordedAliases.get(`${r.type}::${r.name}`)!.filter((a): a is { name: string } => typeof (a as { name?: unknown }).name === "string");
}

/** `TYPE OLD → NEW` for each resource: the name its first name alias gives, and its name now. */
export function renamesOf(resources: readonly RecordedResource[]): string[] {
  return resources.map((r) => `${r.type} ${nameAliases(r)[0]?.name} → ${r.name}`);
}

/** Installs Pulumi mocks that echo inputs as state (preview=false, so ids and outputs resolve). */
export async function installMocks(): Promise<void> {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        recorded.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider ?? "" });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => args.inputs,
    },
    "onprem-k8s",
    "test",
    false,
  );
}

/** Resolves an Output's value in a test. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

// The SDK counts every registration it has in flight; its module exports the wait for them (marked internal).
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

/** Registrations are asynchronous: waits until every one in flight, and every one those started, has reached the mocks. */
export async function settle(): Promise<void> {
  await waitForRPCs();
}

/** Registrations whose name starts with a component's name, i.e. that component's children. */
export function childrenOf(componentName: string): RecordedResource[] {
  return recorded.filter((r) => r.name.startsWith(`${componentName}/`));
}

/** Secrets cross the engine protocol wrapped in this marker: the mock sees secret inputs so, and returns secret state so. */
export function isWrappedSecret(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
}

/**
 * The state properties the tls provider returns as secrets (tools/cmd/pulumi-resource-tls: secret in schema.go, and
 * resources.go returns them so): the private keys a PrivateKey makes, and the key inputs a certificate keeps. The mock
 * engine ignores the SDK's additionalSecretOutputs, so without this a key would come back plain.
 */
const TLS_SECRET_STATE: Readonly<Record<string, readonly string[]>> = {
  "tls:index/privateKey:PrivateKey": ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"],
  "tls:index/selfSignedCert:SelfSignedCert": ["privateKeyPem"],
  "tls:index/certRequest:CertRequest": ["privateKeyPem"],
  "tls:index/locallySignedCert:LocallySignedCert": ["caPrivateKeyPem"],
};

/** A tls resource's state as the provider returns it: its inputs and the stand-in outputs, secret where the provider's are. */
export function tlsState(type: string, inputs: Record<string, unknown>, outputs: Record<string, unknown>): Record<string, unknown> {
  const state = { ...inputs, ...outputs };
  for (const key of TLS_SECRET_STATE[type] ?? []) {
    if (key in state && !isWrappedSecret(state[key])) state[key] = { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value: state[key] };
  }
  return state;
}
