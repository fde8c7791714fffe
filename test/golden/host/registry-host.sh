#!/usr/bin/env bash
set -euo pipefail
STEP='registry lab1'
# shellcheck disable=SC2034 # as below
CHANGED=0
CHANGED_FILES=()
fail() { echo "onprem-k8s: $STEP on $(hostname): $*" >&2; exit 1; }
# shellcheck disable=SC2034 # CHANGED is read by the steps that restart on change
put_file() {
  local dest=$1 mode=$2 new
  mkdir -p "$(dirname "$dest")"
  new=$(mktemp "$dest.new.XXXXXX")
  cat >"$new"
  chmod "$mode" "$new"
  if [[ -f $dest ]] && cmp -s "$new" "$dest"; then rm -f "$new"; return 0; fi
  if [[ -f $dest ]]; then cp -p "$dest" "$dest.bak"; else rm -f "$dest.bak"; fi
  mv -f "$new" "$dest"
  CHANGED=1
  CHANGED_FILES+=("$dest")
}
restore_files() {
  local dest
  for dest in "${CHANGED_FILES[@]}"; do
    if [[ -f $dest.bak ]]; then mv -f "$dest.bak" "$dest"; else rm -f "$dest"; fi
  done
}
retry() {
  local times=$1 pause=$2 i
  shift 2
  for ((i = 1; i <= times; i++)); do
    if "$@"; then return 0; fi
    sleep "$pause"
  done
  return 1
}

SECRETS=$(umask 077 && mktemp -d /run/onprem-k8s-secrets.XXXXXX)
trap 'rm -rf "$SECRETS"' EXIT
secret_name=
while IFS= read -r line || [[ -n $line ]]; do
  if [[ $line == "@@secret "* ]]; then
    secret_name=${line#"@@secret "}
    : >"$SECRETS/$secret_name"
  elif [[ -n $secret_name ]]; then
    printf '%s\n' "$line" >>"$SECRETS/$secret_name"
  fi
done

for binary in registry registry-htpasswd; do
  command -v "$binary" >/dev/null || fail "$binary is not installed: the registry release is missing"
done
put_file /etc/onprem-registry/pki/ca.crt 0644 <<'ONPREM_K8S_EOF'
-----BEGIN CERTIFICATE-----
MIIBfakeCERTIFICATE
-----END CERTIFICATE-----
ONPREM_K8S_EOF
put_file /etc/onprem-registry/pki/server.crt 0644 <<'ONPREM_K8S_EOF'
-----BEGIN CERTIFICATE-----
MIIBfakeCERTIFICATE
-----END CERTIFICATE-----
ONPREM_K8S_EOF
put_file /etc/onprem-registry/pki/server.key 0600 <"$SECRETS/server.key"
put_file /etc/onprem-registry/config.yml 0644 <<'ONPREM_K8S_EOF'
# Rendered by onprem-k8s; changes here are overwritten.
version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: /var/lib/onprem-registry
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: true
      age: 168h
      interval: 24h
      dryrun: false
http:
  addr: 172.31.250.11:5000
  tls:
    certificate: /etc/onprem-registry/pki/server.crt
    key: /etc/onprem-registry/pki/server.key
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: onprem-k8s registry
    path: /etc/onprem-registry/htpasswd
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
ONPREM_K8S_EOF
put_file /etc/systemd/system/onprem-registry.service 0644 <<'ONPREM_K8S_EOF'
# registry release aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
[Unit]
Description=CNCF distribution image registry (onprem-k8s)
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=/usr/local/bin/registry serve /etc/onprem-registry/config.yml
Restart=always
RestartSec=2
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
ONPREM_K8S_EOF
put_file /usr/local/sbin/onprem-registry-gc 0755 <<'ONPREM_K8S_EOF'
#!/usr/bin/env bash
# Rendered by onprem-k8s: collect the blobs no manifest refers to, while every other registry host serves.
set -euo pipefail
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 --cacert /etc/onprem-registry/pki/ca.crt "https://$1/v2/" || true; }
sleep 0
deadline=$((SECONDS + 1800))
peers=(172.31.250.12:5000)
for peer in "${peers[@]}"; do
  until [[ $(status "$peer") == 401 ]]; do
    ((SECONDS < deadline)) || { echo "registry gc: $peer does not answer; not stopping this host" >&2; exit 1; }
    sleep 10
  done
done
systemctl stop onprem-registry
trap 'systemctl start onprem-registry' EXIT
registry garbage-collect /etc/onprem-registry/config.yml
ONPREM_K8S_EOF
put_file /etc/systemd/system/onprem-registry-gc.service 0644 <<'ONPREM_K8S_EOF'
[Unit]
Description=Collect unreferenced registry blobs (onprem-k8s)

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/onprem-registry-gc
ONPREM_K8S_EOF
put_file /etc/systemd/system/onprem-registry-gc.timer 0644 <<'ONPREM_K8S_EOF'
[Unit]
Description=Collect unreferenced registry blobs on a schedule (onprem-k8s)

[Timer]
OnCalendar=Sun *-*-* 03:00:00

[Install]
WantedBy=timers.target
ONPREM_K8S_EOF
# htpasswd_line USER PASSWORD_FILE: the kept line while it matches the password, else a new hash.
htpasswd_line() {
  if [[ -f /etc/onprem-registry/htpasswd ]] && registry-htpasswd --check /etc/onprem-registry/htpasswd "$1" <"$2" 2>/dev/null; then
    grep "^$1:" /etc/onprem-registry/htpasswd
  else
    registry-htpasswd "$1" <"$2"
  fi
}
{
  htpasswd_line onprem-push "$SECRETS/push-password"
  htpasswd_line onprem-pull "$SECRETS/pull-password"
} >"$SECRETS/htpasswd"
put_file /etc/onprem-registry/htpasswd 0600 <"$SECRETS/htpasswd"
mkdir -p /var/lib/onprem-registry
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 --cacert /etc/onprem-registry/pki/ca.crt "https://$1/v2/" || true; }
serving() { [[ $(status 172.31.250.11:5000) == 401 ]]; }
systemctl daemon-reload
systemctl enable --quiet onprem-registry onprem-registry-gc.timer
systemctl restart onprem-registry-gc.timer
if ! systemctl is-active --quiet onprem-registry; then
  systemctl start onprem-registry || true
elif [[ $CHANGED == 1 ]]; then
  systemctl restart onprem-registry || true
else
  echo "registry lab1: unchanged"
  exit 0
fi
if ! retry 30 1 serving; then
  restore_files
  systemctl daemon-reload
  systemctl restart onprem-registry || true
  fail "the registry does not answer on https://172.31.250.11:5000/v2/ within 30 s: $(journalctl -u onprem-registry -n 3 --no-pager -o cat | tr '\n' ' '); its previous files are restored"
fi
echo "registry lab1: serving on :5000"
