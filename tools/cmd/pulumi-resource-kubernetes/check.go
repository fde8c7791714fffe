package main

// Check: validate the object's shape and give unnamed objects an auto-name, like upstream. Patch
// resources name the object they change, and are never auto-named.

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"onprem-k8s/tools/cmd/internal/propmap"
)

// autonamedAnnotation marks objects whose name we generated, so later checks keep that name
// instead of generating a new one (which would replace the object).
const autonamedAnnotation = "pulumi.com/autonamed"

func (p *provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	news, err := propmap.Unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	olds, err := propmap.Unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	urn := resource.URN(req.GetUrn())
	token := req.GetType()
	if token == "" {
		token = string(urn.Type())
	}
	if failures := validate(token, news); len(failures) > 0 {
		return &pulumirpc.CheckResponse{Inputs: req.GetNews(), Failures: failures}, nil
	}
	if isPatch(token, stringAt(news, "kind")) {
		return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
	}
	checked, err := autoname(news, olds, urn.Name(), req.GetRandomSeed())
	if err != nil {
		return nil, err
	}
	inputs, err := propmap.Marshal(checked)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: inputs}, nil
}

// validate rejects what can never be applied. Unknown values (preview) pass.
func validate(token string, news resource.PropertyMap) []*pulumirpc.CheckFailure {
	var failures []*pulumirpc.CheckFailure
	fail := func(prop, format string, args ...any) {
		failures = append(failures, &pulumirpc.CheckFailure{Property: prop, Reason: fmt.Sprintf(format, args...)})
	}
	tgvk, err := tokenGVK(token)
	if err != nil {
		fail("", "%v", err)
		return failures
	}
	for _, key := range []resource.PropertyKey{"apiVersion", "kind"} {
		v := stripSecret(news[key])
		switch {
		case isUnknown(v):
		case v.IsNull() || (v.IsString() && v.StringValue() == ""):
			fail(string(key), "%s is required: every Kubernetes object needs apiVersion and kind", key)
		case !v.IsString():
			fail(string(key), "%s must be a string", key)
		}
	}
	kind := stringAt(news, "kind")
	patch := isPatch(token, kind)
	if kind != "" && kind != tgvk.Kind && !patch {
		fail("kind", "kind %q does not match the resource type %s", kind, token)
	}
	md := stripSecret(news["metadata"])
	if !md.IsNull() && !isUnknown(md) && !md.IsObject() {
		fail("metadata", "metadata must be an object")
	}
	// A Patch changes one existing object, which it must name (unknown until apply is fine).
	if patch && !isUnknown(md) && !isUnknown(metadataField(news, "name")) && stringAt(news, "metadata", "name") == "" {
		fail("metadata.name", "%s: a Patch resource must name the %s it changes in metadata.name", token, kind)
	}
	return failures
}

// autoname fills metadata.name with "<urn name>-<8 hex>" when the program gives none. The old
// generated name is reused, so repeated previews and updates keep addressing the same object;
// on replacement the engine re-checks without olds and a fresh name lets create-before-delete work.
func autoname(news, olds resource.PropertyMap, urnName string, seed []byte) (resource.PropertyMap, error) {
	mdv := news["metadata"]
	wasSecret := mdv.IsSecret()
	md := stripSecret(mdv)
	if isUnknown(md) {
		return news, nil // the name may be in there; nothing to decide before it is known
	}
	meta := resource.PropertyMap{}
	if md.IsObject() {
		meta = md.ObjectValue().Copy()
	}
	if name := stripSecret(meta["name"]); !name.IsNull() {
		return news, nil // named by the program (or unknown until apply)
	}
	name := ""
	if stringAt(olds, "metadata", "annotations", autonamedAnnotation) == "true" {
		name = stringAt(olds, "metadata", "name")
	}
	if name == "" {
		prefix := urnName + "-"
		if gn := stringAt(meta, "generateName"); gn != "" {
			prefix = gn
		}
		var err error
		if name, err = resource.NewUniqueName(seed, prefix, 8, 0, nil); err != nil {
			return nil, err
		}
	}
	meta["name"] = resource.NewStringProperty(name)
	delete(meta, "generateName") // server-side apply needs the final name
	annv := meta["annotations"]
	if ann := stripSecret(annv); !isUnknown(ann) {
		annotations := resource.PropertyMap{}
		if ann.IsObject() {
			annotations = ann.ObjectValue().Copy()
		}
		annotations[autonamedAnnotation] = resource.NewStringProperty("true")
		meta["annotations"] = rewrap(resource.NewObjectProperty(annotations), annv.IsSecret())
	}
	out := news.Copy()
	out["metadata"] = rewrap(resource.NewObjectProperty(meta), wasSecret)
	return out, nil
}

func rewrap(v resource.PropertyValue, secret bool) resource.PropertyValue {
	if secret {
		return resource.MakeSecret(v)
	}
	return v
}
