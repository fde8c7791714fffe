package main

// Functions. Typed resources call none; yaml.ConfigFile/ConfigGroup (v1) decode their YAML
// through kubernetes:yaml:decode, which is the only one implemented.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"

	"onprem-k8s/tools/cmd/internal/propmap"
)

func (p *provider) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	if req.GetTok() != "kubernetes:yaml:decode" {
		return nil, status.Errorf(codes.Unimplemented,
			"%s is not implemented by this project-built kubernetes provider (only kubernetes:yaml:decode is)", req.GetTok())
	}
	args, err := propmap.Unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	objs, err := decodeYAML(stringAt(args, "text"))
	if err != nil {
		return &pulumirpc.InvokeResponse{Failures: []*pulumirpc.CheckFailure{{Property: "text", Reason: err.Error()}}}, nil
	}
	arr := make([]resource.PropertyValue, len(objs))
	for i, o := range objs {
		arr[i] = fromJSON(o)
	}
	ret, err := propmap.Marshal(resource.PropertyMap{"result": resource.NewArrayProperty(arr)})
	if err != nil {
		return nil, err
	}
	return &pulumirpc.InvokeResponse{Return: ret}, nil
}

// decodeYAML splits multi-document YAML (or JSON) into objects, skipping empty documents.
func decodeYAML(text string) ([]map[string]any, error) {
	dec := k8syaml.NewYAMLOrJSONDecoder(bytes.NewReader([]byte(text)), 4096)
	var out []map[string]any
	for i := 0; ; i++ {
		var obj map[string]any
		err := dec.Decode(&obj)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("YAML document %d: %w", i+1, err)
		}
		if len(obj) > 0 {
			out = append(out, obj)
		}
	}
}
