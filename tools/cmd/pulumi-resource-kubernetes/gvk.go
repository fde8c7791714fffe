package main

// Mapping between Pulumi type tokens, the objects' apiVersion/kind and object ids.

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// unsupportedModules are SDK components that upstream implements inside the provider (Construct
// or Helm/kustomize engines); this plugin only manages plain objects.
var unsupportedModules = map[string]bool{
	"helm.sh/v3": true, "helm.sh/v4": true, "yaml/v2": true, "kustomize/v2": true,
}

// tokenGVK parses `kubernetes:<group>/<version>:<Kind>`. The core group is spelled `core` in
// tokens (kubernetes:core/v1:Secret) but is the empty group on the wire.
func tokenGVK(token string) (schema.GroupVersionKind, error) {
	parts := strings.Split(token, ":")
	if len(parts) != 3 || parts[0] != providerName || parts[2] == "" {
		return schema.GroupVersionKind{}, fmt.Errorf("%q is not a kubernetes:<group>/<version>:<Kind> resource type", token)
	}
	if unsupportedModules[parts[1]] {
		return schema.GroupVersionKind{}, fmt.Errorf("%s is not supported by this project-built kubernetes provider "+
			"(it manages plain Kubernetes objects only)", token)
	}
	i := strings.LastIndex(parts[1], "/")
	if i <= 0 || i == len(parts[1])-1 {
		return schema.GroupVersionKind{}, fmt.Errorf("%q is not a kubernetes:<group>/<version>:<Kind> resource type", token)
	}
	group, version := parts[1][:i], parts[1][i+1:]
	if group == "core" {
		group = ""
	}
	return schema.GroupVersionKind{Group: group, Version: version, Kind: parts[2]}, nil
}

// apiVersion renders the GroupVersion as objects spell it ("v1", "apps/v1").
func apiVersion(gvk schema.GroupVersionKind) string {
	return gvk.GroupVersion().String()
}

// objectGVK returns the object's apiVersion/kind when the inputs carry them (they always do for
// resources the SDK creates), falling back to the type token (reads by id, e.g. Secret.get).
func objectGVK(token string, props resource.PropertyMap) (schema.GroupVersionKind, error) {
	fromToken, tokErr := tokenGVK(token)
	av, kind := stringAt(props, "apiVersion"), stringAt(props, "kind")
	if av == "" || kind == "" {
		return fromToken, tokErr
	}
	gv, err := schema.ParseGroupVersion(av)
	if err != nil {
		return schema.GroupVersionKind{}, fmt.Errorf("invalid apiVersion %q: %w", av, err)
	}
	return gv.WithKind(kind), nil
}

// objectID is how upstream identifies objects: "namespace/name", or "name" when cluster-scoped.
func objectID(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

func parseID(id string) (namespace, name string) {
	if i := strings.LastIndex(id, "/"); i >= 0 {
		return id[:i], id[i+1:]
	}
	return "", id
}

// stringAt reads a known string at a dotted path of plain keys, looking through secrets.
func stringAt(m resource.PropertyMap, path ...string) string {
	v := resource.NewObjectProperty(m)
	for _, k := range path {
		v = stripSecret(v)
		if !v.IsObject() {
			return ""
		}
		v = v.ObjectValue()[resource.PropertyKey(k)]
	}
	v = stripSecret(v)
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}
