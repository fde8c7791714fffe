/** Host steps that roll: one host at a time, in a fixed order, after whatever the component itself waits for. */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { HostSpec } from "../../spec/cluster";
import { dependsOnList } from "../k8s-objects";
import { HostStepOptions, hostStep } from "./connection";

/** One host's step of a rolling chain, as `hostStep` takes it; the chain adds its place in the order. */
export interface RollingStep {
  readonly name: string;
  readonly script: pulumi.Input<string>;
  /** What this host's step needs besides its turn, such as its binaries; listed before the previous steps. @default [] */
  readonly dependsOn?: readonly pulumi.Resource[];
  /** Every other option of the step: parent, secrets, deleteScript. */
  readonly options: Omit<HostStepOptions, "dependsOn">;
}

/**
 * Creates one step per host, in the hosts' order: each waits for the previous host's step, and the first for the
 * component's own `dependsOn`, which Pulumi does not pass down to a component's children. A change thus reaches one
 * host at a time, never before the component's dependencies, and stops at the first host where it fails.
 *
 * @param componentOpts the options the component was created with; only their `dependsOn` is read.
 * @param stepFor called once per host, in order; it may create that host's other resources (its binaries) first.
 * @returns the steps, in the hosts' order.
 */
export function rollingHostSteps(
  hosts: readonly HostSpec[],
  sshPrivateKey: pulumi.Input<string>,
  componentOpts: pulumi.ComponentResourceOptions | undefined,
  stepFor: (host: HostSpec, index: number) => RollingStep,
): command.remote.Command[] {
  let previous: pulumi.Resource[] = dependsOnList(componentOpts);
  return hosts.map((host, i) => {
    const { name, script, dependsOn = [], options } = stepFor(host, i);
    const step = hostStep(name, host, sshPrivateKey, script, { ...options, dependsOn: [...dependsOn, ...previous] });
    previous = [step];
    return step;
  });
}
