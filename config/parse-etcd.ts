/** Parses `etcd`: tunables that roll the members when changed, and the snapshot backups. */
import { EtcdSpec } from "../spec/cluster";
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

export function parseEtcd(raw: unknown, key: string, problems: Problems): EtcdSpec {
  if (raw !== undefined && !isRecord(raw)) {
    problems.add(key, "is not an object", `give {${Object.keys(DEFAULTS).join(", ")}}`);
    return DEFAULTS;
  }
  const etcd = { ...DEFAULTS, ...(raw ?? {}) } as EtcdSpec;
  for (const field of Object.keys(DEFAULTS) as (keyof EtcdSpec)[]) {
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
  return etcd;
}
