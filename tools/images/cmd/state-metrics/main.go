// Command state-metrics exports the per-object Kubernetes state the monitoring addon's alerts read: a subset of
// kube-state-metrics' metrics under the same names, labels and meanings, so upstream's rules apply unchanged.
// kube-state-metrics itself is not served as a Go module here, so it cannot be built into the image bundle.
//
//	GET /metrics   lists pods, nodes, deployments and daemonsets from the API server and answers, in Prometheus'
//	               text format 0.0.4, sorted:
//	                 kube_pod_container_status_restarts_total{namespace,pod,uid,container}         counter
//	                 kube_pod_container_status_waiting_reason{namespace,pod,uid,container,reason}  1 per waiting container
//	                 kube_pod_container_status_last_terminated_reason{namespace,pod,uid,container,reason}
//	                 kube_deployment_spec_replicas, kube_deployment_status_replicas_available,
//	                 kube_deployment_status_replicas_updated, kube_deployment_metadata_generation,
//	                 kube_deployment_status_observed_generation{namespace,deployment}
//	                 kube_daemonset_status_desired_number_scheduled, kube_daemonset_status_number_ready,
//	                 kube_daemonset_status_number_available, kube_daemonset_status_number_misscheduled{namespace,daemonset}
//	                 kube_node_status_condition{node,condition,status}  status true, false and unknown, 1 on the node's
//	                 kube_node_spec_unschedulable{node}
//	               503 with the error when a list fails (the error is also logged on stderr)
//	GET /healthz   ok
//
// It runs in the cluster as a service account allowed to list pods, nodes, deployments.apps and daemonsets.apps in
// every namespace. Flags: -listen (:8080), -api-server (https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT),
// -token-file and -ca-file (the service account's, mounted in every pod).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

const version = "0.1.0"

const serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"

type exporter struct {
	api *apiClient
	log io.Writer // where failed scrapes are logged
}

func (e *exporter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method != http.MethodGet:
		w.Header().Set("Allow", "GET")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	case r.URL.Path == "/healthz":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, "ok")
	case r.URL.Path == "/metrics":
		s, err := e.list(r.Context())
		if err != nil {
			// A failed scrape rather than partial or stale numbers: up goes to 0 and TargetDown names the exporter.
			fmt.Fprintf(e.log, "state-metrics: %v\n", err)
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Write(exposition(families(s)))
	default:
		http.NotFound(w, r)
	}
}

// list reads the four collections at once, so a scrape waits for the slowest list rather than for their sum.
func (e *exporter) list(ctx context.Context) (state, error) {
	var s state
	errs := make([]error, 4)
	var wg sync.WaitGroup
	wg.Go(func() { s.pods, errs[0] = list[pod](ctx, e.api, "/api/v1/pods") })
	wg.Go(func() { s.nodes, errs[1] = list[node](ctx, e.api, "/api/v1/nodes") })
	wg.Go(func() { s.deployments, errs[2] = list[deployment](ctx, e.api, "/apis/apps/v1/deployments") })
	wg.Go(func() { s.daemonSets, errs[3] = list[daemonSet](ctx, e.api, "/apis/apps/v1/daemonsets") })
	wg.Wait()
	return s, errors.Join(errs...)
}

func main() {
	// The defaults are what Kubernetes gives every pod; the flags let a test, or a run outside the cluster, point
	// elsewhere.
	server := ""
	if host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT"); host != "" && port != "" {
		server = "https://" + net.JoinHostPort(host, port)
	}
	listen := flag.String("listen", ":8080", "address to serve /metrics and /healthz on")
	apiServer := flag.String("api-server", server, "the API server's URL")
	tokenFile := flag.String("token-file", serviceAccountDir+"/token", "bearer token file, read again for each request")
	caFile := flag.String("ca-file", serviceAccountDir+"/ca.crt", "PEM file of the CA the API server's certificate is checked against")
	flag.Parse()
	if flag.NArg() > 0 {
		fail(fmt.Errorf("unexpected argument %q", flag.Arg(0)))
	}
	if *apiServer == "" {
		fail(errors.New("no -api-server, and KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set"))
	}
	api, err := newAPIClient(*apiServer, *tokenFile, *caFile)
	if err != nil {
		fail(err)
	}
	srv := &http.Server{Addr: *listen, Handler: &exporter{api: api, log: os.Stderr}, ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("state-metrics %s: listing from %s, listening on %s\n", version, *apiServer, srv.Addr)
	if err := srv.ListenAndServe(); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "state-metrics: %v\n", err)
	os.Exit(1)
}
