/** Renders kwok's unit and the scripts that run it on a host and remove it. Pure functions of their inputs. */
import { READ_SECRETS, heredoc, script } from "./bash";
import { renderDaemonUnit } from "./control-plane-scripts";
import { DEFAULT_BIN_DIR } from "./artifact-script";

/** Nodes with this annotation (value `fake`) are kept Ready by kwok; no other node is touched. */
export const KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node";
export const KWOK_NODE_ANNOTATION_VALUE = "fake";
const KWOK_DIR = "/etc/kwok";
const UNIT = "/etc/systemd/system/kwok.service";

export interface KwokScriptArgs {
  readonly host: { readonly name: string; readonly address: string };
  /** sha256 of the kwok release; a new release re-runs the step, which takes the stages from it. */
  readonly releaseSha256: string;
  /** The pod network; fake pods get addresses from it. */
  readonly podCidr: string;
}

export function kwokFlags(a: Pick<KwokScriptArgs, "host" | "podCidr">): [string, string][] {
  return [
    ["kubeconfig", `${KWOK_DIR}/kubeconfig`],
    ["config", `${KWOK_DIR}/stages.yaml`],
    ["manage-all-nodes", "false"],
    ["manage-nodes-with-annotation-selector", `${KWOK_NODE_ANNOTATION}=${KWOK_NODE_ANNOTATION_VALUE}`],
    ["node-ip", a.host.address],
    ["node-lease-duration-seconds", "40"],
    ["cidr", a.podCidr],
  ];
}

/** The secret file of kwok's step: its kubeconfig (kwok's own client certificate, pointing at the API VIP). */
export const KWOK_KUBECONFIG_SECRET = "kubeconfig";

/**
 * Puts kwok's kubeconfig (a secret on stdin), stages (from the installed release) and unit in place; starts it, or restarts it when a
 * file changed, and requires it to stay up; otherwise the previous files come back and the step fails.
 */
export function renderKwok(a: KwokScriptArgs): string {
  return script(
    `kwok on ${a.host.name}`,
    READ_SECRETS,
    `command -v kwok >/dev/null || fail "kwok is not installed"
# The stages that match the binary ship in its release (${a.releaseSha256}): <release>/…/share/kwok/stages-fast.yaml.
release=$(dirname "$(dirname "$(readlink -f "$(command -v kwok)")")")
stages=$(find "$release" -path '*/share/kwok/stages-fast.yaml' -type f | head -n 1)
[[ -n $stages ]] || fail "the kwok release in $release has no share/kwok/stages-fast.yaml"
put_file ${KWOK_DIR}/stages.yaml 0644 <"$stages"
put_file ${KWOK_DIR}/kubeconfig 0600 <"$SECRETS/${KWOK_KUBECONFIG_SECRET}"
${heredoc(`put_file ${UNIT} 0644`, renderDaemonUnit("kwok: simulated nodes and pods", `${DEFAULT_BIN_DIR}/kwok`, kwokFlags(a), "network-online.target"))}
systemctl daemon-reload
systemctl enable --quiet kwok
restarts=$(systemctl show -p NRestarts --value kwok)
if ! systemctl is-active --quiet kwok; then
  systemctl start kwok || true
elif [[ $CHANGED == 1 ]]; then
  systemctl restart kwok || true
else
  echo "kwok on ${a.host.name}: unchanged"
  exit 0
fi
sleep 5
if ! systemctl is-active --quiet kwok || [[ $(systemctl show -p NRestarts --value kwok) != "$restarts" ]]; then
  why=$(journalctl -u kwok -n 3 --no-pager -o cat 2>/dev/null | tr '\\n' ' ')
  restore_files
  systemctl daemon-reload
  systemctl restart kwok || true
  fail "kwok does not stay up: $why; the previous files are restored"
fi
echo "kwok on ${a.host.name}: running"`,
  );
}

export function renderKwokRemove(host: string): string {
  return script(
    `remove kwok on ${host}`,
    `systemctl disable --now kwok 2>/dev/null || true
rm -rf ${UNIT} ${KWOK_DIR}
systemctl daemon-reload
echo "kwok on ${host} removed"`,
  );
}
