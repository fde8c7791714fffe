package main

// Readiness waits after apply and delete. Only the kinds whose readiness later objects depend on
// are awaited: Deployments (rollout done) and CRDs (their kinds served).

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

const (
	skipAwaitAnnotation = "pulumi.com/skipAwait"
	timeoutAnnotation   = "pulumi.com/timeoutSeconds"
	defaultAwait        = 10 * time.Minute
	defaultDeleteWait   = 5 * time.Minute
)

// pollInterval is a variable so tests can make waits fast.
var pollInterval = 2 * time.Second

// readiness returns whether obj is ready and, if not, what it waits for; nil for kinds that are
// ready as soon as the API server accepted them.
func readiness(gvk schema.GroupVersionKind) func(*unstructured.Unstructured) (bool, string) {
	switch {
	case gvk.Group == "apps" && gvk.Kind == "Deployment":
		return deploymentReady
	case gvk.Group == "apiextensions.k8s.io" && gvk.Kind == "CustomResourceDefinition":
		return crdReady
	}
	return nil
}

func deploymentReady(o *unstructured.Unstructured) (bool, string) {
	replicas, found, _ := unstructured.NestedInt64(o.Object, "spec", "replicas")
	if !found {
		replicas = 1
	}
	observed, _, _ := unstructured.NestedInt64(o.Object, "status", "observedGeneration")
	if observed < o.GetGeneration() {
		return false, "waiting for the Deployment controller to observe the new generation"
	}
	updated, _, _ := unstructured.NestedInt64(o.Object, "status", "updatedReplicas")
	available, _, _ := unstructured.NestedInt64(o.Object, "status", "availableReplicas")
	if updated < replicas || available != replicas {
		return false, fmt.Sprintf("%d/%d replicas updated, %d available", updated, replicas, available)
	}
	return true, ""
}

func crdReady(o *unstructured.Unstructured) (bool, string) {
	conds, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && m["type"] == "Established" && m["status"] == "True" {
			return true, ""
		}
	}
	return false, "waiting for the CustomResourceDefinition to be established"
}

// awaitTimeout: the resource's customTimeouts, else its timeoutSeconds annotation, else def.
func awaitTimeout(reqSeconds float64, o *unstructured.Unstructured, def time.Duration) time.Duration {
	if reqSeconds > 0 {
		return time.Duration(reqSeconds * float64(time.Second))
	}
	if s, err := strconv.Atoi(o.GetAnnotations()[timeoutAnnotation]); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return def
}

var errTimeout = errors.New("timed out")

// awaitReady polls the object until its kind's readiness holds. It returns the last object seen,
// so a timeout can still report the live state.
func (p *provider) awaitReady(ctx context.Context, c cluster, urn string, gvk schema.GroupVersionKind,
	live *unstructured.Unstructured, timeout time.Duration,
) (*unstructured.Unstructured, error) {
	ready := readiness(gvk)
	if ready == nil || live.GetAnnotations()[skipAwaitAnnotation] == "true" {
		return live, nil
	}
	deadline := time.Now().Add(timeout)
	for {
		ok, why := ready(live)
		if ok {
			p.status(ctx, urn, "")
			return live, nil
		}
		p.status(ctx, urn, why)
		if time.Now().After(deadline) {
			return live, fmt.Errorf("%w after %s: %s %q is not ready: %s (annotate it with %s: \"true\" to not wait)",
				errTimeout, timeout, gvk.Kind, live.GetName(), why, skipAwaitAnnotation)
		}
		select {
		case <-ctx.Done():
			return live, ctx.Err()
		case <-time.After(pollInterval):
		}
		next, err := c.get(ctx, gvk, live.GetNamespace(), live.GetName())
		if err != nil {
			return live, err
		}
		live = next
	}
}

// awaitGone polls until the object no longer exists (finalizers and cascading deletes done).
func (p *provider) awaitGone(ctx context.Context, c cluster, urn string, gvk schema.GroupVersionKind,
	namespace, name string, timeout time.Duration,
) error {
	deadline := time.Now().Add(timeout)
	for {
		_, err := c.get(ctx, gvk, namespace, name)
		if isNotFound(err) || errors.Is(err, errUnknownKind) {
			p.status(ctx, urn, "")
			return nil
		}
		if err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w after %s waiting for %s %q to be deleted", errTimeout, timeout, gvk.Kind, objectID(namespace, name))
		}
		p.status(ctx, urn, "waiting for deletion")
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}
