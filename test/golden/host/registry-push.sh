set -euo pipefail
ca=$(mktemp)
trap 'rm -f "$ca"' EXIT
printf '%s\n' "$REGISTRY_CA" >"$ca"
onprem-image push --archive /cache/images/docker.io_library_redis_4-alpine3.8.tar --name docker.io/library/redis:4-alpine3.8 --digest sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd \
  --to 172.31.250.11:5000,172.31.250.12:5000 --ca "$ca" --username onprem-push
