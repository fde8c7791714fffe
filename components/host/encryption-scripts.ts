/**
 * The Secrets-encryption config of the apiservers and the steps of a key rotation: every master first reads the new
 * key, then writes with it, then every Secret is rewritten, and a later up drops the old key. Pure functions.
 */
import { createHash } from "crypto";
import { READ_SECRETS, script, secretFile, putFiles } from "./bash";

export const ENCRYPTION_CONFIG = "/etc/kubernetes/encryption-config.yaml";

/** The name of an encryption key in the config and in etcd's `k8s:enc:secretbox:v1:NAME:` prefix: a digest, never the key. */
export function encryptionKeyName(key: string): string {
  return `key-${createHash("sha256").update(key).digest("hex").slice(0, 8)}`;
}

/**
 * Secrets are encrypted with secretbox (XSalsa20-Poly1305) under the first key; the others, and identity (what was
 * stored before encryption was on), only decrypt.
 */
export function renderEncryptionConfig(keys: readonly string[]): string {
  if (keys.length === 0) throw new Error("renderEncryptionConfig: no key");
  return `# Rendered by onprem-k8s; changes here are overwritten.
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources:
      - secrets
    providers:
      - secretbox:
          keys:
${keys.map((key) => `            - name: ${encryptionKeyName(key)}\n              secret: ${key}\n`).join("")}      - identity: {}
`;
}

/**
 * Before a master's encryption config is replaced: the key its apiserver encrypts with now must stay in the new
 * config, or every Secret written with it would become unreadable. A rotation keeps it as `secretsEncryptionOldKey`.
 */
export function encryptionKeyGuard(newKeyNames: readonly string[]): string {
  return `in_use=$(sed -n 's/^ *- name: \\(key-[0-9a-f]*\\)$/\\1/p' ${ENCRYPTION_CONFIG} 2>/dev/null | head -n 1 || true)
keys=" ${newKeyNames.join(" ")} "
if [[ -n $in_use && $keys != *" $in_use "* ]]; then
  fail "Secrets are encrypted with $in_use, which the new encryption config (${newKeyNames.join(", ")}) leaves out; to rotate the key, set secretsEncryptionOldKey to the key in use and secretsEncryptionKey to the new one"
fi`;
}

/** The secret file of the prepare step: the encryption config with the old key first and the new one after it. */
export const ENCRYPTION_PREPARE_SECRETS = { encryptionConfig: "encryption-config.yaml" } as const;

/**
 * The first half of a rotation, on each master in turn before its own step: its apiserver keeps encrypting with the old
 * key and learns to decrypt with the new one, so that no apiserver meets a Secret it cannot read while the masters roll
 * to the new key. A master without a control plane yet has nothing to prepare.
 */
export function renderEncryptionPrepare(a: {
  readonly master: string;
  /** kubectl against this master's own apiserver, with the admin kubeconfig. */
  readonly kubectl: string;
  readonly oldKeyName: string;
  readonly newKeyName: string;
}): string {
  return script(
    `encryption key rotation on ${a.master}: read ${a.newKeyName} too`,
    READ_SECRETS,
    `if [[ ! -f /etc/systemd/system/kube-apiserver.service ]]; then
  echo "no control plane on ${a.master} yet: its own step writes the new config"
  exit 0
fi
${encryptionKeyGuard([a.oldKeyName, a.newKeyName])}
${putFiles([[ENCRYPTION_CONFIG, "0600", secretFile(ENCRYPTION_PREPARE_SECRETS.encryptionConfig)]])}
if [[ $CHANGED == 0 ]]; then
  echo "${a.master}: already reads ${a.newKeyName}"
  exit 0
fi
api_ready() { ${a.kubectl} get --raw /readyz >/dev/null 2>&1; }
systemctl restart kube-apiserver || true
if ! retry 90 2 api_ready; then
  restore_files
  systemctl restart kube-apiserver || true
  fail "kube-apiserver is not ready with ${a.newKeyName} added; the previous encryption config is restored"
fi
echo "${a.master}: encrypts with ${a.oldKeyName}, reads ${a.newKeyName} too"`,
  );
}

/**
 * The second half, once every master encrypts with the new key: every Secret is read and written back, so etcd holds
 * it under the new key. kubectl replace keeps each Secret's resourceVersion, so a Secret changed in between is not
 * overwritten: that round fails for it, and the next round reads it again.
 */
export function renderSecretsRewrite(a: {
  /** kubectl through the API's client address, with the admin kubeconfig. */
  readonly kubectl: string;
  readonly newKeyName: string;
}): string {
  const k = a.kubectl;
  return script(
    `rewrite every Secret with ${a.newKeyName}`,
    `out=$(mktemp)
trap 'rm -f "$out"' EXIT
rewrite() { ${k} get secrets --all-namespaces -o json | ${k} replace -f - >"$out" 2>&1; }
retry 3 5 rewrite || fail "rewriting the Secrets failed: $(grep -v ' replaced$' "$out" | tail -n 2 | tr '\\n' ' ')"
echo "$(grep -c ' replaced$' "$out") Secrets rewritten with ${a.newKeyName}"`,
  );
}
