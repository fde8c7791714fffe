/** Parses `registries`: the site's own registries that nodes reach over plain HTTP or with a private CA. */
import { SiteRegistry } from "../spec/cluster";
import { checkShape } from "./shape";
import { Problems } from "./problems";

const REGISTRY_SHAPE = { list: { fields: { host: "string", http: "boolean", caCert: "string" }, required: ["host"], exactlyOne: ["http", "caCert"] } } as const;
/** A DNS name or IPv4 address and an optional port, as an image name starts; it is also a directory name on the nodes. */
export const REGISTRY_HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$/;
const PEM_CERT = /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\s*$/;

/** @param ownNodes whether the stack runs its nodes' containerd (it has its own control plane, artifacts.kubernetes) */
export function parseRegistries(raw: unknown, key: string, ownNodes: boolean, problems: Problems): SiteRegistry[] {
  if (raw === undefined || (Array.isArray(raw) && raw.length === 0)) return [];
  if (!ownNodes) {
    problems.add(
      key,
      "is set, but the stack does not run its nodes (it has no artifacts.kubernetes), so nothing would apply it",
      "configure the registries in the containerd of the cluster's own nodes, or drop registries",
    );
  }
  if (!checkShape(raw, REGISTRY_SHAPE, key, problems)) return [];
  const registries = raw as { host: string; http?: boolean; caCert?: string }[];
  const seen = new Set<string>();
  return registries.flatMap((r, i) => {
    const at = `${key}[${i}]`;
    let ok = true;
    if (!REGISTRY_HOST.test(r.host)) {
      problems.add(`${at}.host`, `"${r.host}" is not HOST or HOST:PORT`, "give the registry as image names start with it, such as 10.66.221.138:5500 or harbor.example.com, without a scheme or path");
      ok = false;
    } else if (seen.has(r.host)) {
      problems.add(`${at}.host`, `"${r.host}" is given twice`, "give each registry once");
      ok = false;
    }
    seen.add(r.host);
    if (r.http === false) {
      problems.add(`${at}.http`, "is false", "leave http out and give caCert for a registry with its own CA; a registry with a public certificate needs no entry");
      ok = false;
    }
    if (r.caCert !== undefined && !PEM_CERT.test(r.caCert)) {
      problems.add(`${at}.caCert`, "is not a PEM certificate", "give the CA certificate as -----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----");
      ok = false;
    }
    return ok && ownNodes ? [{ host: r.host, http: r.http === true, ...(r.caCert === undefined ? {} : { caCert: r.caCert }) }] : [];
  });
}
