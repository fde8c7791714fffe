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

/** Marker the engine protocol uses for secret values; the mock sees secrets wrapped in it. */
const secretSignature = "1b47061264138c4ac30d75fd1eb44270";

export function isWrappedSecret(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<string, unknown>)["4dabf18193072939515e22adb298388d"] === secretSignature
  );
}
