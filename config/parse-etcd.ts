/** Parses `etcd`: tunables that roll the members when changed, and the snapshot backups. */
import { existsSync, statSync } from "fs";
import { EtcdRestoreSpec, EtcdSpec } from "../spec/cluster";
import { Problems, isRecord } from "./problems";

const DEFAULTS: EtcdSpec = {
  heartbeatIntervalMs: 100,
  electionTimeoutMs: 1000,
  snapshotCount: 10000,
  quotaBackendBytes: 2 * 1024 ** 3,
  backupIntervalMinutes: 60,
  backupRetention: 24,
  backupDirectory: "/var/backups/etcd",
};

/**
 * @param members the etcd members' names: a snapshot on a member must name one of them.
 */
export function parseEtcd(raw: unknown, key: string, members: readonly string[], problems: Problems): EtcdSpec {
  if (raw !== undefined && !isRecord(raw)) {
    problems.add(key, "is not an object", `give {${Object.keys(DEFAULTS).join(", ")}}`);
    return DEFAULTS;
  }
  const { restore, ...settings } = raw ?? {};
  const etcd = { ...DEFAULTS, ...settings } as EtcdSpec;
  for (const field of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) {
    if (field === "backupDirectory") continue;
    const value = etcd[field];
    if (!Number.isInteger(value) || (value as number) < 1) {
      problems.add(`${key}.${field}`, `${JSON.stringify(value)} is not a positive whole number`, `give a number such as the default ${DEFAULTS[field]}`);
    }
  }
  if (etcd.electionTimeoutMs < 5 * etcd.heartbeatIntervalMs) {
    problems.add(
      `${key}.electionTimeoutMs`,
      `${etcd.electionTimeoutMs} is less than 5 heartbeats (${5 * etcd.heartbeatIntervalMs})`,
      "etcd refuses to start: make it at least five times heartbeatIntervalMs",
    );
  }
  if (typeof etcd.backupDirectory !== "string" || !etcd.backupDirectory.startsWith("/")) {
    problems.add(`${key}.backupDirectory`, `${JSON.stringify(etcd.backupDirectory)} is not an absolute path`, "give a directory such as /var/backups/etcd");
  }
  return restore === undefined ? etcd : { ...etcd, restore: parseRestore(restore, `${key}.restore`, members, problems) };
}

const RESTORE_EXAMPLE = "{id: 2026-11-30-1, snapshot: {member: HOST}} (its newest backup), {member: HOST, file: /ABS/PATH.db} or {path: LOCAL.db, sha256: HEX}";

/** `etcd.restore`: which snapshot the cluster goes back to, and the id that makes the restore run once. */
function parseRestore(raw: unknown, key: string, members: readonly string[], problems: Problems): EtcdRestoreSpec | undefined {
  if (!isRecord(raw)) {
    problems.add(key, "is not an object", `give ${RESTORE_EXAMPLE}`);
    return undefined;
  }
  const unknown = Object.keys(raw).filter((k) => k !== "id" && k !== "snapshot");
  if (unknown.length > 0) problems.add(key, `has unknown settings ${unknown.join(", ")}`, `give only id and snapshot: ${RESTORE_EXAMPLE}`);
  const { id, snapshot } = raw;
  if (typeof id !== "string" || !/^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/.test(id)) {
    problems.add(`${key}.id`, `${JSON.stringify(id)} is not a restore id`, "give lower-case letters, digits and '-' (at most 40), such as the date: the restore runs once per id");
    return undefined;
  }
  if (!isRecord(snapshot)) {
    problems.add(`${key}.snapshot`, "is not an object", `give ${RESTORE_EXAMPLE}`);
    return undefined;
  }
  if (typeof snapshot.member === "string" && snapshot.path === undefined) {
    if (!members.includes(snapshot.member)) {
      problems.add(`${key}.snapshot.member`, `${JSON.stringify(snapshot.member)} is not an etcd member`, `name a host with role etcd: ${members.join(", ")}`);
    }
    if (snapshot.file !== undefined && (typeof snapshot.file !== "string" || !snapshot.file.startsWith("/"))) {
      problems.add(`${key}.snapshot.file`, `${JSON.stringify(snapshot.file)} is not an absolute path`, "give the snapshot's path on the member, or leave file out for its newest backup");
    }
    return { id, snapshot: snapshot.file === undefined ? { member: snapshot.member } : { member: snapshot.member, file: String(snapshot.file) } };
  }
  if (typeof snapshot.path === "string" && snapshot.member === undefined) {
    if (!existsSync(snapshot.path) || !statSync(snapshot.path).isFile()) {
      problems.add(`${key}.snapshot.path`, `${JSON.stringify(snapshot.path)} is not a file on this machine`, "give the path of the snapshot to upload to every member");
    }
    if (typeof snapshot.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(snapshot.sha256)) {
      problems.add(`${key}.snapshot.sha256`, `${JSON.stringify(snapshot.sha256)} is not a sha256`, `give the file's lower-case hex sha256: sha256sum ${snapshot.path}`);
    }
    return { id, snapshot: { path: snapshot.path, sha256: String(snapshot.sha256) } };
  }
  problems.add(`${key}.snapshot`, "needs exactly one of member and path", `give ${RESTORE_EXAMPLE}`);
  return undefined;
}
