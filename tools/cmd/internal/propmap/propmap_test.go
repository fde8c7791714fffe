package propmap

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Every plugin relies on secrets and unknowns surviving the wire unchanged.
func TestRoundTripKeepsSecretsAndUnknowns(t *testing.T) {
	in := resource.PropertyMap{
		"s": resource.MakeSecret(resource.NewStringProperty("x")),
		"u": Unknown(),
		"n": resource.NewNullProperty(),
	}
	wire, err := Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Unmarshal(wire)
	if err != nil {
		t.Fatal(err)
	}
	if !out["s"].IsSecret() || !out["u"].IsComputed() {
		t.Errorf("wrappers lost: %v", out)
	}
	if _, ok := out["n"]; ok {
		t.Errorf("nulls must be skipped: %v", out)
	}
	if m, err := Unmarshal(nil); err != nil || m == nil || len(m) != 0 {
		t.Errorf("nil struct: %v, %v", m, err)
	}
}

func TestUnwrap(t *testing.T) {
	str := resource.NewStringProperty("x")
	for name, tc := range map[string]struct {
		in     resource.PropertyValue
		secret bool
	}{
		"plain":         {str, false},
		"secret":        {resource.MakeSecret(str), true},
		"secret output": {resource.NewOutputProperty(resource.Output{Element: str, Known: true, Secret: true}), true},
		"known output":  {resource.NewOutputProperty(resource.Output{Element: resource.MakeSecret(str), Known: true}), true},
	} {
		v, secret := Unwrap(tc.in)
		if !v.DeepEquals(str) || secret != tc.secret {
			t.Errorf("%s: got %v, %v", name, v, secret)
		}
	}
	// An unknown output stays as it is: there is nothing inside to read yet.
	unk := resource.NewOutputProperty(resource.Output{Element: str})
	if v, _ := Unwrap(unk); !v.IsOutput() {
		t.Errorf("unknown output unwrapped: %v", v)
	}
}
