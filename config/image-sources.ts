/**
 * Which images the stack runs that the site's registry cannot serve. With a registry of its own a site is taken to be
 * cut off: an image pulls only from the bundle, through a mirror, or from one of the site's other registries.
 */
import { ClusterSpec } from "../spec/cluster";
import { DEFAULT_FLANNEL_VERSION, PAUSE_IMAGE, canonicalImage, corednsImage, flannelImages, parseImage } from "../spec/images";
import { AddonParser } from "./addon";

/** An image the stack runs, and what runs it (an app, an addon or the cluster itself). */
export interface UsedImage {
  readonly user: string;
  readonly image: string;
}

/** Every image the stack's pods run: the sandbox, CoreDNS and flannel with an own control plane, the addons and the apps. */
export function usedImages(spec: Pick<ClusterSpec, "apps" | "addons" | "versions" | "artifacts">, addons: readonly AddonParser[]): UsedImage[] {
  const used: UsedImage[] = [];
  if (spec.artifacts.kubernetes) {
    used.push({ user: "the pod sandbox", image: PAUSE_IMAGE });
    if (spec.versions.coredns) used.push({ user: "CoreDNS", image: corednsImage(spec.versions.coredns) });
    const flannel = flannelImages(spec.versions.flannel ?? DEFAULT_FLANNEL_VERSION);
    used.push({ user: "flannel", image: flannel.flannel }, { user: "flannel", image: flannel.cniPlugin });
  }
  for (const addon of addons) {
    const addonSpec = spec.addons[addon.key];
    if (addonSpec !== undefined) used.push(...(addon.images?.(addonSpec) ?? []).map((image) => ({ user: `addon ${addon.key}`, image })));
  }
  for (const app of spec.apps) {
    used.push({ user: `app ${app.spec.name}`, image: app.spec.image });
    if (app.spec.canary) used.push({ user: `app ${app.spec.name} (canary)`, image: app.spec.canary.image });
  }
  return used;
}

/**
 * One warning per image that neither the bundle holds behind a mirror nor one of `registries` serves; none without a
 * registry of the site's own (the nodes then pull from wherever the names point).
 */
export function imageSourceWarnings(spec: Pick<ClusterSpec, "apps" | "addons" | "versions" | "artifacts" | "imageRegistry" | "registries">, addons: readonly AddonParser[]): string[] {
  const registry = spec.imageRegistry;
  if (registry === undefined) return [];
  const bundled = new Set((registry.bundle?.images ?? []).map((i) => i.name));
  const siteRegistries = new Set(spec.registries.map((r) => r.host));
  return usedImages(spec, addons).flatMap(({ user, image }) => {
    const from = parseImage(image).registry;
    if (siteRegistries.has(from)) return [];
    if (!registry.mirrors.includes(from)) {
      return [`${user} runs ${image}, whose registry ${from} is neither in imageRegistry.mirrors nor in registries: no node can pull it in a site cut off from the internet`];
    }
    return bundled.has(canonicalImage(image))
      ? []
      : [`${user} runs ${image}, which the image bundle (imageRegistry.bundle) does not hold: add it to the bundle (docs/images.md), or no node can pull it`];
  });
}
