package main

import (
	"bytes"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The lists a fake API server answers, by path; pods come in two pages.
const (
	podsPage1 = `{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"100","continue":"page-2"},"items":[
  {"metadata":{"namespace":"shop","name":"web-7d4b9c","uid":"u-1"},
   "status":{"phase":"Running",
     "initContainerStatuses":[{"name":"init","restartCount":5,"state":{"terminated":{"reason":"Completed"}}}],
     "containerStatuses":[
       {"name":"app","restartCount":3,"ready":false,
        "state":{"waiting":{"reason":"CrashLoopBackOff","message":"back-off 40s restarting failed container"}},
        "lastState":{"terminated":{"exitCode":1,"reason":"Error"}}},
       {"name":"sidecar","restartCount":0,"ready":true,"state":{"running":{"startedAt":"2026-01-02T03:04:05Z"}},"lastState":{}}]}}]}`
	podsPage2 = `{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"100"},"items":[
  {"metadata":{"namespace":"default","name":"odd","uid":"u-2"},
   "status":{"containerStatuses":[
     {"name":"c","restartCount":1,"state":{"waiting":{}},"lastState":{"terminated":{"reason":"say \"hi\"\\back\nline"}}}]}},
  {"metadata":{"namespace":"default","name":"pending","uid":"u-3"},"status":{"phase":"Pending"}}]}`
	deployments = `{"kind":"DeploymentList","metadata":{},"items":[
  {"metadata":{"namespace":"shop","name":"web","generation":4},"spec":{"replicas":2},
   "status":{"observedGeneration":4,"replicas":2,"updatedReplicas":2,"readyReplicas":1,"availableReplicas":1,"unavailableReplicas":1}},
  {"metadata":{"namespace":"kube-system","name":"bare","generation":1},"spec":{},"status":{}}]}`
	daemonSets = `{"kind":"DaemonSetList","metadata":{},"items":[
  {"metadata":{"namespace":"kube-flannel","name":"kube-flannel-ds","generation":2},
   "status":{"currentNumberScheduled":4,"desiredNumberScheduled":4,"numberReady":3,"numberAvailable":3,"numberMisscheduled":0,"observedGeneration":2}}]}`
	nodes = `{"kind":"NodeList","metadata":{},"items":[
  {"metadata":{"name":"w2"},"spec":{},"status":{"conditions":[{"type":"Ready","status":"True"}]}},
  {"metadata":{"name":"w1"},"spec":{"unschedulable":true},"status":{"conditions":[
    {"type":"MemoryPressure","status":"False"},{"type":"DiskPressure","status":"True"},{"type":"Ready","status":"False"}]}}]}`
)

// The exposition of those lists, exactly.
const want = `# HELP kube_daemonset_status_desired_number_scheduled The number of nodes that should be running the daemon pod.
# TYPE kube_daemonset_status_desired_number_scheduled gauge
kube_daemonset_status_desired_number_scheduled{namespace="kube-flannel",daemonset="kube-flannel-ds"} 4
# HELP kube_daemonset_status_number_available The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available
# TYPE kube_daemonset_status_number_available gauge
kube_daemonset_status_number_available{namespace="kube-flannel",daemonset="kube-flannel-ds"} 3
# HELP kube_daemonset_status_number_misscheduled The number of nodes running a daemon pod but are not supposed to.
# TYPE kube_daemonset_status_number_misscheduled gauge
kube_daemonset_status_number_misscheduled{namespace="kube-flannel",daemonset="kube-flannel-ds"} 0
# HELP kube_daemonset_status_number_ready The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.
# TYPE kube_daemonset_status_number_ready gauge
kube_daemonset_status_number_ready{namespace="kube-flannel",daemonset="kube-flannel-ds"} 3
# HELP kube_deployment_metadata_generation Sequence number representing a specific generation of the desired state.
# TYPE kube_deployment_metadata_generation gauge
kube_deployment_metadata_generation{namespace="kube-system",deployment="bare"} 1
kube_deployment_metadata_generation{namespace="shop",deployment="web"} 4
# HELP kube_deployment_spec_replicas Number of desired pods for a deployment.
# TYPE kube_deployment_spec_replicas gauge
kube_deployment_spec_replicas{namespace="kube-system",deployment="bare"} 1
kube_deployment_spec_replicas{namespace="shop",deployment="web"} 2
# HELP kube_deployment_status_observed_generation The generation observed by the deployment controller.
# TYPE kube_deployment_status_observed_generation gauge
kube_deployment_status_observed_generation{namespace="kube-system",deployment="bare"} 0
kube_deployment_status_observed_generation{namespace="shop",deployment="web"} 4
# HELP kube_deployment_status_replicas_available The number of available replicas per deployment.
# TYPE kube_deployment_status_replicas_available gauge
kube_deployment_status_replicas_available{namespace="kube-system",deployment="bare"} 0
kube_deployment_status_replicas_available{namespace="shop",deployment="web"} 1
# HELP kube_deployment_status_replicas_updated The number of updated replicas per deployment.
# TYPE kube_deployment_status_replicas_updated gauge
kube_deployment_status_replicas_updated{namespace="kube-system",deployment="bare"} 0
kube_deployment_status_replicas_updated{namespace="shop",deployment="web"} 2
# HELP kube_node_spec_unschedulable Whether a node can schedule new pods.
# TYPE kube_node_spec_unschedulable gauge
kube_node_spec_unschedulable{node="w1"} 1
kube_node_spec_unschedulable{node="w2"} 0
# HELP kube_node_status_condition The condition of a cluster node.
# TYPE kube_node_status_condition gauge
kube_node_status_condition{node="w1",condition="DiskPressure",status="false"} 0
kube_node_status_condition{node="w1",condition="DiskPressure",status="true"} 1
kube_node_status_condition{node="w1",condition="DiskPressure",status="unknown"} 0
kube_node_status_condition{node="w1",condition="MemoryPressure",status="false"} 1
kube_node_status_condition{node="w1",condition="MemoryPressure",status="true"} 0
kube_node_status_condition{node="w1",condition="MemoryPressure",status="unknown"} 0
kube_node_status_condition{node="w1",condition="Ready",status="false"} 1
kube_node_status_condition{node="w1",condition="Ready",status="true"} 0
kube_node_status_condition{node="w1",condition="Ready",status="unknown"} 0
kube_node_status_condition{node="w2",condition="Ready",status="false"} 0
kube_node_status_condition{node="w2",condition="Ready",status="true"} 1
kube_node_status_condition{node="w2",condition="Ready",status="unknown"} 0
# HELP kube_pod_container_status_last_terminated_reason Describes the last reason the container was in terminated state.
# TYPE kube_pod_container_status_last_terminated_reason gauge
kube_pod_container_status_last_terminated_reason{namespace="default",pod="odd",uid="u-2",container="c",reason="say \"hi\"\\back\nline"} 1
kube_pod_container_status_last_terminated_reason{namespace="shop",pod="web-7d4b9c",uid="u-1",container="app",reason="Error"} 1
# HELP kube_pod_container_status_restarts_total The number of container restarts per container.
# TYPE kube_pod_container_status_restarts_total counter
kube_pod_container_status_restarts_total{namespace="default",pod="odd",uid="u-2",container="c"} 1
kube_pod_container_status_restarts_total{namespace="shop",pod="web-7d4b9c",uid="u-1",container="app"} 3
kube_pod_container_status_restarts_total{namespace="shop",pod="web-7d4b9c",uid="u-1",container="sidecar"} 0
# HELP kube_pod_container_status_waiting_reason Describes the reason the container is currently in waiting state.
# TYPE kube_pod_container_status_waiting_reason gauge
kube_pod_container_status_waiting_reason{namespace="default",pod="odd",uid="u-2",container="c",reason=""} 1
kube_pod_container_status_waiting_reason{namespace="shop",pod="web-7d4b9c",uid="u-1",container="app",reason="CrashLoopBackOff"} 1
`

// fakeAPI answers the four lists like an API server, checking the token and query of each request; fail makes
// one path answer 500.
type fakeAPI struct {
	t     *testing.T
	token string // the bearer token a request must carry
	fail  string

	mu       sync.Mutex
	requests []string // path?query of each request, in order
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.URL.RequestURI())
	token := f.token
	f.mu.Unlock()
	if got := r.Header.Get("Authorization"); got != "Bearer "+token {
		http.Error(w, `{"kind":"Status","message":"Unauthorized"}`, http.StatusUnauthorized)
		return
	}
	if r.URL.Path == f.fail {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"etcdserver: request timed out","code":500}`)
		return
	}
	q := r.URL.Query()
	first := q.Get("resourceVersion") == "0" && q.Get("limit") == "500" && !q.Has("continue")
	var body string
	switch {
	case r.URL.Path == "/api/v1/pods" && first:
		body = podsPage1
	case r.URL.Path == "/api/v1/pods" && q.Get("continue") == "page-2" && q.Get("limit") == "500" && !q.Has("resourceVersion"):
		body = podsPage2
	case r.URL.Path == "/api/v1/nodes" && first:
		body = nodes
	case r.URL.Path == "/apis/apps/v1/deployments" && first:
		body = deployments
	case r.URL.Path == "/apis/apps/v1/daemonsets" && first:
		body = daemonSets
	default:
		f.t.Errorf("unexpected request %s", r.URL.RequestURI())
		http.Error(w, `{"kind":"Status","message":"unexpected request"}`, http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, body)
}

// setup starts a TLS fake API server and an exporter pointed at it as main's flags would, with the token in a file.
func setup(t *testing.T, fail string) (*exporter, *fakeAPI, string, *bytes.Buffer) {
	api := &fakeAPI{t: t, token: "token-1", fail: fail}
	srv := httptest.NewUnstartedServer(api)
	// Connections the client dialed for the parallel lists and left unused are cut when the server closes; the
	// server would log their broken handshakes.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.crt")
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tokenFile, []byte("token-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	client, err := newAPIClient(srv.URL, tokenFile, caFile)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	return &exporter{api: client, log: &logged}, api, tokenFile, &logged
}

func get(h http.Handler, path string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	return w
}

func TestMetrics(t *testing.T) {
	e, api, tokenFile, logged := setup(t, "")

	w := get(e, "/metrics")
	if w.Code != 200 {
		t.Fatalf("GET /metrics = %d %q", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if got := w.Body.String(); got != want {
		t.Errorf("GET /metrics:\n%s\nwant:\n%s", got, want)
	}
	if len(api.requests) != 5 {
		t.Errorf("requests = %q, want the 4 lists and the second page of pods", api.requests)
	}
	if logged.Len() != 0 {
		t.Errorf("logged %q on a good scrape", logged)
	}

	// The token is read for every request: a rotated token is used at the next scrape.
	api.mu.Lock()
	api.token = "token-2"
	api.mu.Unlock()
	if err := os.WriteFile(tokenFile, []byte("token-2"), 0o600); err != nil {
		t.Fatal(err)
	}
	if w := get(e, "/metrics"); w.Code != 200 || w.Body.String() != want {
		t.Errorf("GET /metrics after the token rotated = %d %q", w.Code, w.Body)
	}
}

func TestListFailure(t *testing.T) {
	e, _, _, logged := setup(t, "/apis/apps/v1/daemonsets")

	w := get(e, "/metrics")
	wantErr := "list /apis/apps/v1/daemonsets: 500 Internal Server Error: etcdserver: request timed out"
	if w.Code != http.StatusServiceUnavailable || strings.TrimSpace(w.Body.String()) != wantErr {
		t.Errorf("GET /metrics with a failing list = %d %q, want 503 %q", w.Code, w.Body, wantErr)
	}
	if logged.String() != "state-metrics: "+wantErr+"\n" {
		t.Errorf("logged %q", logged)
	}
}

func TestHealthz(t *testing.T) {
	e, api, _, _ := setup(t, "")
	if w := get(e, "/healthz"); w.Code != 200 || w.Body.String() != "ok" {
		t.Errorf("GET /healthz = %d %q, want 200 ok", w.Code, w.Body)
	}
	if w := get(e, "/nothing"); w.Code != 404 {
		t.Errorf("GET /nothing = %d, want 404", w.Code)
	}
	w := httptest.NewRecorder()
	e.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/metrics", nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics = %d, want 405", w.Code)
	}
	if len(api.requests) != 0 {
		t.Errorf("requests = %q, want none", api.requests)
	}
}
