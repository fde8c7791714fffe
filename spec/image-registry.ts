/** The site's own image registry and the image bundle it serves. */

/** The registries whose images the nodes pull through the site's registry unless `imageRegistry.mirrors` says otherwise. */
export const DEFAULT_MIRRORS = ["docker.io", "registry.k8s.io", "quay.io", "ghcr.io"] as const;

/** The registry's accounts: pushes come from the machine that runs `pulumi up`, pulls from the nodes. */
export const REGISTRY_PUSH_USER = "onprem-push";
export const REGISTRY_PULL_USER = "onprem-pull";

/** One image of a bundle: an OCI image layout archive and the digest of its manifest. */
export interface BundleImage {
  /** The fully qualified upstream name the manifests use, such as `docker.io/library/redis:4-alpine3.8`. */
  readonly name: string;
  /** The archive's absolute path. */
  readonly archive: string;
  /** `sha256:` and the 64 hex digits of the image manifest. */
  readonly digest: string;
}

/** A directory of image archives with its `bundle.json` (scripts/build-images.sh writes one; docs/images.md). */
export interface ImageBundleSpec {
  /** The bundle directory, as config gave it. */
  readonly directory: string;
  /** The images, sorted by name. */
  readonly images: readonly BundleImage[];
}

/** The registry the hosts of role `registry` run (CNCF distribution), each holding every image of the bundle. */
export interface ImageRegistrySpec {
  /** The HTTPS port every registry host listens on, and the load balancer forwards. */
  readonly port: number;
  /** Where each host keeps the images. */
  readonly storageDirectory: string;
  /** When each host collects unreferenced blobs, as systemd OnCalendar; the hosts take turns (docs/images.md). */
  readonly garbageCollection: string;
  /** The address nodes pull from: the VIP of the load balancer whose backends are the registry hosts, or the only registry host. */
  readonly address: string;
  /** The registries whose images the nodes pull through this one, image names unchanged (containerd hosts.toml). */
  readonly mirrors: readonly string[];
  /** The images `pulumi up` pushes to every registry host; none when unset. */
  readonly bundle?: ImageBundleSpec;
}
