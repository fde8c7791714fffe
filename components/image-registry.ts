/**
 * The site's own image registry: CNCF distribution on every host of the registry role, over TLS with two htpasswd
 * accounts, each host holding every image of the bundle, so a host that is down loses nothing behind the VIP.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { ArtifactSpec, HostSpec } from "../spec/cluster";
import { BundleImage } from "../spec/image-registry";
import { CertKeyPair } from "./cluster-pki";
import { HostArtifact } from "./host-artifact";
import { rollingHostSteps } from "./host/rolling";
import { dependsOnList } from "./k8s-objects";
import { REGISTRY_SECRETS, renderRegistryHost, renderRegistryRemove } from "./host/registry-scripts";
import { renderImagePush } from "./host/push-script";

export interface ImageRegistryArgs {
  /** The registry hosts, in a fixed order (changes roll in this order; collections take turns in it). */
  readonly hosts: readonly HostSpec[];
  /** SSH private key for the hosts (a secret). */
  readonly sshPrivateKey: pulumi.Input<string>;
  /** The registry release (.tar.gz with `registry` and `registry-htpasswd`; scripts/build-registry.sh). */
  readonly artifact: ArtifactSpec;
  /** The HTTPS port of every host. @default 5000 */
  readonly port?: number;
  /** Where each host keeps its images. @default "/var/lib/onprem-registry" */
  readonly storageDirectory?: string;
  /** When each host collects unreferenced blobs, as systemd OnCalendar. @default "Sun *-*-* 03:00:00" */
  readonly garbageCollection?: string;
  /** The address clients pull from: the VIP in front of the hosts, or the only host's address. */
  readonly address: string;
  /** The CA that signed `serverCert`; nodes trust it for the registry. */
  readonly caCert: pulumi.Input<string>;
  /** The registry's serving certificate, shared by the hosts; its SANs name every host and `address`. */
  readonly serverCert: CertKeyPair;
  /** The push account's password (a secret): pulumi up pushes the bundle with it. */
  readonly pushPassword: pulumi.Input<string>;
  /** The pull account's password (a secret): the nodes pull with it. */
  readonly pullPassword: pulumi.Input<string>;
  /** The images to push to every host, each its own step keyed on its digest. @default [] */
  readonly images?: readonly BundleImage[];
  /** The program that verifies and pushes an archive, on the PATH of the machine that runs pulumi. @default "onprem-image" */
  readonly pushTool?: string;
}

export class ImageRegistry extends pulumi.ComponentResource {
  /** `ADDRESS:PORT` that clients pull from. */
  readonly endpoint: string;
  readonly caCert: pulumi.Output<string>;
  /** Each host's step, in order: it finishes once that host's registry answers. */
  readonly steps: command.remote.Command[];
  /** Each image's push, by upstream name: it finishes once every host serves the image under its digest. */
  readonly pushes: Record<string, command.local.Command>;

  constructor(name: string, args: ImageRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("onprem-k8s:index:ImageRegistry", name, {}, opts);
    const { hosts, sshPrivateKey } = args;
    if (hosts.length === 0) throw new Error(`ImageRegistry ${name}: no hosts; give the registry role to one host, or two or more behind a load balancer`);
    const port = args.port ?? 5000;
    const storageDirectory = args.storageDirectory ?? "/var/lib/onprem-registry";
    const garbageCollection = args.garbageCollection ?? "Sun *-*-* 03:00:00";
    const targets = hosts.map((h) => `${h.address}:${port}`);

    // One host at a time: a changed config never stops two registries at once.
    this.steps = rollingHostSteps(hosts, sshPrivateKey, opts, (host, turn) => {
      const binaries = new HostArtifact(
        `${name}-${host.name}-registry`,
        { host, sshPrivateKey, name: "registry", artifact: args.artifact, binaries: ["registry", "registry-htpasswd"] },
        { parent: this, dependsOn: dependsOnList(opts) },
      );
      const hostScript = pulumi.all([args.caCert, args.serverCert.cert]).apply(([caCert, serverCert]) =>
        renderRegistryHost({
          host: host.name,
          address: host.address,
          turn,
          peers: targets.filter((t) => t !== `${host.address}:${port}`),
          port,
          storageDirectory,
          garbageCollection,
          caCert,
          serverCert,
          releaseSha256: args.artifact.sha256,
        }),
      );
      const secrets = pulumi.all([args.serverCert.key, args.pushPassword, args.pullPassword]).apply(([serverKey, push, pull]) => ({
        [REGISTRY_SECRETS.serverKey]: serverKey,
        [REGISTRY_SECRETS.pushPassword]: push,
        [REGISTRY_SECRETS.pullPassword]: pull,
      }));
      return { name: `${name}-${host.name}`, script: hostScript, dependsOn: [binaries.installed], options: { secrets, parent: this, deleteScript: renderRegistryRemove(host.name, storageDirectory) } };
    });

    // From the machine that runs pulumi, straight to each host (not through the VIP), so every host holds every image.
    // The command names the digest and the hosts: a changed image or a new host re-runs that image's push alone.
    this.pushes = Object.fromEntries(
      (args.images ?? []).map((image) => [
        image.name,
        new command.local.Command(
          `${name}-push-${pushName(image.name)}`,
          {
            create: renderImagePush({ image, targets, tool: args.pushTool ?? "onprem-image" }),
            interpreter: ["/bin/bash", "-c"],
            environment: { REGISTRY_CA: pulumi.output(args.caCert) },
            stdin: pulumi.secret(args.pushPassword),
          },
          { parent: this, dependsOn: this.steps },
        ),
      ]),
    );
    this.endpoint = `${args.address}:${port}`;
    this.caCert = pulumi.output(args.caCert);
    this.registerOutputs({ endpoint: this.endpoint, caCert: this.caCert });
  }
}

/** A resource name from an image name: `docker.io/library/redis:7` → `docker.io-library-redis-7`. */
export function pushName(image: string): string {
  return image.replace(/[^A-Za-z0-9.-]+/g, "-");
}
