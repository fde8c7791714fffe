/**
 * containerd mirrors on the nodes: pulls of the mirrored registries' images go to the site's registry, with its CA
 * and the pull account, and the image names in the manifests stay as upstream wrote them.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { HostSpec } from "../spec/cluster";
import { REGISTRY_PULL_USER } from "../spec/image-registry";
import { hostStep } from "./host/connection";
import { dependsOnList } from "./k8s-objects";
import { MIRROR_AUTHORIZATION_SECRET, renderMirrors, renderMirrorsRemove } from "./host/mirror-scripts";

export interface RegistryMirrorsArgs {
  /** The hosts whose containerd pulls through the registry: its config must read /etc/containerd/certs.d. */
  readonly hosts: readonly HostSpec[];
  /** SSH private key for the hosts (a secret). */
  readonly sshPrivateKey: pulumi.Input<string>;
  /** `ADDRESS:PORT` of the site's registry (ImageRegistry's endpoint). */
  readonly endpoint: string;
  /** The CA of the registry's certificate. */
  readonly caCert: pulumi.Input<string>;
  /** The pull account's password (a secret). */
  readonly pullPassword: pulumi.Input<string>;
  /** The registries whose pulls go through the site's registry, such as docker.io. */
  readonly mirrors: readonly string[];
}

export class RegistryMirrors extends pulumi.ComponentResource {
  /** Each host's step, by name. */
  readonly steps: Record<string, command.remote.Command>;

  constructor(name: string, args: RegistryMirrorsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("onprem-k8s:index:RegistryMirrors", name, {}, opts);
    // containerd reads the files at each pull and nothing restarts, so every host changes at once.
    const authorization = pulumi.output(args.pullPassword).apply((p) => `Basic ${Buffer.from(`${REGISTRY_PULL_USER}:${p}`).toString("base64")}`);
    this.steps = Object.fromEntries(
      args.hosts.map((host) => [
        host.name,
        hostStep(
          `${name}-${host.name}`,
          host,
          args.sshPrivateKey,
          pulumi.output(args.caCert).apply((caCert) => renderMirrors({ host: host.name, endpoint: args.endpoint, caCert, mirrors: args.mirrors })),
          {
            parent: this,
            dependsOn: dependsOnList(opts),
            secrets: authorization.apply((a) => ({ [MIRROR_AUTHORIZATION_SECRET]: a })),
            deleteScript: renderMirrorsRemove(host.name),
          },
        ),
      ]),
    );
    this.registerOutputs({});
  }
}
