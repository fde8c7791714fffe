package main

import (
	"fmt"
	"math"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// plain strips secret wrappers (at any depth) so values can be read and compared; the original
// map, with its wrappers, is what goes back into the state.
func plain(v resource.PropertyValue) resource.PropertyValue {
	switch {
	case v.IsSecret():
		return plain(v.SecretValue().Element)
	case v.IsArray():
		arr := make([]resource.PropertyValue, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			arr[i] = plain(e)
		}
		return resource.NewArrayProperty(arr)
	case v.IsObject():
		obj := resource.PropertyMap{}
		for k, e := range v.ObjectValue() {
			obj[k] = plain(e)
		}
		return resource.NewObjectProperty(obj)
	}
	return v
}

// normalize makes "absent", null, [] and {} compare equal, so that a program which passes an
// empty list where it used to pass nothing does not replace a certificate.
func normalize(v resource.PropertyValue) resource.PropertyValue {
	v = plain(v)
	switch {
	case v.IsArray():
		if len(v.ArrayValue()) == 0 {
			return resource.NewNullProperty()
		}
		arr := make([]resource.PropertyValue, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			arr[i] = normalize(e)
		}
		return resource.NewArrayProperty(arr)
	case v.IsObject():
		obj := resource.PropertyMap{}
		for k, e := range v.ObjectValue() {
			if n := normalize(e); !n.IsNull() {
				obj[k] = n
			}
		}
		if len(obj) == 0 {
			return resource.NewNullProperty()
		}
		return resource.NewObjectProperty(obj)
	}
	return v
}

// props reads typed values out of a property map, looking through secrets.
type props resource.PropertyMap

func (p props) value(key string) (resource.PropertyValue, bool) {
	v, ok := p[resource.PropertyKey(key)]
	if !ok {
		return v, false
	}
	v = plain(v)
	return v, !v.IsNull()
}

// has reports whether key holds a value, known or not.
func (p props) has(key string) bool {
	_, ok := p.value(key)
	return ok
}

// unknown reports whether key is, or contains, a value not known until apply time.
func (p props) unknown(key string) bool {
	v, ok := p.value(key)
	return ok && v.ContainsUnknowns()
}

func (p props) str(key string) string {
	if v, ok := p.value(key); ok && v.IsString() {
		return v.StringValue()
	}
	return ""
}

func (p props) boolean(key string) bool {
	v, ok := p.value(key)
	return ok && v.IsBool() && v.BoolValue()
}

// integer returns the value of a whole-number property; def when it is absent.
func (p props) integer(key string, def int64) (int64, error) {
	v, ok := p.value(key)
	if !ok {
		return def, nil
	}
	if !v.IsNumber() || v.NumberValue() != math.Trunc(v.NumberValue()) {
		return 0, fmt.Errorf("%s must be a whole number", key)
	}
	return int64(v.NumberValue()), nil
}

func (p props) strs(key string) []string {
	v, ok := p.value(key)
	if !ok || !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		if e.IsString() {
			out = append(out, e.StringValue())
		}
	}
	return out
}

func (p props) object(key string) props {
	if v, ok := p.value(key); ok && v.IsObject() {
		return props(v.ObjectValue())
	}
	return props{}
}

func str(s string) resource.PropertyValue { return resource.NewStringProperty(s) }
func secret(s string) resource.PropertyValue {
	return resource.MakeSecret(resource.NewStringProperty(s))
}
func boolean(b bool) resource.PropertyValue { return resource.NewBoolProperty(b) }
