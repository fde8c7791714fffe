package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// A server that drops the first connections it gets, as a load balancer does whose VIP just moved.
func droppingServer(t *testing.T, drops int32) (*httptest.Server, *atomic.Int32) {
	var seen atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) <= drops {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Errorf("hijack: %v", err)
				return
			}
			_ = conn.Close()
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

// delays sets the pauses between attempts for one test.
func delays(t *testing.T, d ...time.Duration) {
	saved := retryDelays
	retryDelays = d
	t.Cleanup(func() { retryDelays = saved })
}

func get(url string) (string, error) {
	// A fresh transport per test, so no connection is kept from an earlier one.
	client := &http.Client{Transport: &http.Transport{}}
	resp, err := client.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

func TestWithRetrySendsAgainAfterDroppedConnections(t *testing.T) {
	delays(t, time.Millisecond, time.Millisecond, time.Millisecond)
	srv, seen := droppingServer(t, 2)
	body, err := withRetry(context.Background(), func() (string, error) { return get(srv.URL) })
	if err != nil || body != "ok" {
		t.Fatalf("want ok after two dropped connections, got %q, %v", body, err)
	}
	if seen.Load() != 3 {
		t.Errorf("want 3 requests, the server saw %d", seen.Load())
	}
}

func TestWithRetryGivesUpAfterItsAttempts(t *testing.T) {
	delays(t, time.Millisecond, time.Millisecond)
	srv, seen := droppingServer(t, 100)
	if _, err := withRetry(context.Background(), func() (string, error) { return get(srv.URL) }); err == nil || !transient(err) {
		t.Fatalf("want the last transient error, got %v", err)
	}
	if seen.Load() != 3 {
		t.Errorf("want 3 attempts, the server saw %d", seen.Load())
	}
}

func TestWithRetryDoesNotRepeatAnAnswer(t *testing.T) {
	delays(t, time.Millisecond)
	calls := 0
	notFound := apierrors.NewNotFound(schema.GroupResource{Resource: "ingressroutes"}, "x")
	_, err := withRetry(context.Background(), func() (int, error) { calls++; return 0, notFound })
	if !apierrors.IsNotFound(err) || calls != 1 {
		t.Fatalf("an apiserver's answer is final: want NotFound after 1 call, got %v after %d", err, calls)
	}
	calls = 0
	_, err = withRetry(context.Background(), func() (int, error) {
		calls++
		if calls == 1 {
			return 0, apierrors.NewServiceUnavailable("shutting down")
		}
		return 1, nil
	})
	if err != nil || calls != 2 {
		t.Fatalf("a stopping apiserver's 503 is sent again: got %v after %d calls", err, calls)
	}
}

func TestWithRetryStopsWhenCancelled(t *testing.T) {
	delays(t, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := 0
	_, err := withRetry(ctx, func() (int, error) { calls++; return 0, io.ErrUnexpectedEOF })
	if !errors.Is(err, io.ErrUnexpectedEOF) || calls != 1 {
		t.Fatalf("want the first error and no wait after cancel, got %v after %d calls", err, calls)
	}
}
