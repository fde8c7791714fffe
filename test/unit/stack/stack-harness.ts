/** Runs the stack program (index.ts) under Pulumi mocks with a given config and records every resource it registers. */
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { settle, tlsState } from "../components/mocks";

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
  /** Names of the resources this one was told to depend on. */
  readonly dependsOn: string[];
  /** The top-level inputs that arrived as Pulumi secrets (wholly or in part). */
  readonly secretInputs: string[];
  /** The resource's ignoreChanges option: changes of these inputs do nothing. */
  readonly ignoreChanges: string[];
}

/** The top-level inputs that arrived as Pulumi secrets, wholly or in part. */
export const secretInputKeys = (inputs: Record<string, unknown>) => Object.keys(inputs).filter((k) => JSON.stringify(inputs[k] ?? null).includes(pulumi.runtime.specialSecretSig));
/** Secrets arrive wrapped at any depth; the recorded inputs are the values (secretInputKeys says which were secret). */
export const unwrap = (v: any): any =>
  Array.isArray(v)
    ? v.map(unwrap)
    : v && typeof v === "object"
      ? v[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig
        ? unwrap(v.value)
        : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]))
      : v;

const NS = "onprem-k8s";
let recording = new Map<string, RecordedResource>();
let dependsOnByName = new Map<string, string[]>();
let ignoreChangesByName = new Map<string, string[]>();

// tls outputs that stand in for real PEMs: they change whenever their inputs do, as real certificates would.
function fakeTlsOutputs(type: string, name: string, inputs: Record<string, any>): Record<string, unknown> {
  const digest = createHash("sha256").update(JSON.stringify(inputs)).digest("hex").slice(0, 16);
  if (type === "tls:index/privateKey:PrivateKey") return { privateKeyPem: `KEY ${name}`, publicKeyPem: `PUB ${name}` };
  if (type === "tls:index/certRequest:CertRequest") return { certRequestPem: `CSR ${name} ${digest}` };
  if (type.startsWith("tls:")) return { certPem: `CERT ${name} ${digest}`, validityEndTime: "2999-01-01T00:00:00Z" };
  return {};
}

export async function installMocks(): Promise<void> {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const unwrapped = unwrap(args.inputs) as Record<string, any>;
        const secretInputs = secretInputKeys(args.inputs);
        recording.set(`${args.type}::${args.name}`, {
          type: args.type,
          name: args.name,
          inputs: unwrapped,
          dependsOn: dependsOnByName.get(`${args.type}::${args.name}`) ?? [],
          secretInputs,
          ignoreChanges: ignoreChangesByName.get(`${args.type}::${args.name}`) ?? [],
        });
        return { id: `${args.name}-id`, state: tlsState(args.type, args.inputs, fakeTlsOutputs(args.type, args.name, unwrapped)) };
      },
      call: (args) => args.inputs,
    },
    "onprem-k8s",
    "test",
    false,
  );
}

// Records the dependsOn and ignoreChanges options of every resource: mocks see inputs, not options.
function recordDependsOn(args: pulumi.ResourceTransformationArgs): undefined {
  ignoreChangesByName.set(`${args.type}::${args.name}`, args.opts.ignoreChanges ?? []);
  const deps = args.opts.dependsOn;
  const list = deps === undefined ? [] : Array.isArray(deps) ? deps : [deps];
  dependsOnByName.set(
    `${args.type}::${args.name}`,
    (list as pulumi.Resource[]).map((r) => (r as unknown as { __name: string }).__name),
  );
  return undefined;
}

/** Runs index.ts with the raw config (secret keys listed) and resolves once registrations have settled; keys are `TYPE::NAME`. */
export async function runStack(raw: Record<string, unknown>, secretKeys: string[]): Promise<Map<string, RecordedResource>> {
  recording = new Map();
  dependsOnByName = new Map();
  ignoreChangesByName = new Map();
  const all = Object.fromEntries(Object.entries(raw).map(([k, v]) => [`${NS}:${k}`, typeof v === "string" ? v : JSON.stringify(v)]));
  pulumi.runtime.setAllConfig(
    all,
    secretKeys.map((k) => `${NS}:${k}`),
  );
  // A root stack, as the CLI's run script makes one, so that stack transformations apply.
  await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation(recordDependsOn);
    // require, not import(): the program must load inside the isolated registry, fresh for every run.
    jest.isolateModules(() => require("../../../index"));
  });
  await settle();
  return recording;
}
