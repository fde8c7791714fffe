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
    `${field}: "${name}" is not a valid DNS-1123 label (lowercase letters, digits and '-', ` + `starting and ending with a letter or digit, at most 63 characters); use e.g. "${suggest(name, 63)}".`
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

const labelName = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Checks a label key: an optional DNS subdomain prefix and '/', then a name of at most 63 characters. */
export function checkLabelKey(field: string, key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = key.slice(slash + 1);
  if (name.length <= 63 && labelName.test(name) && (prefix === undefined || (prefix.length <= 253 && dns1123Subdomain.test(prefix)))) return undefined;
  return `${field}: "${key}" is not a valid label key (an optional DNS subdomain and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit).`;
}

/** Checks a label value: empty, or at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit. */
export function checkLabelValue(field: string, value: string): string | undefined {
  if (value === "" || (value.length <= 63 && labelName.test(value))) return undefined;
  return `${field}: "${value}" is not a valid label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit).`;
}

const pathComponent = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const domain = "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]+)?";
// The reference grammar of the distribution project: [registry/]path[:tag][@digest].
const imageReference = new RegExp(`^(?:${domain}/)?${pathComponent}(?:/${pathComponent})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`);

/** Checks a container image reference, such as `10.234.2.218/go2cloud/api:1.2` or `redis:4-alpine3.8`. */
export function checkImageReference(field: string, image: string): string | undefined {
  if (imageReference.test(image)) return undefined;
  return `${field}: "${image}" is not a valid image reference; use [registry/]name[:tag][@sha256:digest] with a lower-case name and no spaces.`;
}
