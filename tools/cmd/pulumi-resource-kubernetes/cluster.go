package main

// The cluster behind a small interface, so the RPC logic is testable with a fake.

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
)

// fieldManager owns the fields we apply; a later apply without a field releases it. Patch
// resources use a field manager of their own (patchFieldManager), so that they own only their fields.
const fieldManager = "pulumi-kubernetes"

// applyOptions: who applies, and whether fields owned by other managers are taken over.
type applyOptions struct {
	manager string
	force   bool
}

// wholeObject is how objects that this stack owns are applied: one manager, always forced.
var wholeObject = applyOptions{manager: fieldManager, force: true}

type cluster interface {
	// namespaced reports the scope of a kind, waiting up to `wait` for a kind that is not
	// served yet (a CRD applied moments ago).
	namespaced(ctx context.Context, gvk schema.GroupVersionKind, wait time.Duration) (bool, error)
	// apply is a server-side apply. Beware: applied to a missing object it creates the object.
	apply(ctx context.Context, gvk schema.GroupVersionKind, obj *unstructured.Unstructured, opts applyOptions) (*unstructured.Unstructured, error)
	get(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error)
	remove(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) error
}

// errUnknownKind is returned when the cluster does not serve a kind (after waiting).
var errUnknownKind = errors.New("kind not served by the cluster")

func isNotFound(err error) bool { return apierrors.IsNotFound(err) }

type kubeCluster struct {
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

func newKubeCluster(cfg *kubeConfig) (cluster, error) {
	cc, err := cfg.clientConfig()
	if err != nil {
		return nil, err
	}
	rc, err := cc.ClientConfig()
	if clientcmd.IsEmptyConfig(err) {
		return nil, errors.New("no Kubernetes cluster configured: set the provider's `kubeconfig` setting " +
			"(new k8s.Provider(name, {kubeconfig}) or `pulumi config set --secret kubernetes:kubeconfig ...`), " +
			"or provide $KUBECONFIG or ~/.kube/config")
	}
	if err != nil {
		return nil, fmt.Errorf("the kubeconfig (provider setting `kubeconfig`, else $KUBECONFIG or ~/.kube/config) "+
			"cannot be used: %w", err)
	}
	return newKubeClusterFromREST(rc)
}

func newKubeClusterFromREST(rc *rest.Config) (cluster, error) {
	rc = rest.CopyConfig(rc)
	// One program applies many objects at once; the client-go default (5 qps) would throttle it.
	rc.QPS, rc.Burst = 50, 100
	rc.WarningHandler = rest.NoWarnings{}
	dc, err := discovery.NewDiscoveryClientForConfig(rc)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	return &kubeCluster{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))}, nil
}

// mapping finds the REST resource of a kind. Discovery is cached, so a miss resets the cache and
// retries: the kind may come from a CRD created earlier in this same update.
func (c *kubeCluster) mapping(ctx context.Context, gvk schema.GroupVersionKind, wait time.Duration) (*meta.RESTMapping, error) {
	deadline := time.Now().Add(wait)
	for first := true; ; first = false {
		m, err := withRetry(ctx, func() (*meta.RESTMapping, error) { return c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version) })
		if err == nil {
			return m, nil
		}
		if !meta.IsNoMatchError(err) {
			return nil, err
		}
		if !first && time.Now().After(deadline) {
			return nil, fmt.Errorf("%w: %s %s (is its CustomResourceDefinition installed?)", errUnknownKind, apiVersion(gvk), gvk.Kind)
		}
		c.mapper.Reset()
		if !first {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(2 * time.Second):
			}
		}
	}
}

func (c *kubeCluster) resource(m *meta.RESTMapping, namespace string) dynamic.ResourceInterface {
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return c.dyn.Resource(m.Resource).Namespace(namespace)
	}
	return c.dyn.Resource(m.Resource)
}

func (c *kubeCluster) namespaced(ctx context.Context, gvk schema.GroupVersionKind, wait time.Duration) (bool, error) {
	m, err := c.mapping(ctx, gvk, wait)
	if err != nil {
		return false, err
	}
	return m.Scope.Name() == meta.RESTScopeNameNamespace, nil
}

// apply is a server-side apply with strict field validation, so a misspelt field fails with the
// API server's message instead of being dropped silently.
func (c *kubeCluster) apply(ctx context.Context, gvk schema.GroupVersionKind, obj *unstructured.Unstructured, opts applyOptions) (*unstructured.Unstructured, error) {
	m, err := c.mapping(ctx, gvk, time.Minute)
	if err != nil {
		return nil, err
	}
	body, err := obj.MarshalJSON()
	if err != nil {
		return nil, err
	}
	force := opts.force
	return withRetry(ctx, func() (*unstructured.Unstructured, error) {
		return c.resource(m, obj.GetNamespace()).Patch(ctx, obj.GetName(), types.ApplyPatchType, body, metav1.PatchOptions{
			FieldManager: opts.manager, Force: &force, FieldValidation: "Strict",
		})
	})
}

func (c *kubeCluster) get(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error) {
	m, err := c.mapping(ctx, gvk, 0)
	if err != nil {
		return nil, err
	}
	return withRetry(ctx, func() (*unstructured.Unstructured, error) {
		return c.resource(m, namespace).Get(ctx, name, metav1.GetOptions{})
	})
}

// remove deletes in the background: dependents (ReplicaSets, Pods) are collected afterwards.
func (c *kubeCluster) remove(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) error {
	m, err := c.mapping(ctx, gvk, 0)
	if err != nil {
		return err
	}
	policy := metav1.DeletePropagationBackground
	_, err = withRetry(ctx, func() (struct{}, error) {
		return struct{}{}, c.resource(m, namespace).Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &policy})
	})
	return err
}
