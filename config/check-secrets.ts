/** Finds secrets given in plain text in the stack config. */
import { Problems, isRecord } from "./problems";

/** Config keys that must always be set with `pulumi config set --secret`. */
export const REQUIRED_SECRET_KEYS = ["sshPrivateKey"] as const;

// A name ending in a secret-ish word; a bare "key" (as in taints) is not one. A kubeconfig holds credentials.
const SECRET_NAME = /(password|passwd|token|secret|credential|privatekey|[a-z]key|kubeconfig)$/i;
// Public keys, such as a host's pinned SSH key, are not secrets.
const PUBLIC_KEY_NAME = /(hostkey|publickey)$/i;

export function looksSecret(name: string): boolean {
  return SECRET_NAME.test(name) && !PUBLIC_KEY_NAME.test(name);
}

/**
 * Reports every top-level key that looks secret but is stored in plain text, and every
 * secret-looking field nested inside a plain-text value.
 */
export function checkPlainTextSecrets(raw: Record<string, unknown>, secretKeys: ReadonlySet<string>, namespace: string, problems: Problems): void {
  for (const [key, value] of Object.entries(raw)) {
    if (secretKeys.has(key) || value === undefined || value === "") continue;
    const fullKey = `${namespace}:${key}`;
    if (looksSecret(key)) {
      problems.add(fullKey, "is a secret given in plain text", `set it with \`pulumi config set --secret ${key}\``);
    } else {
      findNested(value, fullKey, secretKeys, (path) =>
        problems.add(path, "looks like a secret given in plain text", "move the value into its own key set with `pulumi config set --secret` and refer to that key"),
      );
    }
  }
}

// A value that names a secret config key is a reference to a secret, not a secret.
function findNested(value: unknown, path: string, secretKeys: ReadonlySet<string>, report: (path: string) => void): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => findNested(v, `${path}[${i}]`, secretKeys, report));
  } else if (isRecord(value)) {
    for (const [name, v] of Object.entries(value)) {
      const reference = typeof v === "string" && secretKeys.has(v);
      if (looksSecret(name) && (typeof v === "string" || typeof v === "number") && !reference) report(`${path}.${name}`);
      else findNested(v, `${path}.${name}`, secretKeys, report);
    }
  }
}
