package main

// An in-memory cluster for the RPC tests: it applies objects like a (very) simple API server.

import (
	"context"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

type fakeCluster struct {
	mu            sync.Mutex
	objs          map[string]*unstructured.Unstructured
	clusterScoped map[string]bool // kinds
	applied       []*unstructured.Unstructured
	gets          int
	// readyAfter makes Deployments report available after that many gets (-1: never).
	readyAfter int
	// keepAfterDelete makes deleted objects linger for that many gets (finalizers at work).
	keepAfterDelete int
}

func newFakeCluster() *fakeCluster {
	return &fakeCluster{
		objs:          map[string]*unstructured.Unstructured{},
		clusterScoped: map[string]bool{"Namespace": true, "CustomResourceDefinition": true, "ClusterRole": true},
	}
}

func fkey(gvk schema.GroupVersionKind, ns, name string) string {
	return gvk.GroupKind().String() + "/" + ns + "/" + name
}

func (f *fakeCluster) namespaced(_ context.Context, gvk schema.GroupVersionKind, _ time.Duration) (bool, error) {
	if gvk.Kind == "Unserved" {
		return false, fmt.Errorf("%w: %s", errUnknownKind, gvk.Kind)
	}
	return !f.clusterScoped[gvk.Kind], nil
}

func (f *fakeCluster) apply(_ context.Context, gvk schema.GroupVersionKind, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied = append(f.applied, obj.DeepCopy())
	live := obj.DeepCopy()
	k := fkey(gvk, obj.GetNamespace(), obj.GetName())
	gen := int64(1)
	if old, ok := f.objs[k]; ok {
		gen = old.GetGeneration() + 1
	}
	live.SetGeneration(gen)
	live.SetUID(types.UID("uid-" + obj.GetName()))
	live.SetManagedFields([]metav1.ManagedFieldsEntry{{Manager: fieldManager, Operation: metav1.ManagedFieldsOperationApply}})
	if gvk.Kind == "Secret" {
		if sd, ok := live.Object["stringData"].(map[string]any); ok {
			data := map[string]any{}
			for k, v := range sd {
				data[k] = fmt.Sprintf("b64(%v)", v)
			}
			live.Object["data"] = data
			delete(live.Object, "stringData")
		}
	}
	if gvk.Kind == "Deployment" {
		_ = unstructured.SetNestedField(live.Object, int64(0), "status", "observedGeneration")
	}
	f.objs[k] = live
	return live.DeepCopy(), nil
}

func (f *fakeCluster) get(_ context.Context, gvk schema.GroupVersionKind, ns, name string) (*unstructured.Unstructured, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	o, ok := f.objs[fkey(gvk, ns, name)]
	if !ok {
		return nil, apierrors.NewNotFound(schema.GroupResource{Group: gvk.Group, Resource: gvk.Kind}, name)
	}
	if o.GetDeletionTimestamp() != nil {
		if f.keepAfterDelete <= 0 {
			delete(f.objs, fkey(gvk, ns, name))
			return nil, apierrors.NewNotFound(schema.GroupResource{Group: gvk.Group, Resource: gvk.Kind}, name)
		}
		f.keepAfterDelete--
	}
	if gvk.Kind == "Deployment" && f.readyAfter >= 0 {
		if f.readyAfter == 0 {
			replicas, found, _ := unstructured.NestedInt64(o.Object, "spec", "replicas")
			if !found {
				replicas = 1
			}
			_ = unstructured.SetNestedField(o.Object, o.GetGeneration(), "status", "observedGeneration")
			_ = unstructured.SetNestedField(o.Object, replicas, "status", "updatedReplicas")
			_ = unstructured.SetNestedField(o.Object, replicas, "status", "availableReplicas")
		} else {
			f.readyAfter--
		}
	}
	return o.DeepCopy(), nil
}

func (f *fakeCluster) remove(_ context.Context, gvk schema.GroupVersionKind, ns, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.objs[fkey(gvk, ns, name)]
	if !ok {
		return apierrors.NewNotFound(schema.GroupResource{Group: gvk.Group, Resource: gvk.Kind}, name)
	}
	now := metav1.Now()
	o.SetDeletionTimestamp(&now)
	return nil
}
