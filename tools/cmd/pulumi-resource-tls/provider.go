package main

import (
	"context"
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"onprem-k8s/tools/cmd/internal/propmap"
)

// provider implements the resource provider protocol. It holds no state: every resource is
// "logical" (it lives in the Pulumi state only), so the engine's requests carry all we need.
type provider struct {
	pulumirpc.UnimplementedResourceProviderServer
}

func newProvider() *provider { return &provider{} }

func (p *provider) Handshake(context.Context, *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	return &pulumirpc.ProviderHandshakeResponse{AcceptSecrets: true}, nil
}

func (p *provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (p *provider) GetSchema(_ context.Context, req *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: schemaJSON()}, nil
}

// CheckConfig accepts the provider configuration as given: its only option (an HTTP proxy)
// matters to data sources this plugin does not implement.
func (p *provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *provider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

// Configure asks for secrets (so secret inputs reach us marked, and we keep them marked) and
// declares preview support (so Create is called with preview=true and returns unknowns).
func (p *provider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true}, nil
}

func (p *provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func kindOf(urn, typ string) (*kind, error) {
	if typ == "" {
		typ = string(resource.URN(urn).Type())
	}
	if k, ok := kinds[typ]; ok {
		return k, nil
	}
	return nil, status.Errorf(codes.InvalidArgument, "unknown resource type %q", typ)
}

// Check applies upstream's defaults and validates whatever is already known.
func (p *provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	k, err := kindOf(req.GetUrn(), req.GetType())
	if err != nil {
		return nil, err
	}
	news, err := propmap.Unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	for key, def := range k.defaults {
		if v, ok := news[key]; !ok || v.IsNull() {
			news[key] = def
		}
	}
	var failures []*pulumirpc.CheckFailure
	for _, f := range k.validate(props(news)) {
		failures = append(failures, &pulumirpc.CheckFailure{Property: f.property, Reason: f.reason})
	}
	inputs, err := propmap.Marshal(news)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: inputs, Failures: failures}, nil
}

// Diff compares the new inputs with the old state. Like upstream, every input change
// replaces the resource except earlyRenewalHours, and a certificate that has entered its
// early-renewal window is replaced through "readyForRenewal".
func (p *provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	k, err := kindOf(req.GetUrn(), req.GetType())
	if err != nil {
		return nil, err
	}
	olds, err := propmap.Unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := propmap.Unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	return k.diff(olds, news, req.GetIgnoreChanges()), nil
}

func (k *kind) diff(olds, news resource.PropertyMap, ignore []string) *pulumirpc.DiffResponse {
	ignored := map[string]bool{}
	for _, i := range ignore {
		ignored[i] = true
	}
	detailed := map[string]*pulumirpc.PropertyDiff{}
	var replaces []string
	for _, key := range k.inputs {
		if ignored[key] || k.writeOnly[key] {
			continue
		}
		o, n := olds[resource.PropertyKey(key)], news[resource.PropertyKey(key)]
		if !n.ContainsUnknowns() && normalize(o).DeepEquals(normalize(n)) {
			continue
		}
		kind := pulumirpc.PropertyDiff_UPDATE
		switch {
		case normalize(o).IsNull():
			kind = pulumirpc.PropertyDiff_ADD
		case normalize(n).IsNull():
			kind = pulumirpc.PropertyDiff_DELETE
		}
		if !k.inPlace[key] {
			kind += pulumirpc.PropertyDiff_ADD_REPLACE - pulumirpc.PropertyDiff_ADD
			replaces = append(replaces, key)
		}
		detailed[key] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	if k.renewable && !props(news).unknown("earlyRenewalHours") {
		hours, _ := props(news).integer("earlyRenewalHours", 0)
		if end := props(olds).str("validityEndTime"); end != "" && readyForRenewal(end, hours) {
			detailed["readyForRenewal"] = &pulumirpc.PropertyDiff{Kind: pulumirpc.PropertyDiff_UPDATE_REPLACE}
			replaces = append(replaces, "readyForRenewal")
		}
	}
	resp := &pulumirpc.DiffResponse{
		Changes:         pulumirpc.DiffResponse_DIFF_NONE,
		DetailedDiff:    detailed,
		HasDetailedDiff: true,
		Replaces:        replaces,
	}
	for key := range detailed {
		resp.Diffs = append(resp.Diffs, key)
	}
	sort.Strings(resp.Diffs)
	if len(detailed) > 0 {
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	return resp
}

func (p *provider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	k, err := kindOf(req.GetUrn(), req.GetType())
	if err != nil {
		return nil, err
	}
	in, err := propmap.Unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	id, outs, err := k.createOrPreview(in, req.GetPreview())
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", req.GetUrn(), err)
	}
	props, err := propmap.Marshal(outs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

// createOrPreview returns the state of a new resource: its inputs (secret ones still
// secret, write-only ones dropped) plus the computed outputs, which are unknown in a preview.
func (k *kind) createOrPreview(in resource.PropertyMap, preview bool) (string, resource.PropertyMap, error) {
	state := resource.PropertyMap{}
	for key, v := range in {
		if !k.writeOnly[string(key)] {
			state[key] = v
		}
	}
	if preview {
		for _, key := range k.outputs {
			state[resource.PropertyKey(key)] = propmap.Unknown()
		}
		if k.renewable {
			state["readyForRenewal"] = boolean(false) // upstream plans it as a known false
		}
		return "", state, nil
	}
	if in.ContainsUnknowns() {
		return "", nil, fmt.Errorf("inputs contain unknown values")
	}
	id, outs, err := k.create(props(in))
	if err != nil {
		return "", nil, err
	}
	for key, v := range outs {
		state[key] = v
	}
	state["id"] = str(id)
	return id, state, nil
}

// Update only happens for in-place inputs (earlyRenewalHours): the certificate stays, the
// state takes the new inputs, and readyForRenewal is recomputed from them.
func (p *provider) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	k, err := kindOf(req.GetUrn(), req.GetType())
	if err != nil {
		return nil, err
	}
	olds, err := propmap.Unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := propmap.Unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	state := olds.Copy()
	for _, key := range k.inputs {
		pk := resource.PropertyKey(key)
		if k.writeOnly[key] {
			continue
		}
		if v, ok := news[pk]; ok {
			state[pk] = v
		} else {
			delete(state, pk)
		}
	}
	k.refreshRenewal(state)
	props, err := propmap.Marshal(state)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

// refreshRenewal sets readyForRenewal once the early-renewal window is reached; like
// upstream it never flips it back.
func (k *kind) refreshRenewal(state resource.PropertyMap) {
	if !k.renewable || state.ContainsUnknowns() {
		return
	}
	hours, _ := props(state).integer("earlyRenewalHours", 0)
	if end := props(state).str("validityEndTime"); end != "" && readyForRenewal(end, hours) {
		state["readyForRenewal"] = boolean(true)
	}
}

// Read returns the state as stored: there is nothing outside it to read. Only
// readyForRenewal can change, with the passing of time.
func (p *provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	k, err := kindOf(req.GetUrn(), req.GetType())
	if err != nil {
		return nil, err
	}
	state, err := propmap.Unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if len(state) == 0 {
		return nil, status.Errorf(codes.Unimplemented, "%s cannot be imported: it exists only in the Pulumi state", k.token)
	}
	k.refreshRenewal(state)
	props, err := propmap.Marshal(state)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: props, Inputs: req.GetInputs()}, nil
}

// Delete has nothing to do: removing the resource from the state is all there is.
func (p *provider) Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}
