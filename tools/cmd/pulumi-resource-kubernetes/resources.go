package main

// Create, Update, Read and Delete of any object kind through server-side apply.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"onprem-k8s/tools/cmd/internal/propmap"
)

func tokenOf(typ, urn string) string {
	if typ != "" {
		return typ
	}
	return string(resource.URN(urn).Type())
}

// previewOutputs is what a planned object looks like without asking the cluster: its inputs,
// with what only the cluster can tell (status) unknown.
func (t target) previewOutputs(state, in resource.PropertyMap) resource.PropertyMap {
	out := state.Copy()
	out["status"] = propmap.Unknown()
	return t.outputsFor(out, in)
}

// overlay approximates an apply for previews: new inputs over the old live object.
func overlay(base, top resource.PropertyValue) resource.PropertyValue {
	if base.IsObject() && top.IsObject() {
		m := base.ObjectValue().Copy()
		for k, v := range top.ObjectValue() {
			m[k] = overlay(m[k], v)
		}
		return resource.NewObjectProperty(m)
	}
	return top
}

// place puts a namespaced object in its namespace (the provider default when it names none)
// and strips the namespace from cluster-scoped ones, which the API server would reject.
func (p *provider) place(ctx context.Context, c cluster, gvk schema.GroupVersionKind, obj *unstructured.Unstructured, fallbackNS string) error {
	namespaced, err := c.namespaced(ctx, gvk, time.Minute)
	if err != nil {
		return err
	}
	switch {
	case !namespaced:
		obj.SetNamespace("")
	case obj.GetNamespace() == "" && fallbackNS != "":
		obj.SetNamespace(fallbackNS)
	case obj.GetNamespace() == "":
		obj.SetNamespace(p.config().defaultNamespace())
	}
	return nil
}

// initFailed reports an object that was applied but did not become ready: the engine records it
// (so it is not orphaned) and retries with an update next time.
func initFailed(id string, outs, in resource.PropertyMap, cause error) error {
	props, err := propmap.Marshal(outs)
	if err != nil {
		return cause
	}
	inputs, err := propmap.Marshal(in)
	if err != nil {
		return cause
	}
	st, err := status.New(codes.Unknown, cause.Error()).WithDetails(&pulumirpc.ErrorResourceInitFailed{
		Id: id, Properties: props, Inputs: inputs, Reasons: []string{cause.Error()},
	})
	if err != nil {
		return cause
	}
	return st.Err()
}

// target is what a resource manages: a whole object, or (patchManager set) some fields of an
// object that exists already.
type target struct {
	gvk          schema.GroupVersionKind
	patchManager string
}

// resolve finds the object kind behind a resource type and, for Patch resources, their field
// manager (state may be nil).
func resolve(token, urn string, props, state resource.PropertyMap) (target, error) {
	gvk, err := objectGVK(token, props)
	if err != nil {
		return target{}, err
	}
	t := target{gvk: gvk}
	if isPatch(token, gvk.Kind) {
		t.patchManager = patchFieldManager(urn, state, props)
	}
	return t, nil
}

// outputsFor is the state of a resource: the live object, and a Patch's field manager.
func (t target) outputsFor(live, in resource.PropertyMap) resource.PropertyMap {
	out := outputsOf(t.gvk.Kind, t.gvk.Group, live, in)
	if t.patchManager != "" {
		out[fieldManagerKey] = resource.NewStringProperty(t.patchManager)
	}
	return out
}

// applyAndAwait is the shared body of Create and Update.
func (p *provider) applyAndAwait(ctx context.Context, urn string, t target, in resource.PropertyMap,
	fallbackNS string, create bool, timeout float64,
) (string, resource.PropertyMap, error) {
	gvk := t.gvk
	ctx, cancel := p.opContext(ctx)
	defer cancel()
	c, err := p.client()
	if err != nil {
		return "", nil, err
	}
	obj, err := toObject(in)
	if err != nil {
		return "", nil, fmt.Errorf("inputs: %w", err)
	}
	if obj.GetName() == "" {
		return "", nil, errors.New("metadata.name is required")
	}
	if err := p.place(ctx, c, gvk, obj, fallbackNS); err != nil {
		return "", nil, err
	}
	id := objectID(obj.GetNamespace(), obj.GetName())
	opts := wholeObject
	if t.patchManager != "" {
		// A Patch changes an object that exists: applying to a missing one would create it.
		if err := p.awaitExists(ctx, c, urn, gvk, obj.GetNamespace(), obj.GetName(), awaitTimeout(timeout, obj, defaultPatchWait)); err != nil {
			return "", nil, err
		}
		opts = applyOptions{manager: t.patchManager, force: patchForce(obj)}
	} else if create && !p.config().upsert {
		// Like upstream, refuse to take over an object created outside this stack unless asked to:
		// a later replace or destroy would delete it.
		_, err := c.get(ctx, gvk, obj.GetNamespace(), obj.GetName())
		if err == nil {
			return "", nil, fmt.Errorf("%s %q already exists; import it, or set the provider's upsertExistingObjects to adopt it",
				gvk.Kind, id)
		}
		if !isNotFound(err) {
			return "", nil, err
		}
	}
	live, err := c.apply(ctx, gvk, obj, opts)
	if err != nil {
		if t.patchManager != "" && apierrors.IsConflict(err) {
			return "", nil, explainConflict(err, gvk, id, t.patchManager)
		}
		return "", nil, fmt.Errorf("applying %s %q: %w", gvk.Kind, id, err)
	}
	live, awaitErr := p.awaitReady(ctx, c, urn, gvk, live, awaitTimeout(timeout, live, defaultAwait))
	outs := t.outputsFor(fromObject(live), in)
	if awaitErr != nil {
		return "", nil, initFailed(id, outs, in, awaitErr)
	}
	return id, outs, nil
}

func (p *provider) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	in, err := propmap.Unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	t, err := resolve(tokenOf(req.GetType(), req.GetUrn()), req.GetUrn(), in, nil)
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		props, err := propmap.Marshal(t.previewOutputs(in, in))
		if err != nil {
			return nil, err
		}
		return &pulumirpc.CreateResponse{Properties: props}, nil
	}
	id, outs, err := p.applyAndAwait(ctx, req.GetUrn(), t, in, "", true, req.GetTimeout())
	if err != nil {
		return nil, err
	}
	props, err := propmap.Marshal(outs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

func (p *provider) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	olds, err := propmap.Unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := propmap.Unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	t, err := resolve(tokenOf(req.GetType(), req.GetUrn()), req.GetUrn(), news, olds)
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		merged := overlay(resource.NewObjectProperty(olds), resource.NewObjectProperty(news)).ObjectValue()
		props, err := propmap.Marshal(t.previewOutputs(merged, news))
		if err != nil {
			return nil, err
		}
		return &pulumirpc.UpdateResponse{Properties: props}, nil
	}
	// The object stays where it is: a new default namespace does not move it (Diff replaces on a
	// namespace change the program asks for).
	ns, _ := parseID(req.GetId())
	_, outs, err := p.applyAndAwait(ctx, req.GetUrn(), t, news, ns, false, req.GetTimeout())
	if err != nil {
		return nil, err
	}
	props, err := propmap.Marshal(outs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

// inputsFromLive derives inputs for an imported object: what a program would have written.
func inputsFromLive(live *unstructured.Unstructured) resource.PropertyMap {
	obj := live.DeepCopy()
	delete(obj.Object, "status")
	md := map[string]any{"name": live.GetName()}
	if ns := live.GetNamespace(); ns != "" {
		md["namespace"] = ns
	}
	if l := live.GetLabels(); len(l) > 0 {
		md["labels"] = toAnyMap(l)
	}
	ann := live.GetAnnotations()
	delete(ann, "kubectl.kubernetes.io/last-applied-configuration")
	if len(ann) > 0 {
		md["annotations"] = toAnyMap(ann)
	}
	obj.Object["metadata"] = md
	return fromObject(obj)
}

func toAnyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Read gets the live object for refresh and import; an object that is gone reads as empty.
func (p *provider) Read(ctx context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	ctx, cancel := p.opContext(ctx)
	defer cancel()
	state, err := propmap.Unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	inputs, err := propmap.Unmarshal(req.GetInputs())
	if err != nil {
		return nil, err
	}
	known := inputs
	if len(known) == 0 {
		known = state
	}
	t, err := resolve(tokenOf(req.GetType(), req.GetUrn()), req.GetUrn(), known, state)
	if err != nil {
		return nil, err
	}
	gvk := t.gvk
	c, err := p.client()
	if err != nil {
		return nil, err
	}
	ns, name := parseID(req.GetId())
	if ns == "" {
		namespaced, err := c.namespaced(ctx, gvk, 0)
		if errors.Is(err, errUnknownKind) {
			return &pulumirpc.ReadResponse{}, nil
		} else if err != nil {
			return nil, err
		}
		if namespaced {
			ns = p.config().defaultNamespace()
		}
	}
	live, err := c.get(ctx, gvk, ns, name)
	if isNotFound(err) || errors.Is(err, errUnknownKind) {
		return &pulumirpc.ReadResponse{}, nil
	}
	if err != nil {
		return nil, err
	}
	if len(inputs) == 0 {
		inputs = inputsFromLive(live)
	}
	props, err := propmap.Marshal(t.outputsFor(fromObject(live), inputs))
	if err != nil {
		return nil, err
	}
	ins, err := propmap.Marshal(inputs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: objectID(live.GetNamespace(), live.GetName()), Properties: props, Inputs: ins}, nil
}

// Delete removes the object and waits until it is gone; an object already gone is success. A
// Patch only releases its fields and leaves the object.
func (p *provider) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	ctx, cancel := p.opContext(ctx)
	defer cancel()
	state, err := propmap.Unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	t, err := resolve(tokenOf(req.GetType(), req.GetUrn()), req.GetUrn(), state, state)
	if err != nil {
		return nil, err
	}
	gvk := t.gvk
	c, err := p.client()
	if err != nil {
		return nil, err
	}
	ns, name := parseID(req.GetId())
	if t.patchManager != "" {
		if err := p.relinquish(ctx, c, gvk, ns, name, t.patchManager); err != nil {
			return nil, err
		}
		return &emptypb.Empty{}, nil
	}
	err = c.remove(ctx, gvk, ns, name)
	if isNotFound(err) || errors.Is(err, errUnknownKind) {
		return &emptypb.Empty{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("deleting %s %q: %w", gvk.Kind, req.GetId(), err)
	}
	timeout := defaultDeleteWait
	if req.GetTimeout() > 0 {
		timeout = time.Duration(req.GetTimeout() * float64(time.Second))
	}
	if err := p.awaitGone(ctx, c, req.GetUrn(), gvk, ns, name, timeout); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}
