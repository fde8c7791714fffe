package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A webhook body as Alertmanager sends it (version 4), one alert firing and one resolved.
const webhook = `{
  "version": "4",
  "groupKey": "{}:{alertname=\"EtcdMemberDown\"}",
  "truncatedAlerts": 0,
  "status": "firing",
  "receiver": "platform",
  "groupLabels": {"alertname": "EtcdMemberDown"},
  "commonLabels": {"alertname": "EtcdMemberDown", "severity": "critical"},
  "commonAnnotations": {},
  "externalURL": "http://alertmanager:9093",
  "alerts": [
    {"status": "firing", "labels": {"alertname": "EtcdMemberDown", "severity": "critical", "instance": "10.0.0.11:2379"},
     "annotations": {"summary": "etcd member 10.0.0.11 is down"}, "startsAt": "2026-01-02T03:04:05.678Z",
     "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://vmalert:8880", "fingerprint": "c1a2b3"},
    {"status": "resolved", "labels": {"alertname": "NodeDiskFull", "instance": "w1"},
     "annotations": {}, "startsAt": "2026-01-02T02:00:00Z", "endsAt": "2026-01-02T03:00:00Z"}
  ]
}`

func do(h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(body)))
	return w
}

func TestReceiver(t *testing.T) {
	var out bytes.Buffer
	rc := newReceiver(&out)
	rc.now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 6, 500, time.UTC) }

	if w := do(rc, "GET", "/healthz", ""); w.Code != 200 || w.Body.String() != "ok" {
		t.Errorf("GET /healthz = %d %q, want 200 ok", w.Code, w.Body)
	}
	if w := do(rc, "GET", "/alerts", ""); w.Code != 200 || strings.TrimSpace(w.Body.String()) != "[]" {
		t.Errorf("GET /alerts before any alert = %d %q, want 200 []", w.Code, w.Body)
	}
	if w := do(rc, "POST", "/", webhook); w.Code != 200 {
		t.Fatalf("POST / = %d %q, want 200", w.Code, w.Body)
	}

	w := do(rc, "GET", "/alerts", "")
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET /alerts = %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	var got []record
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatalf("GET /alerts: %v: %s", err, w.Body)
	}
	want := `[{"receivedAt":"2026-01-02T03:04:06.0000005Z","status":"firing","alertname":"EtcdMemberDown",` +
		`"labels":{"alertname":"EtcdMemberDown","instance":"10.0.0.11:2379","severity":"critical"},` +
		`"annotations":{"summary":"etcd member 10.0.0.11 is down"},"startsAt":"2026-01-02T03:04:05.678Z","endsAt":"0001-01-01T00:00:00Z"},` +
		`{"receivedAt":"2026-01-02T03:04:06.0000005Z","status":"resolved","alertname":"NodeDiskFull",` +
		`"labels":{"alertname":"NodeDiskFull","instance":"w1"},"annotations":{},"startsAt":"2026-01-02T02:00:00Z","endsAt":"2026-01-02T03:00:00Z"}]`
	if b := strings.TrimSpace(w.Body.String()); b != want {
		t.Errorf("GET /alerts =\n%s\nwant\n%s", b, want)
	}
	wantLog := "alert-receiver: firing EtcdMemberDown {alertname=\"EtcdMemberDown\", instance=\"10.0.0.11:2379\", severity=\"critical\"}\n" +
		"alert-receiver: resolved NodeDiskFull {alertname=\"NodeDiskFull\", instance=\"w1\"}\n"
	if out.String() != wantLog {
		t.Errorf("log =\n%s\nwant\n%s", out.String(), wantLog)
	}

	// Any path takes a webhook.
	if w := do(rc, "POST", "/hooks/platform", `{"version":"4","alerts":[]}`); w.Code != 200 {
		t.Errorf("POST /hooks/platform = %d, want 200", w.Code)
	}

	for _, body := range []string{"", "not json", `{"version":"4"}`, `{"alerts":null}`, `{"alerts":{}}`, `[]`,
		`{"alerts":[{"labels":{"alertname":1}}]}`, `{"alerts":[]} trailing`} {
		if w := do(rc, "POST", "/", body); w.Code != 400 {
			t.Errorf("POST / %q = %d, want 400", body, w.Code)
		}
	}
	if w := do(rc, "GET", "/alerts", ""); !strings.HasPrefix(w.Body.String(), "[{") || strings.Count(w.Body.String(), "receivedAt") != 2 {
		t.Errorf("a refused body changed the records: %s", w.Body)
	}
	if w := do(rc, "GET", "/other", ""); w.Code != 404 {
		t.Errorf("GET /other = %d, want 404", w.Code)
	}
}

func TestReceiverKeepsTheLast1000(t *testing.T) {
	var out bytes.Buffer
	rc := newReceiver(&out)
	for i := 0; i < 1005; i++ {
		body := fmt.Sprintf(`{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"A%d"}}]}`, i)
		if w := do(rc, "POST", "/", body); w.Code != 200 {
			t.Fatalf("POST %d = %d", i, w.Code)
		}
	}
	var got []record
	if err := json.Unmarshal(do(rc, "GET", "/alerts", "").Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1000 || got[0].Alertname != "A5" || got[999].Alertname != "A1004" {
		t.Errorf("kept %d, first %s, last %s; want 1000 from A5 to A1004", len(got), got[0].Alertname, got[len(got)-1].Alertname)
	}
}
