// Package propmap moves resource properties between the engine's wire form (structpb with
// secret and unknown markers) and resource.PropertyMap, the same way in every provider plugin.
package propmap

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"google.golang.org/protobuf/types/known/structpb"
)

// Secrets and unknowns must survive the round trip: the engine only sends them wrapped because
// the plugins advertise acceptSecrets, and it trusts them to hand them back wrapped.
var wireOpts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true}

// Unmarshal decodes properties from the wire; a nil struct is an empty map.
func Unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, wireOpts)
}

// Marshal encodes properties for the wire, keeping secrets and unknowns.
func Marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, wireOpts)
}

// Unwrap strips top-level secret and known output wrappers, reporting whether any was secret.
func Unwrap(v resource.PropertyValue) (resource.PropertyValue, bool) {
	secret := false
	for {
		switch {
		case v.IsSecret():
			secret = true
			v = v.SecretValue().Element
		case v.IsOutput() && v.OutputValue().Known:
			secret = secret || v.OutputValue().Secret
			v = v.OutputValue().Element
		default:
			return v, secret
		}
	}
}

// Unknown is the value of an output not known until apply time. It is string-typed: that
// sentinel is the one every language SDK recognises (Node shows the others as literal strings).
func Unknown() resource.PropertyValue {
	return resource.MakeComputed(resource.NewStringProperty(""))
}
