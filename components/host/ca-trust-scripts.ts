/** The step that ends the trust phase of a CA rotation, run on the first master with kubectl. */
import { createHash } from "crypto";
import { script } from "./bash";
import { K8S_PKI } from "./control-plane-scripts";

/** How long each workload may take to roll, in seconds. */
export const CA_TRUST_ROLLOUT_TIMEOUT_SECONDS = 600;

/**
 * In-cluster API clients read their ca.crt once, at start. So once the controller-manager publishes the bundle of the
 * old and new cluster CAs as every namespace's kube-root-ca.crt, every Deployment, DaemonSet and StatefulSet whose pods
 * mount a service-account token restarts (by its own rolling strategy) and waits to be rolled out: afterwards every
 * client trusts the new CA, before it signs the apiserver's certificate. The bundle's digest keys the step: it runs
 * once per bundle.
 */
export function renderCaTrustRollout(a: {
  /** kubectl through the API's client address, with the admin kubeconfig. */
  readonly kubectl: string;
  /** The trusted Kubernetes CAs (PEM bundle) the masters were given. */
  readonly caBundle: string;
}): string {
  const k = a.kubectl;
  const digest = createHash("sha256").update(a.caBundle).digest("hex");
  return script(
    `restart the in-cluster API clients to trust the CA bundle ${digest.slice(0, 16)}`,
    `bundle=$(<${K8S_PKI}/ca.crt)
[[ $(sha256sum <${K8S_PKI}/ca.crt | cut -d' ' -f1) == ${digest} ]] || fail "${K8S_PKI}/ca.crt is not the CA bundle ${digest.slice(0, 16)}: the masters' steps did not write it"
# The controller-manager publishes the bundle to every namespace after it restarts on it.
stale_namespaces() {
  local ns stale=()
  for ns in $(${k} get namespaces -o jsonpath='{.items[*].metadata.name}'); do
    [[ $(${k} -n "$ns" get configmap kube-root-ca.crt -o jsonpath='{.data.ca\\.crt}' 2>/dev/null) == "$bundle" ]] || stale+=("$ns")
  done
  echo "\${stale[*]}"
}
published() { [[ -z $(stale_namespaces) ]]; }
retry 60 2 published || fail "kube-root-ca.crt does not hold the CA bundle in: $(stale_namespaces)"
workloads=$(mktemp)
trap 'rm -f "$workloads"' EXIT
${k} get deployments,daemonsets,statefulsets --all-namespaces \\
  -o jsonpath='{range .items[*]}{.metadata.namespace} {.kind} {.metadata.name} {.spec.template.spec.automountServiceAccountToken}{"\\n"}{end}' >"$workloads"
restarted=()
while read -r ns kind name automount; do
  [[ $automount == false ]] && continue
  ${k} -n "$ns" rollout restart "$kind/$name" >/dev/null || fail "kubectl rollout restart $kind/$name in $ns failed"
  restarted+=("$ns/$kind/$name")
done <"$workloads"
for workload in "\${restarted[@]}"; do
  IFS=/ read -r ns kind name <<<"$workload"
  ${k} -n "$ns" rollout status "$kind/$name" --timeout=${CA_TRUST_ROLLOUT_TIMEOUT_SECONDS}s >/dev/null || fail "$kind/$name in $ns did not roll out within ${CA_TRUST_ROLLOUT_TIMEOUT_SECONDS} s after its restart"
done
echo "\${#restarted[@]} workloads restarted on the CA bundle ${digest.slice(0, 16)}: \${restarted[*]}"`,
  );
}
