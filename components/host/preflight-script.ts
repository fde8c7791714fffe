/**
 * Renders the preflight that runs on a host before any etcd member or control-plane daemon of the stack is touched:
 * a host that holds another cluster fails at once, with one line naming what it found and the fix. Pure function.
 */
import { heredoc, script } from "./bash";
import { ETCD_DATA_DIR, ETCD_DIR, ETCD_PKI } from "./etcd-scripts";
import { K8S_PKI } from "./control-plane-scripts";

export interface PreflightArgs {
  readonly host: { readonly name: string; readonly address: string };
  /** The stack's name, for the fix the failure offers. */
  readonly stack: string;
  /** The stack's etcd CA (PEM), when the host is an etcd member. */
  readonly etcdCaCert?: string;
  /** The stack's Kubernetes CA (PEM), when the host is a master. */
  readonly kubernetesCaCert?: string;
}

/** One line of the fix: reset the host, or destroy the stack that put the other cluster there. */
export function resetHint(stack: string): string {
  return `if nothing on it is needed, wipe it with 'bash scripts/reset.sh --stack ${stack} --yes'; if another stack made it, run 'pulumi destroy' in that stack first`;
}

/**
 * Checks each CA the host already has against the stack's, and that no etcd runs or keeps data that onprem-k8s did not
 * configure. Reads only; a host that passes is left exactly as it was.
 */
export function renderPreflight(a: PreflightArgs): string {
  const checks: string[] = [];
  if (a.etcdCaCert !== undefined) {
    checks.push(`${heredoc("etcd_ca=$(cat", a.etcdCaCert)}
)
if [[ -f ${ETCD_PKI}/ca.crt ]]; then
  [[ $(<${ETCD_PKI}/ca.crt) == "$etcd_ca" ]] || another "an etcd member of another cluster (${ETCD_PKI}/ca.crt is another CA, sha256 $(sha256sum <${ETCD_PKI}/ca.crt | cut -c1-16))"
elif [[ -d ${ETCD_DATA_DIR}/member ]]; then
  another "etcd data of a cluster that onprem-k8s did not configure (${ETCD_DATA_DIR}/member, no ${ETCD_DIR})"
elif systemctl is-active --quiet etcd; then
  another "a running etcd that onprem-k8s did not configure (no ${ETCD_DIR})"
fi`);
  }
  if (a.kubernetesCaCert !== undefined) {
    checks.push(`${heredoc("kubernetes_ca=$(cat", a.kubernetesCaCert)}
)
if [[ -f ${K8S_PKI}/ca.crt && $(<${K8S_PKI}/ca.crt) != "$kubernetes_ca" ]]; then
  another "a Kubernetes control plane of another cluster (${K8S_PKI}/ca.crt is another CA, sha256 $(sha256sum <${K8S_PKI}/ca.crt | cut -c1-16))"
fi`);
  }
  return script(
    `preflight on ${a.host.name}`,
    `# another WHAT: the host holds another cluster; nothing of this stack may touch it.
another() { fail "holds $1; ${resetHint(a.stack)}"; }
${checks.join("\n")}
echo "preflight on ${a.host.name}: no other cluster"`,
  );
}
