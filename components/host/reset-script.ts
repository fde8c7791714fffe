/**
 * Renders the reset of a host: it stops and removes everything onprem-k8s installs there, whichever stack installed
 * it, so that a host holding another cluster (or the leftovers of a lost state) can take a new one. It is made of the
 * same remove scripts the steps run on delete, so the two cannot drift apart. Pure function; the result is idempotent.
 */
import { heredoc, script } from "./bash";
import { ARTIFACT_CACHE, DEFAULT_BIN_DIR } from "./artifact-script";
import { renderControlPlaneRemove } from "./control-plane-scripts";
import { renderEtcdMemberRemove } from "./etcd-scripts";
import { renderKwokRemove } from "./kwok-scripts";
import { renderLbRemoveAll } from "./load-balancer-scripts";
import { CNI_BIN_DIR, renderNodeRemove } from "./node-scripts";
import { renderRegistryRemove } from "./registry-scripts";
import { renderMirrorsRemove } from "./mirror-scripts";

/** Where the artifact steps unpack every release. */
const RELEASES_DIR = "/opt/onprem-k8s";

export function renderHostReset(): string {
  const host = "this host";
  const part = (text: string) => heredoc("bash -s", text);
  return script(
    "reset",
    `# Each part is a remove script of its own; a part that fails stops the reset, and a second run takes it up again.
${part(renderKwokRemove(host))}
${part(renderMirrorsRemove(host))}
# containerd's unit is onprem-k8s's with its release; otherwise Debian's package runs it.
if grep -qs "(onprem-k8s)" /etc/systemd/system/containerd.service; then
${part(renderNodeRemove(host, { kind: "release" }))}
else
${part(renderNodeRemove(host, { kind: "packages" }))}
fi
${part(renderControlPlaneRemove(host))}
${part(renderEtcdMemberRemove(host))}
${part(renderLbRemoveAll())}
${part(renderRegistryRemove(host))}
# The releases and the links to them; the etcd snapshots in the backup directory stay.
for dir in ${DEFAULT_BIN_DIR} ${CNI_BIN_DIR}; do
  [[ -d $dir ]] || continue
  find "$dir" -maxdepth 1 -type l -lname '${RELEASES_DIR}/*' -delete
done
rm -rf ${RELEASES_DIR} ${ARTIFACT_CACHE}
echo "reset: nothing of onprem-k8s is left on $(hostname)"`,
  );
}
