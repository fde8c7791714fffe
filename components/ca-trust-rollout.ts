/**
 * The end of a CA rotation's trust phase: in-cluster API clients read their ca.crt once, at start, so every workload
 * whose pods mount a service-account token restarts on the bundle of the old and new Kubernetes CAs, before the new
 * one signs the apiservers' certificates (docs/operations.md, "Rotate the CAs").
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { HostSpec } from "../spec/cluster";
import { hostStep } from "./host/connection";
import { kubectl } from "./host/control-plane-scripts";
import { renderCaTrustRollout } from "./host/ca-trust-scripts";

export interface CaTrustRolloutArgs {
  /** The master that runs kubectl with its admin kubeconfig. */
  readonly master: HostSpec;
  /** SSH private key for the master (a secret). */
  readonly sshPrivateKey: pulumi.Input<string>;
  /** The API's client address, `https://API_ADDRESS:6443`. */
  readonly apiServerUrl: pulumi.Input<string>;
  /** The Kubernetes CAs the masters trust (PEM bundle, HaControlPlane's `caCert`): the step runs once per bundle. */
  readonly caBundle: pulumi.Input<string>;
}

/**
 * Depend it on every component that hands a CA bundle to a workload (the control plane, the nodes, the addons), so
 * the restarted pods start with their bundles.
 */
export class CaTrustRollout extends pulumi.ComponentResource {
  /** Passes once every restarted workload has rolled out. */
  readonly restarted: command.remote.Command;

  constructor(name: string, args: CaTrustRolloutArgs, opts?: pulumi.ComponentResourceOptions) {
    super("onprem-k8s:index:CaTrustRollout", name, {}, opts);
    const script = pulumi.all([args.apiServerUrl, args.caBundle]).apply(([server, caBundle]) => renderCaTrustRollout({ kubectl: kubectl(server), caBundle }));
    this.restarted = hostStep(`${name}-restart`, args.master, args.sshPrivateKey, script, { parent: this });
    this.registerOutputs({});
  }
}
