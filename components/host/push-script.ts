/** Renders the command that pushes one bundle image to every registry host, from the machine that runs pulumi. */
import { BundleImage, REGISTRY_PUSH_USER } from "../../spec/image-registry";
import { shellQuote } from "./bash";

export interface ImagePushArgs {
  readonly image: BundleImage;
  /** `ADDRESS:PORT` of every registry host. */
  readonly targets: readonly string[];
  /** The push program (onprem-image). */
  readonly tool: string;
}

/**
 * The tool checks the archive against its digest before it sends anything (a corrupt archive fails naming the image,
 * and the registries keep what they had), pushes, and reads the digest back from each host. The CA comes in the
 * environment, the push password on stdin.
 */
export function renderImagePush(a: ImagePushArgs): string {
  return `set -euo pipefail
ca=$(mktemp)
trap 'rm -f "$ca"' EXIT
printf '%s\\n' "$REGISTRY_CA" >"$ca"
${shellQuote(a.tool)} push --archive ${shellQuote(a.image.archive)} --name ${shellQuote(a.image.name)} --digest ${a.image.digest} \\
  --to ${a.targets.join(",")} --ca "$ca" --username ${REGISTRY_PUSH_USER}
`;
}
