/** Parses `hosts`: names, addresses, SSH settings, roles, labels and taints. */
import { HostSpec, ROLES, Role, Taint } from "../spec/cluster";
import { checkLabelKey, checkLabelValue } from "../spec/names";
import { Problems, isDns1123Label, isPort, isRecord } from "./problems";
import { parseIpv4 } from "../spec/cidr";
import { unknownNameFix } from "./shape";

const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;
const HOST_FIELDS = ["name", "address", "sshPort", "sshUser", "sshHostKey", "roles", "labels", "taints", "simulated"];

export function parseHosts(raw: unknown, key: string, problems: Problems): HostSpec[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.add(key, "no hosts are configured", "list the servers as objects with name, address and roles");
    return [];
  }
  const parsed = raw.map((item, i) => parseHost(item, `${key}[${i}]`, problems));
  reportDuplicates(parsed, "name", key, problems);
  reportDuplicates(parsed, "address", key, problems);
  return parsed.filter((h): h is HostSpec => h !== undefined);
}

function parseHost(raw: unknown, key: string, problems: Problems): HostSpec | undefined {
  if (!isRecord(raw)) {
    problems.add(key, "is not an object", "give {name, address, roles}");
    return undefined;
  }
  for (const field of Object.keys(raw).filter((f) => !HOST_FIELDS.includes(f))) {
    problems.add(`${key}.${field}`, "is not a known field", unknownNameFix(field, HOST_FIELDS));
  }
  const name = String(raw.name ?? "");
  if (!isDns1123Label(name)) {
    problems.add(`${key}.name`, `"${name}" is not a valid DNS-1123 label`, "use lower-case letters, digits and '-', at most 63 characters, starting and ending with a letter or digit");
  }
  const address = String(raw.address ?? "");
  if (parseIpv4(address) === undefined) {
    problems.add(`${key}.address`, `"${address}" is not an IPv4 address`, "give the host's address as a.b.c.d");
  }
  const sshPort = raw.sshPort ?? 22;
  if (!isPort(sshPort)) {
    problems.add(`${key}.sshPort`, `${JSON.stringify(sshPort)} is not a port`, "give a number from 1 to 65535");
  }
  const sshUser = String(raw.sshUser ?? "root");
  const simulated = raw.simulated ?? false;
  if (typeof simulated !== "boolean") {
    problems.add(`${key}.simulated`, `${JSON.stringify(simulated)} is not true or false`, "give simulated: true for a node that kwok simulates, or leave it out");
  }
  const sshHostKey = simulated === true ? undefined : parseHostKey(raw.sshHostKey, `${key}.sshHostKey`, address, sshPort, problems);
  return {
    name,
    address,
    sshPort: sshPort as number,
    sshUser,
    ...(sshHostKey === undefined ? {} : { sshHostKey }),
    roles: parseRoles(raw.roles, `${key}.roles`, problems),
    labels: parseLabels(raw.labels, `${key}.labels`, problems),
    taints: parseTaints(raw.taints, `${key}.taints`, problems),
    ...(simulated === true ? { simulated: true } : {}),
  };
}

const HOST_KEY_TYPES = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"];

/** `TYPE BASE64 [comment]`, where the key blob names the same type; returns `TYPE BASE64`. */
function parseHostKey(raw: unknown, key: string, address: string, port: unknown, problems: Problems): string | undefined {
  const scan = `ssh-keyscan -t ed25519 -p ${isPort(port) ? port : 22} ${address}`;
  if (raw === undefined) {
    problems.add(
      key,
      "is missing: every SSH step would trust whichever machine answers at the address",
      `pin the host's key: run \`${scan}\`, compare its fingerprint with \`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\` on the host's console, and give the line without the address`,
    );
    return undefined;
  }
  const fields = typeof raw === "string" ? raw.trim().split(/\s+/) : [];
  if (fields.length >= 3 && HOST_KEY_TYPES.includes(fields[1]) && !HOST_KEY_TYPES.includes(fields[0])) {
    problems.add(key, `starts with "${fields[0]}", as ssh-keyscan prints it`, `give the line without that first field: "${fields[1]} ${fields[2].slice(0, 12)}..."`);
    return undefined;
  }
  const [type, blob] = fields;
  if (!HOST_KEY_TYPES.includes(type) || blob === undefined || blobType(blob) !== type) {
    problems.add(
      key,
      "is not an SSH public key line",
      `give TYPE BASE64 as in the host's /etc/ssh/ssh_host_ed25519_key.pub, where TYPE is one of ${HOST_KEY_TYPES.join(", ")} (\`${scan}\` prints it after the address)`,
    );
    return undefined;
  }
  return `${type} ${blob}`;
}

/** The key type a public key blob names in its first field (uint32 length + name), or undefined. */
function blobType(blob: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) return undefined;
  const bytes = Buffer.from(blob, "base64");
  if (bytes.length < 4) return undefined;
  const length = bytes.readUInt32BE(0);
  return length > 0 && length <= 64 && bytes.length >= 4 + length ? bytes.subarray(4, 4 + length).toString("latin1") : undefined;
}

function parseRoles(raw: unknown, key: string, problems: Problems): Role[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.add(key, "no roles are given", `give at least one of ${ROLES.join(", ")}`);
    return [];
  }
  const roles: Role[] = [];
  for (const role of raw) {
    if ((ROLES as readonly unknown[]).includes(role)) roles.push(role as Role);
    else problems.add(key, `unknown role "${String(role)}"`, `use only ${ROLES.join(", ")}`);
  }
  return roles;
}

function parseLabels(raw: unknown, key: string, problems: Problems): Record<string, string> {
  if (raw === undefined) return {};
  if (!isRecord(raw) || Object.values(raw).some((v) => typeof v !== "string")) {
    problems.add(key, "is not a map of strings", "give labels as key: value strings");
    return {};
  }
  const lines = Object.entries(raw as Record<string, string>).flatMap(([name, value]) => [checkLabelKey(`${key}.${name}`, name), checkLabelValue(`${key}.${name}`, value)]);
  lines.forEach((line) => line && problems.addLine(line));
  return raw as Record<string, string>;
}

function parseTaints(raw: unknown, key: string, problems: Problems): Taint[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    problems.add(key, "is not a list", "give taints as a list of {key, value, effect}");
    return [];
  }
  return raw.flatMap((t, i) => {
    const effect = isRecord(t) ? t.effect : undefined;
    if (!isRecord(t) || typeof t.key !== "string" || !(TAINT_EFFECTS as readonly unknown[]).includes(effect)) {
      problems.add(`${key}[${i}]`, "is not a valid taint", `give {key, value, effect} with effect one of ${TAINT_EFFECTS.join(", ")}`);
      return [];
    }
    return [{ key: t.key, value: typeof t.value === "string" ? t.value : undefined, effect: effect as Taint["effect"] }];
  });
}

function reportDuplicates(hosts: (HostSpec | undefined)[], field: "name" | "address", key: string, problems: Problems): void {
  const seen = new Map<string, number>();
  hosts.forEach((h, i) => {
    if (h === undefined) return;
    const first = seen.get(h[field]);
    if (first !== undefined) {
      problems.add(`${key}[${i}].${field}`, `"${h[field]}" is also used by ${key}[${first}]`, `give every host its own ${field}`);
    } else {
      seen.set(h[field], i);
    }
  });
}
