/**
 * Renders the steps that take a real node into the cluster's schedule and out of it, run on a master with kubectl and
 * the admin kubeconfig: a node that joins, or comes back from an upgrade, is uncordoned; one whose kubelet is about to
 * be upgraded is cordoned and drained; one that leaves the config is cordoned, drained (PodDisruptionBudgets
 * respected) and deleted before its kubelet stops. Pure functions.
 */
import { script, shellQuote } from "./bash";
import { MAX_KUBELET_MINORS_BEHIND, minorOf } from "./kubernetes-version";

export interface NodeMembershipArgs {
  readonly node: string;
  /** kubectl through the API's client address, with the admin kubeconfig. */
  readonly kubectl: string;
  /** How long a drain may wait for the node's pods to leave (evictions a PodDisruptionBudget holds back are retried). */
  readonly drainTimeoutSeconds: number;
}

export interface NodeUpgradeArgs extends NodeMembershipArgs {
  /** The node release's version (versions.kubernetes), such as v1.35.4. */
  readonly version: string;
}

/**
 * A node takes pods: one that joins, one that its upgrade drained, and one cordoned by a leave that failed half-way is
 * uncordoned. It names the version, so an upgrade runs it again after the node's kubelet step.
 */
export function renderNodeJoin(a: NodeUpgradeArgs): string {
  const node = shellQuote(a.node);
  return script(
    `node ${a.node} joins (kubelet ${a.version})`,
    `${a.kubectl} uncordon ${node} >/dev/null || fail "cannot uncordon ${a.node}"
echo "node ${a.node} takes pods"`,
  );
}

/**
 * Before a node's kubelet step: when the Node runs a kubelet of another version, it is cordoned and drained, so that
 * the upgrade restarts a kubelet without pods that matter (DaemonSets' stay). A kubelet newer than the apiservers, or
 * more than ${MAX_KUBELET_MINORS_BEHIND} minors behind them, is refused first: Kubernetes' version-skew policy. A Node not yet registered has
 * nothing to drain.
 */
export function renderNodeUpgradeDrain(a: NodeUpgradeArgs): string {
  const node = shellQuote(a.node);
  const target = minorOf(a.version);
  return script(
    `node ${a.node} upgrade to kubelet ${a.version}`,
    `k() { ${a.kubectl} "$@"; }
apiserver=$(k get --raw /version | sed -n 's/.*"gitVersion": *"\\(v[0-9][^"]*\\)".*/\\1/p') || true
[[ $apiserver =~ ^v[0-9]+\\.([0-9]+)\\. ]] || fail "the API does not answer /version with a release"
minor=\${BASH_REMATCH[1]}
if ((${target} > minor)); then
  fail "the kubelet ${a.version} would be newer than the apiservers' $apiserver: the masters go first; their steps did not finish"
elif ((${target} < minor - ${MAX_KUBELET_MINORS_BEHIND})); then
  fail "the kubelet ${a.version} would be more than ${MAX_KUBELET_MINORS_BEHIND} minors behind the apiservers' $apiserver"
fi
if ! running=$(k get node ${node} -o jsonpath='{.status.nodeInfo.kubeletVersion}' 2>/dev/null); then
  echo "node ${a.node} is not registered yet: nothing to drain"
  exit 0
fi
if [[ $running == ${shellQuote(a.version)} ]]; then
  echo "node ${a.node} runs kubelet $running already"
  exit 0
fi
${cordonAndDrain(a, "for its upgrade")}
echo "node ${a.node} drained for its upgrade from kubelet $running to ${a.version}"`,
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
${cordonAndDrain(a)}
k delete node ${node} --wait=true >/dev/null || fail "cannot delete node ${a.node}"
echo "node ${a.node} drained and deleted"`,
  );
}

/** No new pods on the node, and its pods evicted and started elsewhere (DaemonSets' stay), with `k` as kubectl. */
function cordonAndDrain(a: NodeMembershipArgs, purpose?: string): string {
  const node = shellQuote(a.node);
  return `k cordon ${node} >/dev/null || fail "cannot cordon ${a.node}"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
k drain ${node} --ignore-daemonsets --delete-emptydir-data --timeout=${a.drainTimeoutSeconds}s --request-timeout=0 >"$out" 2>&1 ||
  fail "draining ${a.node}${purpose ? ` ${purpose}` : ""} did not end within ${a.drainTimeoutSeconds} s (it stays cordoned, and the next up tries again): $(grep -v '^evicting\\|^pod/' "$out" | tail -n 2 | tr '\\n' ' ')"`;
}
