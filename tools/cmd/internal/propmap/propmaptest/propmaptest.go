// Package propmaptest holds test helpers for the plugins, whose tests send properties through
// the same wire form as the engine.
package propmaptest

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"google.golang.org/protobuf/types/known/structpb"

	"onprem-k8s/tools/cmd/internal/propmap"
)

// MustMarshal is propmap.Marshal that fails the test on error.
func MustMarshal(t testing.TB, m resource.PropertyMap) *structpb.Struct {
	t.Helper()
	s, err := propmap.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// MustUnmarshal is propmap.Unmarshal that fails the test on error.
func MustUnmarshal(t testing.TB, s *structpb.Struct) resource.PropertyMap {
	t.Helper()
	m, err := propmap.Unmarshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
