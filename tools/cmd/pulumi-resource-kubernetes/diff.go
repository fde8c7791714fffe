package main

// Diff: old inputs against new inputs, field by field, with the replacement rules of the API
// server's immutable fields. It never needs the cluster.

import (
	"context"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"onprem-k8s/tools/cmd/internal/propmap"
)

// immutable lists fields the API server refuses to change; changing them means replacing the
// object. A rule matches a kind in a group ("*" for any kind of the group).
type immutableRule struct {
	group, kind string
	path        resource.PropertyPath
	except      []resource.PropertyPath // mutable parts under path
}

func pp(p ...any) resource.PropertyPath { return resource.PropertyPath(p) }

var immutableRules = []immutableRule{
	{group: "", kind: "Service", path: pp("spec", "clusterIP")},
	{group: "", kind: "PersistentVolumeClaim", path: pp("spec"), except: []resource.PropertyPath{
		pp("spec", "resources", "requests", "storage"), pp("spec", "volumeAttributesClassName"),
	}},
	{group: "", kind: "Secret", path: pp("type")},
	{group: "apps", kind: "Deployment", path: pp("spec", "selector")},
	{group: "apps", kind: "ReplicaSet", path: pp("spec", "selector")},
	{group: "apps", kind: "DaemonSet", path: pp("spec", "selector")},
	{group: "apps", kind: "StatefulSet", path: pp("spec", "selector")},
	{group: "apps", kind: "StatefulSet", path: pp("spec", "serviceName")},
	{group: "apps", kind: "StatefulSet", path: pp("spec", "volumeClaimTemplates")},
	{group: "apps", kind: "StatefulSet", path: pp("spec", "podManagementPolicy")},
	{group: "batch", kind: "Job", path: pp("spec", "template")},
	{group: "batch", kind: "Job", path: pp("spec", "selector")},
	{group: "rbac.authorization.k8s.io", kind: "RoleBinding", path: pp("roleRef")},
	{group: "rbac.authorization.k8s.io", kind: "ClusterRoleBinding", path: pp("roleRef")},
	{group: "storage.k8s.io", kind: "StorageClass", path: pp("provisioner")},
	{group: "storage.k8s.io", kind: "StorageClass", path: pp("parameters")},
	{group: "storage.k8s.io", kind: "StorageClass", path: pp("reclaimPolicy")},
	{group: "storage.k8s.io", kind: "StorageClass", path: pp("volumeBindingMode")},
}

type change struct {
	path resource.PropertyPath
	kind pulumirpc.PropertyDiff_Kind
}

// diffValues appends the leaf-most paths where o and n differ. Absent and null are the same;
// secrets compare by their contents; an unknown new value always counts as a change.
func diffValues(path resource.PropertyPath, o, n resource.PropertyValue, out *[]change) {
	o, n = stripSecret(o), stripSecret(n)
	at := func(kind pulumirpc.PropertyDiff_Kind) {
		*out = append(*out, change{path: append(resource.PropertyPath(nil), path...), kind: kind})
	}
	switch {
	case o.IsNull() && n.IsNull():
	case isUnknown(n):
		at(pulumirpc.PropertyDiff_UPDATE)
	case o.IsNull():
		at(pulumirpc.PropertyDiff_ADD)
	case n.IsNull():
		at(pulumirpc.PropertyDiff_DELETE)
	case o.IsObject() && n.IsObject():
		om, nm := o.ObjectValue(), n.ObjectValue()
		keys := map[resource.PropertyKey]bool{}
		for k := range om {
			keys[k] = true
		}
		for k := range nm {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, string(k))
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			diffValues(append(path, k), om[resource.PropertyKey(k)], nm[resource.PropertyKey(k)], out)
		}
	case o.IsArray() && n.IsArray():
		oa, na := o.ArrayValue(), n.ArrayValue()
		for i := 0; i < max(len(oa), len(na)); i++ {
			var ov, nv resource.PropertyValue
			if i < len(oa) {
				ov = oa[i]
			}
			if i < len(na) {
				nv = na[i]
			}
			diffValues(append(path, i), ov, nv, out)
		}
	case !o.DeepEquals(n):
		at(pulumirpc.PropertyDiff_UPDATE)
	}
}

// overlaps is true when one path is a prefix of the other: a change to `spec` touches
// `spec.selector`, and so does a change to `spec.selector.matchLabels.app`.
func overlaps(a, b resource.PropertyPath) bool {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func hasPrefix(p, prefix resource.PropertyPath) bool {
	return len(p) >= len(prefix) && overlaps(p, prefix)
}

// forcesReplace decides whether a changed path needs a new object. A Patch is replaced only when
// it names another object (as upstream): the API server judges its other changes.
func forcesReplace(gvk schema.GroupVersionKind, olds resource.PropertyMap, p resource.PropertyPath, patch bool) bool {
	if overlaps(p, pp("metadata", "name")) || overlaps(p, pp("kind")) {
		return true
	}
	if patch {
		return false
	}
	// Immutable ConfigMaps and Secrets can only be replaced.
	if gvk.Group == "" && (gvk.Kind == "ConfigMap" || gvk.Kind == "Secret") {
		if im := stripSecret(olds["immutable"]); im.IsBool() && im.BoolValue() {
			for _, k := range []string{"data", "binaryData", "stringData", "immutable"} {
				if overlaps(p, pp(k)) {
					return true
				}
			}
		}
	}
	for _, r := range immutableRules {
		if r.group != gvk.Group || (r.kind != "*" && r.kind != gvk.Kind) || !overlaps(p, r.path) {
			continue
		}
		exempt := false
		for _, e := range r.except {
			if hasPrefix(p, e) {
				exempt = true
			}
		}
		if !exempt {
			return true
		}
	}
	return false
}

func groupOf(av string) string {
	gv, err := schema.ParseGroupVersion(av)
	if err != nil {
		return av
	}
	return gv.Group
}

// diffInputs is the whole decision, given old and new inputs and the provider's default namespace;
// patch is set for Patch resources.
func diffInputs(gvk schema.GroupVersionKind, olds, news resource.PropertyMap, defaultNS string, patch bool) *pulumirpc.DiffResponse {
	var changes []change
	for _, k := range []resource.PropertyKey{"__inputs", "status", fieldManagerKey} {
		olds, news = without(olds, k), without(news, k)
	}
	diffValues(nil, resource.NewObjectProperty(olds), resource.NewObjectProperty(news), &changes)

	// The namespace matters as the object's address: leaving it out means the default one.
	effectiveNS := func(m resource.PropertyMap) string {
		if ns := stringAt(m, "metadata", "namespace"); ns != "" {
			return ns
		}
		return defaultNS
	}
	nsUnknown := isUnknown(metadataField(news, "namespace"))
	nsMoved := nsUnknown || effectiveNS(olds) != effectiveNS(news)

	detailed := map[string]*pulumirpc.PropertyDiff{}
	var diffs, replaces []string
	seen := map[string]bool{}
	for _, c := range changes {
		replace := forcesReplace(gvk, olds, c.path, patch)
		switch {
		case overlaps(c.path, pp("metadata", "namespace")):
			replace = nsMoved
		case hasPrefix(c.path, pp("apiVersion")):
			// A new version of the same group is the same object; a new group is another one.
			replace = isUnknown(news["apiVersion"]) || groupOf(stringAt(olds, "apiVersion")) != groupOf(stringAt(news, "apiVersion"))
		}
		kind := c.kind
		if replace {
			kind += pulumirpc.PropertyDiff_ADD_REPLACE - pulumirpc.PropertyDiff_ADD
			replaces = append(replaces, c.path.String())
		}
		detailed[c.path.String()] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
		if top, ok := c.path[0].(string); ok && !seen[top] {
			seen[top] = true
			diffs = append(diffs, top)
		}
	}
	resp := &pulumirpc.DiffResponse{
		Changes:         pulumirpc.DiffResponse_DIFF_NONE,
		Diffs:           diffs,
		Replaces:        replaces,
		DetailedDiff:    detailed,
		HasDetailedDiff: true,
	}
	if len(changes) > 0 {
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	// A replacement that keeps the object's name and namespace cannot create the new object
	// before deleting the old one: both are the same API object.
	newName := metadataField(news, "name")
	if len(replaces) > 0 && !isUnknown(newName) && !nsMoved &&
		stringAt(olds, "metadata", "name") == stringAt(news, "metadata", "name") {
		resp.DeleteBeforeReplace = true
	}
	return resp
}

func metadataField(m resource.PropertyMap, key resource.PropertyKey) resource.PropertyValue {
	md := stripSecret(m["metadata"])
	if isUnknown(md) {
		return md
	}
	if !md.IsObject() {
		return resource.NewNullProperty()
	}
	return md.ObjectValue()[key]
}

func without(m resource.PropertyMap, k resource.PropertyKey) resource.PropertyMap {
	if _, ok := m[k]; !ok {
		return m
	}
	c := m.Copy()
	delete(c, k)
	return c
}

func (p *provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := propmap.Unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	if len(olds) == 0 {
		// State written without old inputs: the live object is the closest thing to them.
		state, err := propmap.Unmarshal(req.GetOlds())
		if err != nil {
			return nil, err
		}
		if in := stripSecret(state["__inputs"]); in.IsObject() {
			olds = in.ObjectValue()
		} else {
			olds = state
		}
	}
	news, err := propmap.Unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	token := req.GetType()
	if token == "" {
		token = string(resource.URN(req.GetUrn()).Type())
	}
	gvk, err := objectGVK(token, olds)
	if err != nil {
		return nil, err
	}
	return diffInputs(gvk, olds, news, p.config().defaultNamespace(), isPatch(token, gvk.Kind)), nil
}
