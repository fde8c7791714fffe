package main

// An in-memory cluster for the RPC tests: it applies objects like a (very) simple API server.
// Objects applied whole (by fieldManager) replace what was there. Other managers (Patch resources)
// lay their last applied fields over the object as its creator left it, so an apply of the bare
// identity removes what they set; like the real API server, their apply creates a missing object.

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

type fakeCluster struct {
	mu            sync.Mutex
	objs          map[string]*unstructured.Unstructured
	clusterScoped map[string]bool // kinds
	applied       []*unstructured.Unstructured
	appliedOpts   []applyOptions
	gets          int
	// base is an object as its creator left it; patches are the last applies of other managers.
	base    map[string]*unstructured.Unstructured
	patches map[string]map[string]*unstructured.Unstructured
	// foreign are fields owned by a manager outside the stack (key -> dotted path -> manager): a
	// non-forced apply that changes one conflicts, a forced one takes it over.
	foreign map[string]map[string]string
	// applyErr, when set, is what the next apply returns.
	applyErr error
	// readyAfter makes Deployments report available after that many gets (-1: never).
	readyAfter int
	// keepAfterDelete makes deleted objects linger for that many gets (finalizers at work).
	keepAfterDelete int
}

func newFakeCluster() *fakeCluster {
	return &fakeCluster{
		objs:          map[string]*unstructured.Unstructured{},
		clusterScoped: map[string]bool{"Namespace": true, "CustomResourceDefinition": true, "ClusterRole": true, "Node": true},
		base:          map[string]*unstructured.Unstructured{},
		patches:       map[string]map[string]*unstructured.Unstructured{},
		foreign:       map[string]map[string]string{},
	}
}

// seed creates an object the way something outside the stack would (a kubelet registering its Node).
func (f *fakeCluster) seed(gvk schema.GroupVersionKind, o *unstructured.Unstructured) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o = o.DeepCopy()
	o.SetUID(types.UID("uid-" + o.GetName()))
	k := fkey(gvk, o.GetNamespace(), o.GetName())
	f.base[k] = o.DeepCopy()
	f.objs[k] = o
}

// forget removes an object at once (a Node deleted by hand).
func (f *fakeCluster) forget(gvk schema.GroupVersionKind, ns, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.forgetLocked(fkey(gvk, ns, name))
}

func (f *fakeCluster) forgetLocked(k string) {
	delete(f.objs, k)
	delete(f.base, k)
	delete(f.patches, k)
	delete(f.foreign, k)
}

// own marks a field of an object (dotted path) as owned by a manager outside the stack.
func (f *fakeCluster) own(gvk schema.GroupVersionKind, ns, name, path, manager string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := fkey(gvk, ns, name)
	if f.foreign[k] == nil {
		f.foreign[k] = map[string]string{}
	}
	f.foreign[k][path] = manager
}

// mergeInto lays top over base: maps merge, anything else (lists included) is replaced.
func mergeInto(base, top map[string]any) {
	for k, v := range top {
		if tm, ok := v.(map[string]any); ok {
			if bm, ok := base[k].(map[string]any); ok {
				mergeInto(bm, tm)
				continue
			}
			c := map[string]any{}
			mergeInto(c, tm)
			base[k] = c
			continue
		}
		base[k] = runtime.DeepCopyJSONValue(v)
	}
}

func (f *fakeCluster) applyPatch(gvk schema.GroupVersionKind, obj *unstructured.Unstructured, opts applyOptions) (*unstructured.Unstructured, error) {
	k := fkey(gvk, obj.GetNamespace(), obj.GetName())
	if f.base[k] == nil {
		if cur, ok := f.objs[k]; ok {
			f.base[k] = cur.DeepCopy()
		} else { // what the real API server does: the apply creates the object
			b := &unstructured.Unstructured{Object: map[string]any{}}
			b.SetAPIVersion(obj.GetAPIVersion())
			b.SetKind(obj.GetKind())
			b.SetName(obj.GetName())
			b.SetNamespace(obj.GetNamespace())
			b.SetUID(types.UID("uid-" + obj.GetName()))
			f.base[k] = b
		}
	}
	live := f.objs[k]
	var causes []metav1.StatusCause
	for path, manager := range f.foreign[k] {
		parts := strings.Split(path, ".")
		nv, found, _ := unstructured.NestedFieldNoCopy(obj.Object, parts...)
		if !found {
			continue
		}
		if live != nil {
			if ov, _, _ := unstructured.NestedFieldNoCopy(live.Object, parts...); reflect.DeepEqual(ov, nv) {
				continue // the same value: shared ownership, no conflict
			}
		}
		if !opts.force {
			causes = append(causes, metav1.StatusCause{Type: metav1.CauseTypeFieldManagerConflict,
				Message: fmt.Sprintf("conflict with %q", manager), Field: "." + path})
			continue
		}
		unstructured.RemoveNestedField(f.base[k].Object, parts...)
		delete(f.foreign[k], path)
	}
	if len(causes) > 0 {
		return nil, &apierrors.StatusError{ErrStatus: metav1.Status{
			Status: metav1.StatusFailure, Code: 409, Reason: metav1.StatusReasonConflict,
			Message: fmt.Sprintf("Apply failed with %d conflict(s)", len(causes)),
			Details: &metav1.StatusDetails{Name: obj.GetName(), Kind: gvk.Kind, Causes: causes},
		}}
	}
	if f.patches[k] == nil {
		f.patches[k] = map[string]*unstructured.Unstructured{}
	}
	f.patches[k][opts.manager] = obj.DeepCopy()
	managers := make([]string, 0, len(f.patches[k]))
	for m := range f.patches[k] {
		managers = append(managers, m)
	}
	sort.Strings(managers)
	next := f.base[k].DeepCopy()
	entries := []metav1.ManagedFieldsEntry{{Manager: "creator", Operation: metav1.ManagedFieldsOperationUpdate}}
	for _, m := range managers {
		mergeInto(next.Object, f.patches[k][m].Object)
		entries = append(entries, metav1.ManagedFieldsEntry{Manager: m, Operation: metav1.ManagedFieldsOperationApply})
	}
	next.SetManagedFields(entries)
	gen := int64(1)
	if live != nil {
		gen = live.GetGeneration() + 1
	}
	next.SetGeneration(gen)
	f.objs[k] = next
	return next.DeepCopy(), nil
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

func (f *fakeCluster) apply(_ context.Context, gvk schema.GroupVersionKind, obj *unstructured.Unstructured, opts applyOptions) (*unstructured.Unstructured, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied = append(f.applied, obj.DeepCopy())
	f.appliedOpts = append(f.appliedOpts, opts)
	if err := f.applyErr; err != nil {
		f.applyErr = nil
		return nil, err
	}
	if opts.manager != fieldManager {
		return f.applyPatch(gvk, obj, opts)
	}
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
			f.forgetLocked(fkey(gvk, ns, name))
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
