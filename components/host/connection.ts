/** How host steps reach a host: SSH with the stack's key (a secret). */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { HostSpec } from "../../config/spec";

export function sshConnection(host: HostSpec, privateKey: pulumi.Input<string>): command.types.input.remote.ConnectionArgs {
  return {
    host: host.address,
    port: host.sshPort,
    user: host.sshUser,
    privateKey: pulumi.secret(privateKey),
    // Hosts may still be booting when the first step runs.
    dialErrorLimit: 20,
    perDialTimeout: 10,
  };
}

/** Runs a rendered script on a host on create and whenever its text changes; scripts are idempotent. */
export function hostStep(name: string, host: HostSpec, privateKey: pulumi.Input<string>, script: pulumi.Input<string>, opts: pulumi.CustomResourceOptions & { deleteScript?: string } = {}): command.remote.Command {
  const { deleteScript, ...resourceOpts } = opts;
  return new command.remote.Command(name, { connection: sshConnection(host, privateKey), create: script, delete: deleteScript }, resourceOpts);
}
