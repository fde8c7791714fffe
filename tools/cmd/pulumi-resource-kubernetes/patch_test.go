package main

// Patch resources (NodePatch, DeploymentPatch, ...) against the fake cluster.

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"onprem-k8s/tools/cmd/internal/propmap"
	"onprem-k8s/tools/cmd/internal/propmap/propmaptest"
)

const (
	urnNodePatch   = "urn:pulumi:dev::k8stest::kubernetes:core/v1:NodePatch::n1-labels"
	urnDeployPatch = "urn:pulumi:dev::k8stest::kubernetes:apps/v1:DeploymentPatch::web-replicas"
)

var nodeGVK = schema.GroupVersionKind{Version: "v1", Kind: "Node"}

// nodePatch is what the SDK's NodePatch sends: the Node's own apiVersion and kind.
func nodePatch(name string, labels map[string]any, force bool) resource.PropertyMap {
	md := map[string]any{"name": name, "labels": labels}
	if force {
		md["annotations"] = map[string]any{patchForceAnnotation: "true"}
	}
	return obj(map[string]any{
		"apiVersion": "v1", "kind": "Node", "metadata": md,
		"spec": map[string]any{"taints": []any{map[string]any{"key": "dedicated", "value": "edge", "effect": "NoSchedule"}}},
	})
}

// registeredNode is a Node as its kubelet registers it.
func registeredNode(name string, labels map[string]any) *unstructured.Unstructured {
	l := map[string]any{"kubernetes.io/hostname": name}
	for k, v := range labels {
		l[k] = v
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Node",
		"metadata": map[string]any{"name": name, "labels": l},
		"spec":     map[string]any{"podCIDR": "10.244.1.0/24"},
		"status":   map[string]any{"nodeInfo": map[string]any{"kubeletVersion": "v1.34.4"}},
	}}
}

func liveNode(t *testing.T, f *fakeCluster, name string) *unstructured.Unstructured {
	t.Helper()
	o, err := f.get(context.Background(), nodeGVK, "", name)
	if err != nil {
		t.Fatalf("node %s: %v", name, err)
	}
	return o
}

func TestCheckPatch(t *testing.T) {
	p := testProvider(t, nil)
	in, failures := check(t, p, urnNodePatch, nil, nodePatch("n1", map[string]any{"role": "edge"}, true), "s")
	if len(failures) > 0 {
		t.Fatal(failures)
	}
	if stringAt(in, "metadata", "name") != "n1" || stringAt(in, "metadata", "annotations", autonamedAnnotation) != "" {
		t.Fatalf("a Patch is never auto-named: %v", in["metadata"])
	}
	// The object must be named; a name unknown until apply is fine.
	unnamed := nodePatch("n1", nil, false)
	unnamed["metadata"] = resource.NewObjectProperty(obj(map[string]any{"labels": map[string]any{"a": "b"}}))
	_, failures = check(t, p, urnNodePatch, nil, unnamed, "s")
	if len(failures) != 1 || failures[0].Property != "metadata.name" || !strings.Contains(failures[0].Reason, "must name the Node") {
		t.Fatalf("unnamed patch: %v", failures)
	}
	delete(unnamed, "metadata")
	if _, failures = check(t, p, urnNodePatch, nil, unnamed, "s"); len(failures) != 1 {
		t.Fatalf("patch without metadata: %v", failures)
	}
	if _, failures = check(t, p, urnNodePatch, nil, set(nodePatch("n1", nil, false), "metadata.name", propmap.Unknown()), "s"); len(failures) > 0 {
		t.Fatalf("unknown name: %v", failures)
	}
}

func TestPatchFieldManager(t *testing.T) {
	m := patchFieldManager(urnNodePatch, nil, nil)
	if !regexp.MustCompile(`^pulumi-patch-[0-9a-f]{16}$`).MatchString(m) || m != patchFieldManager(urnNodePatch, nil, nil) {
		t.Fatalf("field manager %q is not a stable pulumi-patch-<hash>", m)
	}
	other := "urn:pulumi:prod::k8stest::kubernetes:core/v1:NodePatch::n1-labels"
	if patchFieldManager(other, nil, nil) == m {
		t.Fatal("two resources (other stack) share a field manager")
	}
	state := obj(map[string]any{fieldManagerKey: "recorded"})
	if got := patchFieldManager(other, state, nil); got != "recorded" {
		t.Fatalf("the state's field manager is not kept: %q", got)
	}
	in := set(nodePatch("n1", nil, false), `metadata.annotations["pulumi.com/patchFieldManager"]`, "mine")
	if got := patchFieldManager(urnNodePatch, state, in); got != "mine" {
		t.Fatalf("the annotation does not win: %q", got)
	}
}

func TestPatchLifecycle(t *testing.T) {
	pollInterval = time.Millisecond
	f := newFakeCluster()
	f.seed(nodeGVK, registeredNode("n1", nil))
	p := testProvider(t, f)
	manager := patchFieldManager(urnNodePatch, nil, nil)

	in := nodePatch("n1", map[string]any{"role": "edge"}, true)
	id, out, err := create(t, p, urnNodePatch, in, false)
	if err != nil {
		t.Fatal(err)
	}
	if id != "n1" || len(f.appliedOpts) != 1 || f.appliedOpts[0] != (applyOptions{manager: manager, force: true}) {
		t.Fatalf("create: id %q, applies %v", id, f.appliedOpts)
	}
	// Only the given fields are applied; the outputs are the whole live object.
	if applied := f.applied[0]; applied.GetNamespace() != "" || applied.Object["status"] != nil || len(applied.GetLabels()) != 1 {
		t.Fatalf("applied %v", applied.Object)
	}
	if stringAt(out, "metadata", "labels", "role") != "edge" || stringAt(out, "metadata", "labels", "kubernetes.io/hostname") != "n1" ||
		stringAt(out, "spec", "podCIDR") != "10.244.1.0/24" || stringAt(out, fieldManagerKey) != manager {
		t.Fatalf("outputs %v", out)
	}
	if taints, _, _ := unstructured.NestedSlice(liveNode(t, f, "n1").Object, "spec", "taints"); len(taints) != 1 {
		t.Fatalf("taints %v", taints)
	}

	// Nothing changed: no diff.
	if r := diffResp(t, p, urnNodePatch, in, in); r.Changes != pulumirpc.DiffResponse_DIFF_NONE {
		t.Fatalf("diff of the same inputs: %v", r)
	}

	// Update: the same field manager (from the state), the new value applied.
	news := nodePatch("n1", map[string]any{"role": "worker"}, true)
	upd, err := p.Update(context.Background(), &pulumirpc.UpdateRequest{Urn: urnNodePatch, Id: id,
		Olds: propmaptest.MustMarshal(t, out), News: propmaptest.MustMarshal(t, news)})
	if err != nil {
		t.Fatal(err)
	}
	state := propmaptest.MustUnmarshal(t, upd.Properties)
	if f.appliedOpts[1].manager != manager || stringAt(state, "metadata", "labels", "role") != "worker" {
		t.Fatalf("update: %v, state %v", f.appliedOpts[1], state["metadata"])
	}

	// Refresh reads the live object and keeps the field manager.
	rd, err := p.Read(context.Background(), &pulumirpc.ReadRequest{Urn: urnNodePatch, Id: id,
		Properties: upd.Properties, Inputs: propmaptest.MustMarshal(t, news)})
	if err != nil || rd.Id != "n1" {
		t.Fatalf("read: %v %v", rd, err)
	}
	if props := propmaptest.MustUnmarshal(t, rd.Properties); stringAt(props, fieldManagerKey) != manager || stringAt(props, "spec", "podCIDR") == "" {
		t.Fatalf("read props %v", props)
	}

	// Delete releases the fields: an apply of the bare identity with the same manager, never forced.
	if _, err := p.Delete(context.Background(), &pulumirpc.DeleteRequest{Urn: urnNodePatch, Id: id, Properties: upd.Properties}); err != nil {
		t.Fatal(err)
	}
	last := f.applied[len(f.applied)-1]
	if len(last.Object) != 3 || last.GetName() != "n1" || last.GetKind() != "Node" || last.GetAPIVersion() != "v1" ||
		f.appliedOpts[len(f.appliedOpts)-1] != (applyOptions{manager: manager}) {
		t.Fatalf("release applied %v with %v", last.Object, f.appliedOpts[len(f.appliedOpts)-1])
	}
	node := liveNode(t, f, "n1")
	if node.GetDeletionTimestamp() != nil || node.GetLabels()["role"] != "" || node.GetLabels()["kubernetes.io/hostname"] != "n1" ||
		node.GetAnnotations()[patchForceAnnotation] != "" {
		t.Fatalf("after delete: %v", node.Object)
	}
	if _, found, _ := unstructured.NestedSlice(node.Object, "spec", "taints"); found {
		t.Fatalf("taints left: %v", node.Object["spec"])
	}
	if cidr, _, _ := unstructured.NestedString(node.Object, "spec", "podCIDR"); cidr == "" {
		t.Fatal("the kubelet's fields went too")
	}

	// The field manager recorded in the state wins over the URN's (which a rename may change).
	f.seed(nodeGVK, registeredNode("n2", nil))
	n2 := set(nodePatch("n2", map[string]any{"role": "edge"}, true), fieldManagerKey, "recorded")
	rec, err := p.Update(context.Background(), &pulumirpc.UpdateRequest{Urn: urnNodePatch, Id: "n2",
		Olds: propmaptest.MustMarshal(t, n2), News: propmaptest.MustMarshal(t, nodePatch("n2", map[string]any{"role": "worker"}, true))})
	if err != nil || f.appliedOpts[len(f.appliedOpts)-1].manager != "recorded" || stringAt(propmaptest.MustUnmarshal(t, rec.Properties), fieldManagerKey) != "recorded" {
		t.Fatalf("recorded manager: %v %v", f.appliedOpts[len(f.appliedOpts)-1], err)
	}
	if _, err := p.Delete(context.Background(), &pulumirpc.DeleteRequest{Urn: urnNodePatch, Id: "n2", Properties: rec.Properties}); err != nil ||
		f.appliedOpts[len(f.appliedOpts)-1].manager != "recorded" || liveNode(t, f, "n2").GetLabels()["role"] != "" {
		t.Fatalf("release with the recorded manager: %v %v", f.appliedOpts[len(f.appliedOpts)-1], err)
	}

	// A Node that is gone has nothing to release, and the release must not create it again.
	f.forget(nodeGVK, "", "n1")
	applies := len(f.applied)
	if _, err := p.Delete(context.Background(), &pulumirpc.DeleteRequest{Urn: urnNodePatch, Id: id, Properties: upd.Properties}); err != nil {
		t.Fatal(err)
	}
	if len(f.applied) != applies || len(f.objs) != 1 {
		t.Fatalf("delete of a patch of a missing Node applied %v", f.applied[applies:])
	}
}

func TestPatchNeverCreatesItsObject(t *testing.T) {
	pollInterval = time.Millisecond
	f := newFakeCluster()
	p := testProvider(t, f)
	_, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urnNodePatch,
		Properties: propmaptest.MustMarshal(t, nodePatch("ghost", map[string]any{"a": "b"}, true)), Timeout: 0.05})
	if err == nil || !strings.Contains(err.Error(), `Node "ghost" does not exist`) || !strings.Contains(err.Error(), "never creates") {
		t.Fatalf("want an error naming the missing Node, got %v", err)
	}
	if len(f.applied) != 0 || len(f.objs) != 0 {
		t.Fatalf("a Patch created its object: %v", f.objs)
	}
	// A Node that registers while the Patch waits is patched.
	go func() {
		time.Sleep(30 * time.Millisecond)
		f.seed(nodeGVK, registeredNode("late", nil))
	}()
	id, _, err := create(t, p, urnNodePatch, nodePatch("late", map[string]any{"a": "b"}, true), false)
	if err != nil || id != "late" || len(f.applied) != 1 {
		t.Fatalf("late node: %q %v", id, err)
	}
	// An update of a Patch whose object went away fails too, instead of creating it.
	f.forget(nodeGVK, "", "late")
	_, err = p.Update(context.Background(), &pulumirpc.UpdateRequest{Urn: urnNodePatch, Id: "late", Timeout: 0.05,
		Olds: propmaptest.MustMarshal(t, nodePatch("late", nil, true)), News: propmaptest.MustMarshal(t, nodePatch("late", map[string]any{"a": "c"}, true))})
	if err == nil || !strings.Contains(err.Error(), `Node "late" does not exist`) || len(f.applied) != 1 {
		t.Fatalf("update of a missing Node: %v, %d applies", err, len(f.applied))
	}
	// The namespace of a namespaced object is in the message, defaulted as for whole objects.
	dp := obj(map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "web"},
		"spec": map[string]any{"replicas": 3}})
	_, err = p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urnDeployPatch, Properties: propmaptest.MustMarshal(t, dp), Timeout: 0.05})
	if err == nil || !strings.Contains(err.Error(), `Deployment "default/web" does not exist`) {
		t.Fatalf("missing Deployment: %v", err)
	}
}

func TestPatchConflicts(t *testing.T) {
	pollInterval = time.Millisecond
	f := newFakeCluster()
	f.seed(nodeGVK, registeredNode("n1", map[string]any{"owner": "node-admin"}))
	f.own(nodeGVK, "", "n1", "metadata.labels.owner", "node-admin")
	p := testProvider(t, f)

	_, _, err := create(t, p, urnNodePatch, nodePatch("n1", map[string]any{"owner": "pulumi"}, false), false)
	if err == nil || !strings.Contains(err.Error(), `field manager "node-admin" owns .metadata.labels.owner`) ||
		!strings.Contains(err.Error(), patchForceAnnotation) {
		t.Fatalf("want a conflict naming the other manager, got %v", err)
	}
	if f.appliedOpts[0].force {
		t.Fatal("applied with force without the annotation")
	}
	if liveNode(t, f, "n1").GetLabels()["owner"] != "node-admin" {
		t.Fatal("a conflicting apply changed the Node")
	}
	// The same value is no conflict (the field is shared).
	if _, _, err := create(t, p, urnNodePatch, nodePatch("n1", map[string]any{"owner": "node-admin"}, false), false); err != nil {
		t.Fatal(err)
	}
	// patchForce takes the field over; the delete then removes it.
	_, out, err := create(t, p, urnNodePatch, nodePatch("n1", map[string]any{"owner": "pulumi"}, true), false)
	if err != nil || stringAt(out, "metadata", "labels", "owner") != "pulumi" {
		t.Fatalf("forced: %v %v", err, out["metadata"])
	}
	if _, err := p.Delete(context.Background(), &pulumirpc.DeleteRequest{Urn: urnNodePatch, Id: "n1", Properties: propmaptest.MustMarshal(t, out)}); err != nil {
		t.Fatal(err)
	}
	if l := liveNode(t, f, "n1").GetLabels(); l["owner"] != "" || l["kubernetes.io/hostname"] != "n1" {
		t.Fatalf("labels after delete: %v", l)
	}
	// A release that would leave a required field without owner says what to do.
	f.applyErr = apierrors.NewInvalid(schema.GroupKind{Kind: "Node"}, "n1",
		field.ErrorList{field.Required(field.NewPath("spec", "providerID"), "")})
	_, err = p.Delete(context.Background(), &pulumirpc.DeleteRequest{Urn: urnNodePatch, Id: "n1", Properties: propmaptest.MustMarshal(t, out)})
	if err == nil || !strings.Contains(err.Error(), "retainOnDelete") || !strings.Contains(err.Error(), "spec.providerID") {
		t.Fatalf("required field: %v", err)
	}
}

func TestPatchDiffAndPreview(t *testing.T) {
	p := testProvider(t, nil) // neither needs the cluster
	old := obj(map[string]any{"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "namespace": "apps"},
		"spec":     map[string]any{"selector": map[string]any{"matchLabels": map[string]any{"app": "web"}}, "replicas": 2}})
	// Only another object (name, namespace) replaces a Patch; immutable fields are the API server's call.
	if r := diffResp(t, p, urnDeployPatch, old, set(old, "spec.selector.matchLabels.app", "web2")); r.Changes != pulumirpc.DiffResponse_DIFF_SOME || len(r.Replaces) > 0 {
		t.Fatalf("selector of a DeploymentPatch: %v", r)
	}
	if r := diffResp(t, p, urnDeploy, old, set(old, "spec.selector.matchLabels.app", "web2")); len(r.Replaces) != 1 {
		t.Fatalf("selector of a Deployment: %v", r)
	}
	r := diffResp(t, p, urnDeployPatch, old, set(old, "metadata.name", "api"))
	if len(r.Replaces) != 1 || r.DeleteBeforeReplace {
		t.Fatalf("rename of a DeploymentPatch: %v", r)
	}
	if r := diffResp(t, p, urnDeployPatch, old, set(old, "metadata.namespace", "other")); len(r.Replaces) != 1 {
		t.Fatalf("move of a DeploymentPatch: %v", r)
	}
	// The recorded field manager is state, not an input.
	if r := diffInputs(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, set(old, fieldManagerKey, "m"), old, "default", true); r.Changes != pulumirpc.DiffResponse_DIFF_NONE {
		t.Fatalf("field manager in the olds: %v", r)
	}
	// A preview create shows the inputs and the field manager without asking the cluster.
	_, out, err := create(t, p, urnNodePatch, nodePatch("n1", map[string]any{"role": "edge"}, true), true)
	if err != nil || stringAt(out, fieldManagerKey) != patchFieldManager(urnNodePatch, nil, nil) || !out["status"].IsComputed() {
		t.Fatalf("preview: %v %v", out, err)
	}
}
