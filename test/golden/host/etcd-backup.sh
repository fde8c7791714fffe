#!/usr/bin/env bash
set -euo pipefail
STEP='etcd backup timer'
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

put_file /usr/local/sbin/etcd-backup 0755 <<'ONPREM_K8S_EOF'
#!/usr/bin/env bash
# Rendered by onprem-k8s: snapshot the local etcd member, keep the newest 24.
set -euo pipefail
dir=/var/backups/etcd
mkdir -p "$dir"
file="$dir/snapshot-$(date -u +%Y%m%dT%H%M%SZ).db"
etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/etcd/pki/ca.crt --cert=/etc/etcd/pki/server.crt --key=/etc/etcd/pki/server.key --command-timeout=3s snapshot save "$file.part" >/dev/null
mv -f "$file.part" "$file"
find "$dir" -maxdepth 1 -name 'snapshot-*.db' | sort -r | tail -n +$((24 + 1)) | xargs -r rm -f
echo "etcd snapshot: $file"
ONPREM_K8S_EOF
put_file /etc/systemd/system/etcd-backup.service 0644 <<'ONPREM_K8S_EOF'
[Unit]
Description=etcd snapshot backup (onprem-k8s)
After=etcd.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/etcd-backup
ONPREM_K8S_EOF
put_file /etc/systemd/system/etcd-backup.timer 0644 <<'ONPREM_K8S_EOF'
[Unit]
Description=etcd snapshot every 60 minutes (onprem-k8s)

[Timer]
OnActiveSec=60min
OnUnitActiveSec=60min

[Install]
WantedBy=timers.target
ONPREM_K8S_EOF
systemctl daemon-reload
systemctl enable --quiet etcd-backup.timer
if [[ $CHANGED == 1 ]]; then systemctl restart etcd-backup.timer; else systemctl start etcd-backup.timer; fi
echo "etcd backup every 60 min into /var/backups/etcd, keeping 24"
