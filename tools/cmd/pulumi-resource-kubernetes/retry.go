package main

// Every request this provider sends is idempotent (server-side apply, get, delete), so one that a
// broken connection cut off is sent again over a fresh one. That is what happens to every connection
// held through a VIP when the VIP moves to another load balancer.

import (
	"context"
	"errors"
	"net"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// retryDelays are the pauses between attempts: about 15 s in all, several times what a VRRP
// failover takes (1.5-3 s measured on the lab).
var retryDelays = []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 7 * time.Second}

// transient reports an error of the connection or of an apiserver that is stopping, not of the
// request: the same request may succeed when sent again.
func transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if utilnet.IsConnectionReset(err) || utilnet.IsConnectionRefused(err) || utilnet.IsProbableEOF(err) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return apierrors.IsServiceUnavailable(err) || apierrors.IsTooManyRequests(err) || apierrors.IsServerTimeout(err)
}

// withRetry runs an idempotent request, again after each transient error, until it succeeds,
// fails for another reason, or the attempts run out.
func withRetry[T any](ctx context.Context, request func() (T, error)) (T, error) {
	for attempt := 0; ; attempt++ {
		v, err := request()
		if !transient(err) || attempt == len(retryDelays) {
			return v, err
		}
		select {
		case <-ctx.Done():
			return v, err
		case <-time.After(retryDelays[attempt]):
		}
	}
}
