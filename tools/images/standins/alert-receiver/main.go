// Command alert-receiver stands in for the company's alert platform: the lab's Alertmanager sends its webhooks here.
// It listens on :8080 (PORT overrides the port, for running it outside a container).
//
//	POST to any path  an Alertmanager webhook payload ({"version":"4","status":…,"alerts":[…],…}); every alert of it
//	                  is recorded in order and logged as one line on stdout, `alert-receiver: firing NAME {labels}`;
//	                  200, or 400 for a body that is not such a payload
//	GET /alerts       the JSON array of the recorded alerts, oldest first ([] when none); the last 1000 are kept
//	GET /healthz      ok
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxRecords is how many alerts the receiver keeps; older ones are dropped first.
const maxRecords = 1000

// maxBody bounds a webhook body; Alertmanager's are far smaller.
const maxBody = 8 << 20

// payload is the part of Alertmanager's webhook body the receiver reads.
type payload struct {
	Alerts *[]struct {
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
		StartsAt    string            `json:"startsAt"`
		EndsAt      string            `json:"endsAt"`
	} `json:"alerts"`
}

// record is one received alert, as GET /alerts shows it.
type record struct {
	ReceivedAt  string            `json:"receivedAt"`
	Status      string            `json:"status"`
	Alertname   string            `json:"alertname"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    string            `json:"startsAt"`
	EndsAt      string            `json:"endsAt"`
}

type receiver struct {
	mu      sync.Mutex
	records []record
	out     io.Writer        // where the one line per alert goes
	now     func() time.Time // the clock, replaceable in tests
}

func newReceiver(out io.Writer) *receiver {
	return &receiver{records: []record{}, out: out, now: time.Now}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/healthz":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, "ok")
	case r.Method == http.MethodGet && r.URL.Path == "/alerts":
		rc.mu.Lock()
		b, err := json.Marshal(rc.records)
		rc.mu.Unlock()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(append(b, '\n'))
	case r.Method == http.MethodPost:
		rc.receive(w, r)
	case r.Method == http.MethodGet:
		http.NotFound(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// receive records the alerts of one webhook payload.
func (rc *receiver) receive(w http.ResponseWriter, r *http.Request) {
	var p payload
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(&p); err != nil {
		http.Error(w, "not an Alertmanager webhook payload: "+err.Error(), http.StatusBadRequest)
		return
	}
	if dec.More() {
		http.Error(w, "not an Alertmanager webhook payload: more than one JSON value", http.StatusBadRequest)
		return
	}
	if p.Alerts == nil {
		http.Error(w, "not an Alertmanager webhook payload: no alerts array", http.StatusBadRequest)
		return
	}
	at := rc.now().UTC().Format(time.RFC3339Nano)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, a := range *p.Alerts {
		if a.Labels == nil {
			a.Labels = map[string]string{}
		}
		if a.Annotations == nil {
			a.Annotations = map[string]string{}
		}
		rc.records = append(rc.records, record{
			ReceivedAt: at, Status: a.Status, Alertname: a.Labels["alertname"], Labels: a.Labels,
			Annotations: a.Annotations, StartsAt: a.StartsAt, EndsAt: a.EndsAt,
		})
		fmt.Fprintf(rc.out, "alert-receiver: %s %s %s\n", a.Status, a.Labels["alertname"], labelSet(a.Labels))
	}
	if n := len(rc.records); n > maxRecords {
		rc.records = append([]record{}, rc.records[n-maxRecords:]...)
	}
}

// labelSet writes labels as Prometheus does, sorted: {alertname="X", instance="y"}.
func labelSet(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strconv.Quote(labels[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	srv := &http.Server{Addr: ":" + port, Handler: newReceiver(os.Stdout), ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("alert-receiver: listening on %s\n", srv.Addr)
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintf(os.Stderr, "alert-receiver: %v\n", err)
		os.Exit(1)
	}
}
