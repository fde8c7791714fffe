/**
 * Renders the nodes' containerd mirrors: for each mirrored registry, a hosts.toml that sends pulls to the site's
 * registry first, trusting its CA and sending the pull account's credentials; image names stay as they are.
 */
import { READ_SECRETS, heredoc, putFiles, script } from "./bash";
import { CERTS_D, renderCertsDirs } from "./node-scripts";

/** The CA of the site's registry, shared by every mirror's hosts.toml. */
const MIRROR_CA = "/etc/containerd/onprem-registry-ca.crt";
/** The mirror directories under CERTS_D that onprem-k8s wrote, one a line: a mirror dropped from config loses its. */
const MIRRORS_LIST = `${CERTS_D}/.onprem-k8s-mirrors`;
/** The files onprem-k8s writes in a mirror's directory. */
const MIRROR_FILES = ["hosts.toml"];
/** The secret holding `Basic base64(user:password)` of the pull account. */
export const MIRROR_AUTHORIZATION_SECRET = "pull-authorization";

/** Where a registry serves when no mirror answers: docker.io's API lives on registry-1.docker.io. */
export function upstreamServer(registry: string): string {
  return `https://${registry === "docker.io" ? "registry-1.docker.io" : registry}`;
}

/** A mirror's hosts.toml without its credentials, which the script appends from its stdin. */
export function renderMirrorHosts(registry: string, endpoint: string): string {
  return `# Rendered by onprem-k8s; changes here are overwritten.
server = "${upstreamServer(registry)}"

[host."https://${endpoint}"]
  capabilities = ["pull", "resolve"]
  ca = "${MIRROR_CA}"
`;
}

export interface MirrorScriptArgs {
  readonly host: string;
  /** `ADDRESS:PORT` of the site's registry (its VIP). */
  readonly endpoint: string;
  readonly caCert: string;
  /** The registries whose pulls go through the site's registry. */
  readonly mirrors: readonly string[];
}

/** containerd reads hosts.toml at every pull: nothing restarts. The file holds a credential, so it is root's only. */
export function renderMirrors(a: MirrorScriptArgs): string {
  const header = `  [host."https://${a.endpoint}".header]\n    Authorization = "%s"\n`;
  const mirrors = a.mirrors
    .map(
      (m) => `${heredoc(`{ cat`, renderMirrorHosts(m, a.endpoint))}
printf '${header.replace(/\n/g, "\\n")}' "$(cat "$SECRETS/${MIRROR_AUTHORIZATION_SECRET}")"; } | put_file ${CERTS_D}/${m}/hosts.toml 0600`,
    )
    .join("\n");
  return script(
    `registry mirrors ${a.host}`,
    READ_SECRETS,
    `${putFiles([[MIRROR_CA, "0644", a.caCert]])}
${mirrors}
${renderCertsDirs(MIRRORS_LIST, a.mirrors, MIRROR_FILES)}
echo "registry mirrors ${a.host}: ${a.mirrors.join(" ")} through ${a.endpoint}"`,
  );
}

/** Removes every mirror onprem-k8s wrote and the registry's CA. */
export function renderMirrorsRemove(host: string): string {
  return script(`remove registry mirrors ${host}`, `${renderCertsDirs(MIRRORS_LIST, [], MIRROR_FILES)}\nrm -f ${MIRROR_CA} ${MIRROR_CA}.bak\necho "registry mirrors ${host} removed"`);
}
