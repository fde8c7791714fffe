/**
 * Renders the steps that take a real node into the cluster's schedule and out of it, run on a master with kubectl and
 * the admin kubeconfig: a node that joins is uncordoned; one that leaves the config is cordoned, drained (PodDisruption
 * Budgets respected) and deleted before its kubelet stops. Pure functions.
 */
import { script, shellQuote } from "./bash";

export interface NodeMembershipArgs {
  readonly node: string;
  /** kubectl through the API's client address, with the admin kubeconfig. */
  readonly kubectl: string;
  /** How long a drain may wait for the node's pods to leave (evictions a PodDisruptionBudget holds back are retried). */
  readonly drainTimeoutSeconds: number;
}

/** A node that joins takes pods: one cordoned by a leave that failed half-way is uncordoned. */
export function renderNodeJoin(a: NodeMembershipArgs): string {
  const node = shellQuote(a.node);
  return script(
    `node ${a.node} joins`,
    `${a.kubectl} uncordon ${node} >/dev/null || fail "cannot uncordon ${a.node}"
echo "node ${a.node} takes pods"`,
  );
}

/**
 * A node that leaves: no new pods (cordon), its pods evicted and started elsewhere (drain; DaemonSets' stay), then its
 * Node deleted. The kubelet registers its Node only when it starts, so the Node stays gone while the node's own step
 * stops the kubelet after this one.
 */
export function renderNodeLeave(a: NodeMembershipArgs): string {
  const node = shellQuote(a.node);
  return script(
    `node ${a.node} leaves`,
    `k() { ${a.kubectl} "$@"; }
if ! k get node ${node} >/dev/null 2>&1; then
  echo "node ${a.node} is not in the cluster"
  exit 0
fi
k cordon ${node} >/dev/null || fail "cannot cordon ${a.node}"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
k drain ${node} --ignore-daemonsets --delete-emptydir-data --timeout=${a.drainTimeoutSeconds}s --request-timeout=0 >"$out" 2>&1 ||
  fail "draining ${a.node} did not end within ${a.drainTimeoutSeconds} s (it stays cordoned, and the next up tries again): $(grep -v '^evicting\\|^pod/' "$out" | tail -n 2 | tr '\\n' ' ')"
k delete node ${node} --wait=true >/dev/null || fail "cannot delete node ${a.node}"
echo "node ${a.node} drained and deleted"`,
  );
}
