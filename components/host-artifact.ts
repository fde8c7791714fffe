/** Puts a binary artifact on one host: uploaded from a local path or downloaded from a mirror, always checksummed. */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { ArtifactSpec, HostSpec } from "../spec/cluster";
import { hostStep, sshConnection } from "./host/connection";
import { dependsOnList } from "./k8s-objects";
import { ARTIFACT_CACHE, ArtifactVersion, renderArtifactInstall, renderArtifactRemove, stagedPath } from "./host/artifact-script";
import { script } from "./host/bash";

export interface HostArtifactArgs {
  /** The host to install on. */
  readonly host: HostSpec;
  /** SSH private key for the host (a secret). */
  readonly sshPrivateKey: pulumi.Input<string>;
  /** Artifact name, as in the `artifacts` config. */
  readonly name: string;
  /** Where the artifact comes from and its sha256. */
  readonly artifact: ArtifactSpec;
  /** Binaries to take from the .tar.gz (by file name) and link into `binDir`. */
  readonly binaries: readonly string[];
  /** Where the binaries are linked, such as /opt/cni/bin for CNI plugins. @default "/usr/local/bin" */
  readonly binDir?: string;
  /** The release the artifact must hold, checked before any link changes. @default not checked */
  readonly version?: ArtifactVersion;
}

export class HostArtifact extends pulumi.ComponentResource {
  /** The install step; steps that need the binaries depend on it. */
  readonly installed: command.remote.Command;

  constructor(name: string, args: HostArtifactArgs, opts?: pulumi.ComponentResourceOptions) {
    super("onprem-k8s:index:HostArtifact", name, {}, opts);
    const { host, sshPrivateKey, artifact } = args;
    // Pulumi does not pass a component's dependsOn to its children: the first step on the host waits for it itself.
    const after = dependsOnList(opts);
    const dependsOn: pulumi.Resource[] = [...after];
    if (artifact.path !== undefined) {
      // The copy goes to a checksum-named path, so a new artifact is a new copy and a re-run copies nothing.
      const cacheDir = hostStep(`${name}-cache-dir`, host, sshPrivateKey, script("artifact cache", `mkdir -p ${ARTIFACT_CACHE}`), { parent: this, dependsOn: after });
      dependsOn.push(
        new command.remote.CopyToRemote(
          `${name}-upload`,
          { connection: sshConnection(host, sshPrivateKey), source: new pulumi.asset.FileAsset(artifact.path), remotePath: stagedPath(artifact.sha256) },
          { parent: this, dependsOn: [cacheDir] },
        ),
      );
    }
    this.installed = hostStep(
      `${name}-install`,
      host,
      sshPrivateKey,
      renderArtifactInstall({ name: args.name, sha256: artifact.sha256, url: artifact.url, binaries: args.binaries, binDir: args.binDir, version: args.version }),
      {
        parent: this,
        dependsOn,
        deleteScript: renderArtifactRemove({ name: args.name, sha256: artifact.sha256, binaries: args.binaries, binDir: args.binDir }),
      },
    );
    this.registerOutputs({});
  }
}
