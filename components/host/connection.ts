/** How host steps reach a host: SSH with the stack's key (a secret), to the host's pinned host key only. */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { HostSpec } from "../../spec/cluster";
import { secretStdin } from "./bash";

export function sshConnection(host: HostSpec, privateKey: pulumi.Input<string>): command.types.input.remote.ConnectionArgs {
  if (host.sshHostKey === undefined) {
    // An unpinned host would receive the steps' secrets from whichever machine holds its address.
    throw new Error(`host ${host.name} (${host.address}) has no sshHostKey: pin its SSH host key before any step reaches it`);
  }
  return {
    host: host.address,
    port: host.sshPort,
    user: host.sshUser,
    hostKey: host.sshHostKey,
    privateKey: pulumi.secret(privateKey),
    // Hosts may still be booting when the first step runs.
    dialErrorLimit: 20,
    perDialTimeout: 10,
  };
}

export interface HostStepOptions extends pulumi.CustomResourceOptions {
  /** Runs when the step is deleted. */
  readonly deleteScript?: pulumi.Input<string>;
  /**
   * Secret files by name, sent on the script's stdin (a Pulumi secret) and read by its READ_SECRETS section into
   * "$SECRETS/NAME". The script itself stays plain text: a preview shows its diff, a failure shows its reason.
   */
  readonly secrets?: pulumi.Input<Record<string, string>>;
}

/** Runs a rendered script on a host on create and whenever its text or its secrets change; scripts are idempotent. */
export function hostStep(name: string, host: HostSpec, privateKey: pulumi.Input<string>, script: pulumi.Input<string>, opts: HostStepOptions = {}): command.remote.Command {
  const { deleteScript, secrets, ...resourceOpts } = opts;
  const stdin = secrets === undefined ? undefined : pulumi.secret(pulumi.output(secrets).apply((s) => secretStdin(s)));
  return new command.remote.Command(name, { connection: sshConnection(host, privateKey), create: script, delete: deleteScript, stdin }, resourceOpts);
}
