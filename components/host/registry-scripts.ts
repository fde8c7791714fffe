/** Renders the scripts of the site's registry hosts (CNCF distribution): TLS, htpasswd accounts, storage, collection. */
import { FileSpec, READ_SECRETS, putFiles, releaseComment, script, secretFile, shellQuote } from "./bash";
import { REGISTRY_PULL_USER, REGISTRY_PUSH_USER } from "../../spec/image-registry";

const REGISTRY_DIR = "/etc/onprem-registry";
const PKI = `${REGISTRY_DIR}/pki`;
const CONFIG = `${REGISTRY_DIR}/config.yml`;
const HTPASSWD = `${REGISTRY_DIR}/htpasswd`;
const UNIT = "/etc/systemd/system/onprem-registry.service";
const GC_SCRIPT = "/usr/local/sbin/onprem-registry-gc";
const GC_SERVICE = "/etc/systemd/system/onprem-registry-gc.service";
const GC_TIMER = "/etc/systemd/system/onprem-registry-gc.timer";
/** How long a changed registry may take to answer again before its previous files come back. */
export const REGISTRY_WAIT_SECONDS = 30;
/** How long a collection waits for every other registry host to answer before it stops its own. */
const GC_PEER_WAIT_SECONDS = 1800;
/** The hosts collect in turns this far apart, so they are never all stopped at once. */
const GC_TURN_SECONDS = 600;

/** The secrets a registry step reads from its stdin. */
export const REGISTRY_SECRETS = { serverKey: "server.key", pushPassword: "push-password", pullPassword: "pull-password" } as const;

export interface RegistryHostArgs {
  /** The host's name, for messages. */
  readonly host: string;
  /**
   * The host's own address, the only one the registry listens on: a registry host that also carries the load
   * balancer has HAProxy on the VIP and the same port.
   */
  readonly address: string;
  /** The host's place among the registry hosts, from 0: its turn to collect garbage. */
  readonly turn: number;
  /** `ADDRESS:PORT` of every other registry host: a collection waits until they all answer. */
  readonly peers: readonly string[];
  readonly port: number;
  readonly storageDirectory: string;
  /** systemd OnCalendar of the collection. */
  readonly garbageCollection: string;
  readonly caCert: string;
  readonly serverCert: string;
  /** The registry release's sha256: a new release restarts the registry. */
  readonly releaseSha256: string;
}

/** distribution's configuration: TLS, htpasswd, filesystem storage with deletes (for collection) and upload purging. */
export function renderRegistryConfig(a: Pick<RegistryHostArgs, "address" | "port" | "storageDirectory">): string {
  return `# Rendered by onprem-k8s; changes here are overwritten.
version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: ${a.storageDirectory}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: true
      age: 168h
      interval: 24h
      dryrun: false
http:
  addr: ${a.address}:${a.port}
  tls:
    certificate: ${PKI}/server.crt
    key: ${PKI}/server.key
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: onprem-k8s registry
    path: ${HTPASSWD}
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
`;
}

export function renderRegistryUnit(releaseSha256: string): string {
  return `${releaseComment("registry", releaseSha256)}[Unit]
Description=CNCF distribution image registry (onprem-k8s)
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=/usr/local/bin/registry serve ${CONFIG}
Restart=always
RestartSec=2
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
`;
}

/** `code ADDRESS:PORT`: the HTTP status of /v2/ without credentials; a serving registry answers 401. */
const STATUS_FUNCTION = `status() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 --cacert ${PKI}/ca.crt "https://$1/v2/" || true; }`;

/**
 * Collection stops the registry (distribution must not take pushes while it marks and sweeps), so the hosts take
 * turns, and each waits until every other one answers first: pulls through the VIP never find all of them stopped.
 */
export function renderRegistryGc(a: Pick<RegistryHostArgs, "turn" | "peers" | "garbageCollection">): { script: string; service: string; timer: string } {
  const gc = `#!/usr/bin/env bash
# Rendered by onprem-k8s: collect the blobs no manifest refers to, while every other registry host serves.
set -euo pipefail
${STATUS_FUNCTION}
sleep ${a.turn * GC_TURN_SECONDS}
deadline=$((SECONDS + ${GC_PEER_WAIT_SECONDS}))
peers=(${a.peers.join(" ")})
for peer in "\${peers[@]}"; do
  until [[ $(status "$peer") == 401 ]]; do
    ((SECONDS < deadline)) || { echo "registry gc: $peer does not answer; not stopping this host" >&2; exit 1; }
    sleep 10
  done
done
systemctl stop onprem-registry
trap 'systemctl start onprem-registry' EXIT
registry garbage-collect ${CONFIG}
`;
  const service = `[Unit]
Description=Collect unreferenced registry blobs (onprem-k8s)

[Service]
Type=oneshot
ExecStart=${GC_SCRIPT}
`;
  const timer = `[Unit]
Description=Collect unreferenced registry blobs on a schedule (onprem-k8s)

[Timer]
OnCalendar=${a.garbageCollection}

[Install]
WantedBy=timers.target
`;
  return { script: gc, service, timer };
}

/**
 * Puts the registry's certificates, accounts, config and units in place; then a stopped registry starts, a changed
 * one restarts, and either must answer on /v2/ (401 without credentials) or its previous files come back. A password
 * is hashed on the host with a fresh salt only when the kept hash no longer matches it.
 */
export function renderRegistryHost(a: RegistryHostArgs): string {
  const gc = renderRegistryGc(a);
  const files: FileSpec[] = [
    [`${PKI}/ca.crt`, "0644", a.caCert],
    [`${PKI}/server.crt`, "0644", a.serverCert],
    [`${PKI}/server.key`, "0600", secretFile(REGISTRY_SECRETS.serverKey)],
    [CONFIG, "0644", renderRegistryConfig(a)],
    [UNIT, "0644", renderRegistryUnit(a.releaseSha256)],
    [GC_SCRIPT, "0755", gc.script],
    [GC_SERVICE, "0644", gc.service],
    [GC_TIMER, "0644", gc.timer],
  ];
  return script(
    `registry ${a.host}`,
    READ_SECRETS,
    `for binary in registry registry-htpasswd; do
  command -v "$binary" >/dev/null || fail "$binary is not installed: the registry release is missing"
done
${putFiles(files)}
# htpasswd_line USER PASSWORD_FILE: the kept line while it matches the password, else a new hash.
htpasswd_line() {
  if [[ -f ${HTPASSWD} ]] && registry-htpasswd --check ${HTPASSWD} "$1" <"$2" 2>/dev/null; then
    grep "^$1:" ${HTPASSWD}
  else
    registry-htpasswd "$1" <"$2"
  fi
}
{
  htpasswd_line ${REGISTRY_PUSH_USER} "$SECRETS/${REGISTRY_SECRETS.pushPassword}"
  htpasswd_line ${REGISTRY_PULL_USER} "$SECRETS/${REGISTRY_SECRETS.pullPassword}"
} >"$SECRETS/htpasswd"
put_file ${HTPASSWD} 0600 <"$SECRETS/htpasswd"
mkdir -p ${shellQuote(a.storageDirectory)}
${STATUS_FUNCTION}
serving() { [[ $(status ${a.address}:${a.port}) == 401 ]]; }
systemctl daemon-reload
systemctl enable --quiet onprem-registry onprem-registry-gc.timer
systemctl restart onprem-registry-gc.timer
if ! systemctl is-active --quiet onprem-registry; then
  systemctl start onprem-registry || true
elif [[ $CHANGED == 1 ]]; then
  systemctl restart onprem-registry || true
else
  echo "registry ${a.host}: unchanged"
  exit 0
fi
if ! retry ${REGISTRY_WAIT_SECONDS} 1 serving; then
  restore_files
  systemctl daemon-reload
  systemctl restart onprem-registry || true
  fail "the registry does not answer on https://${a.address}:${a.port}/v2/ within ${REGISTRY_WAIT_SECONDS} s: $(journalctl -u onprem-registry -n 3 --no-pager -o cat | tr '\\n' ' '); its previous files are restored"
fi
echo "registry ${a.host}: serving on :${a.port}"`,
  );
}

/**
 * Stops the registry and removes its units, config, accounts and images; the binaries belong to their artifact step.
 * Without `storageDirectory` (a reset, which knows no config) the images' directory is read from the registry's config.
 */
export function renderRegistryRemove(host: string, storageDirectory?: string): string {
  const storage = storageDirectory === undefined ? `storage=$(awk '$1 == "rootdirectory:" { print $2 }' ${CONFIG} 2>/dev/null || true)` : `storage=${shellQuote(storageDirectory)}`;
  return script(
    `remove registry ${host}`,
    `${storage}
systemctl disable --now onprem-registry-gc.timer onprem-registry 2>/dev/null || true
rm -rf ${UNIT} ${GC_SERVICE} ${GC_TIMER} ${GC_SCRIPT} ${REGISTRY_DIR}
if [[ -n $storage ]]; then rm -rf "$storage"; fi
systemctl daemon-reload
echo "registry ${host} removed"`,
  );
}
