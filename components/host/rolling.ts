/** Host steps that roll: one host or one batch of hosts at a time, in a fixed order, after whatever the component itself waits for. */
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
  return rollingHostBatches(hosts, 1, sshPrivateKey, componentOpts, stepFor);
}

/**
 * Creates one step per host in batches of `batchSize` consecutive hosts, in the hosts' order: every step of a batch
 * waits for every step of the previous batch, and the first batch for the component's own `dependsOn`; the steps of one
 * batch run side by side. Many hosts thus change in a few rounds, yet a batch starts only once every step of the
 * previous one has succeeded (for steps that end with their host's health check: once those hosts are healthy), and a
 * change stops at the first batch where a step fails.
 *
 * @param batchSize hosts per batch, a positive whole number; 1 makes the chain of `rollingHostSteps`.
 * @param componentOpts the options the component was created with; only their `dependsOn` is read.
 * @param stepFor called once per host, in order; it may create that host's other resources (its binaries) first.
 * @returns the steps, in the hosts' order.
 */
export function rollingHostBatches(
  hosts: readonly HostSpec[],
  batchSize: number,
  sshPrivateKey: pulumi.Input<string>,
  componentOpts: pulumi.ComponentResourceOptions | undefined,
  stepFor: (host: HostSpec, index: number) => RollingStep,
): command.remote.Command[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`rollingHostBatches: a batch of ${batchSize} hosts; give a positive whole number`);
  let previous: pulumi.Resource[] = dependsOnList(componentOpts);
  const steps: command.remote.Command[] = [];
  for (let first = 0; first < hosts.length; first += batchSize) {
    const batch = hosts.slice(first, first + batchSize).map((host, i) => {
      const { name, script, dependsOn = [], options } = stepFor(host, first + i);
      return hostStep(name, host, sshPrivateKey, script, { ...options, dependsOn: [...dependsOn, ...previous] });
    });
    steps.push(...batch);
    previous = batch;
  }
  return steps;
}
