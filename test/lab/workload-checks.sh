# shellcheck shell=bash
# The lab stack's real nodes and workloads, checked through the real VIPs: nodes Ready with their labels and taints,
# every Deployment and DaemonSet running real containers, seed 000's hello-world and its canary through Traefik behind
# the edge VIP and on NodePort 31000, seed 002's nginx -> flaskapp -> redis flow, seed 003's config and passwords,
# CoreDNS, pod traffic across flannel and from a host outside the cluster through the stack's routes; then an edge VIP
# failover, a kubelet restart and a drain under a client that keeps asking. Sourced by control-plane.test.sh, which
# defines k, on, LOG, WORK, HOSTS and EDGE_VIP; every function here is a check of its own.

NODES=(lab-e1 lab-e2 lab-w1 lab-w2)
EDGES=(lab-e1 lab-e2)
HELLO_HOST=tutum-hello-world.local

node_address() { k get node "$1" -o jsonpath='{.status.addresses[?(@.type=="InternalIP")].address}' 2>>"$LOG"; }
# hello [CURL ARGS...]: the hello-world page through Traefik behind the edge VIP.
hello() { curl -fsS --max-time 3 -H "Host: $HELLO_HOST" "$@" "http://$EDGE_VIP/" 2>>"$LOG"; }
hostname_in() { sed -n 's|.*<h3>My hostname is \(.*\)</h3>.*|\1|p'; }
variant_in() { sed -n 's|.*<p>variant: \(.*\)</p>.*|\1|p'; }

nodes_ready() { k wait --for=condition=Ready node --all --timeout=180s; }
node_names() { k get nodes -o jsonpath='{range .items[*]}{.metadata.name} {end}' 2>>"$LOG"; }
# labels_and_taints: lab-w1 is storage=ssd, the edge nodes carry the edge role label and its NoSchedule taint, the
# workers no taint.
labels_and_taints() {
  local n
  [[ $(k get node lab-w1 -o jsonpath='{.metadata.labels.storage}') == ssd ]] || return 1
  for n in "${EDGES[@]}"; do
    [[ $(k get node "$n" -o jsonpath='{.metadata.labels.node-role\.kubernetes\.io/edge}{"|"}{.spec.taints[*].key}={.spec.taints[*].effect}') == "|node-role.kubernetes.io/edge=NoSchedule" ]] || return 1
  done
  for n in lab-w1 lab-w2; do [[ -z $(k get node "$n" -o jsonpath='{.spec.taints}') ]] || return 1; done
}
# every DaemonSet has all its pods ready, and at least one.
daemonsets_ready() {
  k get daemonsets -A -o jsonpath='{range .items[*]}{.metadata.name} {.status.numberReady} {.status.desiredNumberScheduled}{"\n"}{end}' >"$WORK/ds" &&
    [[ -s $WORK/ds ]] && awk '$2 != $3 || $3 == 0 { bad = 1 } END { exit bad }' "$WORK/ds"
}
# real_containers: every running container the API reports is a running task in its node's containerd.
real_containers() {
  local node id count=0
  k get pods -A --field-selector status.phase=Running -o jsonpath='{range .items[*]}{.spec.nodeName}{range .status.containerStatuses[*]} {.containerID}{end}{"\n"}{end}' >"$WORK/containers" || return 1
  while read -r node ids; do
    on "$node" ctr -n k8s.io task ls >"$WORK/tasks.$node" || return 1
    for id in $ids; do
      id=${id#containerd://}
      grep -qE "^$id +[0-9]+ +RUNNING$" "$WORK/tasks.$node" || { echo "$node: container $id is not a running task"; return 1; }
      count=$((count + 1))
    done
  done <"$WORK/containers"
  echo "$count containers checked"
  ((count > 0))
}
# only_namespaces NODE NAMESPACE...: every pod on NODE is in one of the namespaces.
only_namespaces() {
  local node=$1 ns
  shift
  k get pods -A --field-selector "spec.nodeName=$node" -o jsonpath='{range .items[*]}{.metadata.namespace}{"\n"}{end}' >"$WORK/pods.$node" || return 1
  for ns in "$@"; do sed -i "/^$ns\$/d" "$WORK/pods.$node"; done
  [[ ! -s $WORK/pods.$node ]]
}
only_edge_daemons_on_edges() {
  local n
  for n in "${EDGES[@]}"; do only_namespaces "$n" traefik kube-flannel monitoring logging || return 1; done
}
# hello_spread: 20 requests through the edge VIP are all answered by the stable pods, by more than one of them.
hello_spread() {
  local i page
  : >"$WORK/hello-hosts"
  for ((i = 0; i < 20; i++)); do
    page=$(hello) || return 1
    [[ $(variant_in <<<"$page") == stable ]] || return 1
    hostname_in <<<"$page" >>"$WORK/hello-hosts"
  done
  (($(sort -u "$WORK/hello-hosts" | wc -l) > 1))
}
canary_on_header() {
  local i
  for ((i = 0; i < 5; i++)); do [[ $(hello -H 'X-Canary: true' | variant_in) == canary ]] || return 1; done
}
# node_port_everywhere: NodePort 31000 answers with the hello-world page on every node's address.
node_port_everywhere() {
  local n
  for n in "${NODES[@]}"; do
    curl -fsS --max-time 3 "http://$(node_address "$n"):31000/" 2>>"$LOG" | grep -q "Hello world!" || { echo "no answer on $n:31000"; return 1; }
  done
}
# visits_count_up: two requests through nginx's NodePort; flaskapp behind it counts in redis, one more each time.
visit_count() { curl -fsS --max-time 5 "http://$(node_address lab-w2):$1/" 2>>"$LOG" | sed -n 's/.*该页面已被访问 \([0-9]*\) 次。.*/\1/p'; }
visits_count_up() {
  local port first second
  port=$(k -n docker2istio get service nginx -o jsonpath='{.spec.ports[0].nodePort}') || return 1
  first=$(visit_count "$port") && second=$(visit_count "$port") || return 1
  echo "visits: $first, then $second"
  [[ -n $first && $second == $((first + 1)) ]]
}
# go2cloud_config: the stand-in read config.yaml from the Secret's items mount and has both passwords.
go2cloud_config() {
  curl -fsS --max-time 5 "http://$(node_address lab-w1):30020/config" >"$WORK/go2cloud-config" 2>>"$LOG" || return 1
  cat "$WORK/go2cloud-config"
  grep -q 'DB_NAME.*go2cloud' "$WORK/go2cloud-config" && grep -q 'HTTP_LISTEN_PORT.*8088' "$WORK/go2cloud-config" &&
    grep -Eq 'DB_PASSWORD"?[:=] *"?set' "$WORK/go2cloud-config" && grep -Eq 'REDIS_PASSWORD"?[:=] *"?set' "$WORK/go2cloud-config"
}
# py POD CODE: runs Python in flaskapp's pod (its image has python3; the others have no shell tools).
py() { k -n docker2istio exec deploy/flaskapp -- python3 -c "$1"; }
dns_resolves() {
  local want
  want=$(k -n docker2istio get service redis -o jsonpath='{.spec.clusterIP}') || return 1
  [[ -n $want && $(py "import socket; print(socket.gethostbyname('redis.docker2istio.svc.cluster.local'))") == "$want" &&
    $(py "import socket; print(socket.gethostbyname('redis'))") == "$want" ]]
}
# across_flannel: from flaskapp's pod, each Traefik pod's own address (on the edge nodes, other nodes than the
# workers flaskapp runs on) answers on its web port.
across_flannel() {
  local from ip
  from=$(k -n docker2istio get pods -l app=flaskapp -o jsonpath='{.items[0].spec.nodeName}') || return 1
  for ip in $(k -n traefik get pods -o jsonpath='{.items[*].status.podIP}'); do
    py "import urllib.request, urllib.error
try:
    urllib.request.urlopen('http://$ip:8000/', timeout=3)
except urllib.error.HTTPError as e:
    print('$ip answered', e.code)" | grep -q "answered 404" || { echo "flaskapp on $from cannot reach Traefik at $ip"; return 1; }
  done
}
# outside_route HOST: HOST, a lab host that is no node, routes each node's pod subnet through that node as the stack's
# podRoutes output says, reaches a hello-world pod's own address, and drops the routes again.
outside_route() {
  local host=$1 routes pod rc=0
  routes=$(pulumi stack output podRoutes --json --stack "$STACK" | node -e '
    const routes = JSON.parse(require("fs").readFileSync(0, "utf8"));
    for (const r of routes) console.log(r.subnet, r.via);') || return 1
  [[ $(wc -l <<<"$routes") == "${#NODES[@]}" ]] || { echo "podRoutes: $routes"; return 1; }
  pod=$(k -n cloud get pods -l app=tutum-hello-world -o jsonpath='{.items[0].status.podIP}') || return 1
  echo "$routes" | while read -r subnet via; do on "$host" ip route replace "$subnet" via "$via"; done
  on "$host" curl -fsS --max-time 5 "http://$pod/" | grep -q "Hello world!" || rc=1
  echo "$routes" | while read -r subnet via; do on "$host" ip route del "$subnet" via "$via"; done
  return "$rc"
}

# Polls hello-world through the edge VIP every 200 ms until stopped (at most 3000 times); one line per failure, and
# one per reset that its retry got past.
start_hello_poller() {
  : >"$WORK/hello-failures"
  : >"$WORK/hello-resets"
  echo 0 >"$WORK/hello-polls"
  (for ((i = 1; i <= 3000; i++)); do
    # A poll cut by the VIP's move (a reset in flight on the old holder) is retried once, as the API poller does.
    err=$(hello_poll) || {
      if [[ $err == *"reset by peer"* || $err == *"Empty reply"* ]]; then
        echo "poll $i at $(date +%T.%N): $err" >>"$WORK/hello-resets"
        err=$(hello_poll) || echo "poll $i at $(date +%T.%N): $err" >>"$WORK/hello-failures"
      else
        echo "poll $i at $(date +%T.%N): $err" >>"$WORK/hello-failures"
      fi
    }
    echo "$i" >"$WORK/hello-polls"
    sleep 0.2
  done) &
  hello_poller=$!
}
# hello_poll: one request for the hello-world page through the edge VIP; curl's error on stdout when it fails.
hello_poll() { curl -fsS --max-time 3 -H "Host: $HELLO_HOST" -o /dev/null "http://$EDGE_VIP/" 2>&1; }
stop_hello_poller() { kill "$hello_poller" 2>/dev/null; wait "$hello_poller" 2>/dev/null || true; }
hello_counts() { echo "$(cat "$WORK/hello-polls") polls, $(wc -l <"$WORK/hello-failures") failed, $(wc -l <"$WORK/hello-resets") reset and retried"; }

# running_tasks NODE: the node's running containers, sorted.
running_tasks() { on "$1" ctr -n k8s.io task ls | awk '$3 == "RUNNING" { print $1 }' | sort; }
kubelet_started() { on "$1" systemctl show -p ActiveEnterTimestampMonotonic --value kubelet; }
