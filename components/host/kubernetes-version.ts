/** Kubernetes release versions as versions.kubernetes gives them, and the skew the project allows between them. */

/** A kubelet may be this many minors older than the apiservers (Kubernetes' version-skew policy since 1.28). */
export const MAX_KUBELET_MINORS_BEHIND = 3;

/** "v1.35.4" → 35. */
export function minorOf(version: string): number {
  const match = /^v?\d+\.(\d+)\./.exec(version);
  if (!match) throw new Error(`minorOf: ${version} is not a Kubernetes version such as v1.35.4`);
  return Number(match[1]);
}

/** What `kube-apiserver --version` and `kubelet --version` print for a release. */
export function printedVersion(version: string): string {
  return `Kubernetes ${version}`;
}
