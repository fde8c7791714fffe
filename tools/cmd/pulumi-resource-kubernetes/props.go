package main

// Moving values between the engine's property maps (with secret and unknown markers) and the
// plain JSON objects the Kubernetes API speaks.

import (
	"fmt"
	"math"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"onprem-k8s/tools/cmd/internal/propmap"
)

// stripSecret removes top-level secret (and known output) wrappers.
func stripSecret(v resource.PropertyValue) resource.PropertyValue {
	v, _ = propmap.Unwrap(v)
	return v
}

func isUnknown(v resource.PropertyValue) bool {
	v = stripSecret(v)
	return v.IsComputed() || (v.IsOutput() && !v.OutputValue().Known)
}

// toJSON turns a property value into plain JSON data with every secret unwrapped. Whole
// numbers become int64 so the API server (and unstructured's deep copy) see integers.
func toJSON(v resource.PropertyValue) (any, error) {
	v = stripSecret(v)
	switch {
	case v.IsNull():
		return nil, nil
	case isUnknown(v):
		return nil, fmt.Errorf("value is not known yet")
	case v.IsBool():
		return v.BoolValue(), nil
	case v.IsNumber():
		n := v.NumberValue()
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return int64(n), nil
		}
		return n, nil
	case v.IsString():
		return v.StringValue(), nil
	case v.IsArray():
		out := make([]any, 0, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			j, err := toJSON(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out = append(out, j)
		}
		return out, nil
	case v.IsObject():
		out := map[string]any{}
		for k, e := range v.ObjectValue() {
			if stripSecret(e).IsNull() {
				continue // absent and null mean the same to the SDK; omit rather than clear
			}
			j, err := toJSON(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[string(k)] = j
		}
		return out, nil
	case v.IsResourceReference():
		ref := v.ResourceReferenceValue()
		if id, ok := ref.IDString(); ok {
			return id, nil
		}
		return string(ref.URN), nil
	}
	return nil, fmt.Errorf("unsupported value %v (assets and archives are not Kubernetes data)", v)
}

// toObject builds the object to apply from checked inputs.
func toObject(in resource.PropertyMap) (*unstructured.Unstructured, error) {
	j, err := toJSON(resource.NewObjectProperty(in))
	if err != nil {
		return nil, err
	}
	obj := j.(map[string]any)
	delete(obj, "status") // owned by controllers, never applied
	delete(obj, "__inputs")
	delete(obj, fieldManagerKey)
	return &unstructured.Unstructured{Object: obj}, nil
}

// fromJSON converts API data (as decoded by client-go) back to properties.
func fromJSON(v any) resource.PropertyValue {
	switch v := v.(type) {
	case nil:
		return resource.NewNullProperty()
	case map[string]any:
		m := resource.PropertyMap{}
		for k, e := range v {
			m[resource.PropertyKey(k)] = fromJSON(e)
		}
		return resource.NewObjectProperty(m)
	case []any:
		arr := make([]resource.PropertyValue, len(v))
		for i, e := range v {
			arr[i] = fromJSON(e)
		}
		return resource.NewArrayProperty(arr)
	case int64:
		return resource.NewNumberProperty(float64(v))
	case int:
		return resource.NewNumberProperty(float64(v))
	case float64:
		return resource.NewNumberProperty(v)
	case string:
		return resource.NewStringProperty(v)
	case bool:
		return resource.NewBoolProperty(v)
	}
	return resource.NewPropertyValue(v)
}

// fromObject converts a live object to properties. managedFields are left out: they record who
// owns which field (with timestamps), bloat the state and change on every apply.
func fromObject(obj *unstructured.Unstructured) resource.PropertyMap {
	m := fromJSON(obj.Object).ObjectValue()
	if md := m["metadata"]; md.IsObject() {
		if _, ok := md.ObjectValue()["managedFields"]; ok {
			c := md.ObjectValue().Copy()
			delete(c, "managedFields")
			m["metadata"] = resource.NewObjectProperty(c)
		}
	}
	return m
}

// markSecrets wraps every part of out whose counterpart in `in` was secret, so that a secret
// input (a whole field, or one env value) stays secret in the state. Array elements are matched
// by index: the API server keeps list order.
func markSecrets(out, in resource.PropertyValue) resource.PropertyValue {
	if out.IsNull() {
		return out
	}
	if in.IsSecret() || (in.IsOutput() && in.OutputValue().Secret) {
		return resource.MakeSecret(stripSecret(out))
	}
	in = stripSecret(in)
	switch {
	case out.IsObject() && in.IsObject():
		m := out.ObjectValue().Copy()
		for k, iv := range in.ObjectValue() {
			if ov, ok := m[k]; ok {
				m[k] = markSecrets(ov, iv)
			}
		}
		return resource.NewObjectProperty(m)
	case out.IsArray() && in.IsArray():
		arr := append([]resource.PropertyValue(nil), out.ArrayValue()...)
		for i, iv := range in.ArrayValue() {
			if i < len(arr) {
				arr[i] = markSecrets(arr[i], iv)
			}
		}
		return resource.NewArrayProperty(arr)
	}
	return out
}

// secretKeys are always secret in Secret objects, whatever the inputs (as in upstream, where
// the SDK also lists them as additionalSecretOutputs).
var secretKeys = []resource.PropertyKey{"data", "stringData"}

// outputsOf is the state of an object: the live object, secrets marked as in the inputs.
func outputsOf(kind string, group string, live resource.PropertyMap, in resource.PropertyMap) resource.PropertyMap {
	out := markSecrets(resource.NewObjectProperty(live), resource.NewObjectProperty(in)).ObjectValue()
	if kind == "Secret" && group == "" {
		for _, k := range secretKeys {
			if v, ok := out[k]; ok && !v.IsNull() && !v.IsSecret() {
				out[k] = resource.MakeSecret(v)
			}
		}
	}
	return out
}
