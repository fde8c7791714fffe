/** Kubernetes naming rules, shared by the charts' and components' argument checks. */

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Lower-cases and replaces invalid characters, to suggest a valid name in error messages. */
function suggest(name: string, maxLength: number): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, maxLength)
    .replace(/-+$/g, "");
  return cleaned || "app";
}

/**
 * Checks a DNS-1123 label (Services, Namespaces, container and port names' base rule).
 * Returns one problem line naming `field`, or undefined when the name is valid.
 */
export function checkDnsLabel(field: string, name: string): string | undefined {
  if (name.length <= 63 && dns1123Label.test(name)) return undefined;
  return (
    `${field}: "${name}" is not a valid DNS-1123 label (lowercase letters, digits and '-', ` +
    `starting and ending with a letter or digit, at most 63 characters); use e.g. "${suggest(name, 63)}".`
  );
}

/** Checks a DNS-1123 subdomain (ConfigMap, Secret, PVC, StorageClass names). */
export function checkDnsSubdomain(field: string, name: string): string | undefined {
  if (name.length <= 253 && dns1123Subdomain.test(name)) return undefined;
  return (
    `${field}: "${name}" is not a valid DNS-1123 subdomain (lowercase letters, digits, '-' and '.', ` +
    `starting and ending with a letter or digit, at most 253 characters); use e.g. "${suggest(name, 253)}".`
  );
}

/** Checks a TCP/UDP port number. */
export function checkPort(field: string, port: number): string | undefined {
  if (Number.isInteger(port) && port >= 1 && port <= 65535) return undefined;
  return `${field}: ${port} is not a valid port; use an integer from 1 to 65535.`;
}
