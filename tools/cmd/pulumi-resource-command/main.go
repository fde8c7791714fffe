// Command pulumi-resource-command is a drop-in replacement for the "command" resource
// provider plugin (schema of @pulumi/command 1.2.1). The upstream Go module is not
// obtainable in our air-gapped build, so this implements the resources the project
// uses — remote:Command, remote:CopyToRemote (+ deprecated remote:CopyFile),
// local:Command and the local:run invoke — directly against the provider gRPC protocol.
package main

import (
	"context"
	"fmt"
	"os"
	"sync"

	pkgprovider "github.com/pulumi/pulumi/pkg/v3/resource/provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
)

const (
	providerName    = "command"
	providerVersion = "1.2.1" // must match the npm SDK, which requests this exact plugin version
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		fmt.Println(providerVersion)
		return
	}
	err := pkgprovider.Main(providerName, func(host *pkgprovider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return newProvider(host), nil
	})
	if err != nil {
		cmdutil.ExitError(err.Error())
	}
}

type provider struct {
	pulumirpc.UnimplementedResourceProviderServer

	mu   sync.Mutex
	host *pkgprovider.HostClient // nil when started without an engine (attach mode, tests)

	// ctx is cancelled by Cancel so in-flight commands stop when the engine asks.
	ctx    context.Context
	cancel context.CancelFunc
}

func newProvider(host *pkgprovider.HostClient) *provider {
	ctx, cancel := context.WithCancel(context.Background())
	return &provider{host: host, ctx: ctx, cancel: cancel}
}

func (p *provider) engine() *pkgprovider.HostClient {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.host
}

// opContext joins the request context, the provider-wide cancel and a custom timeout.
func (p *provider) opContext(ctx context.Context, timeoutSec float64) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(p.ctx, cancel)
	if timeoutSec > 0 {
		var c2 context.CancelFunc
		ctx, c2 = context.WithTimeout(ctx, secondsToDuration(timeoutSec))
		return ctx, func() { c2(); stop(); cancel() }
	}
	return ctx, func() { stop(); cancel() }
}

// The engine sends secrets wrapped only to providers that accept them; we do, so secret
// inputs (the SDK wraps the whole `connection`) stay secret in the state we return.
func (p *provider) Handshake(context.Context, *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	return &pulumirpc.ProviderHandshakeResponse{AcceptSecrets: true}, nil
}

func (p *provider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true}, nil
}

// The provider has no configuration; accept whatever the engine passes (e.g. "version").
func (p *provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *provider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: providerVersion}, nil
}

// Deployments never need the schema (the SDK is pre-generated); a minimal valid one keeps
// `pulumi package get-schema`-style callers from failing.
func (p *provider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: `{"name":"command","version":"` + providerVersion + `"}`}, nil
}

func (p *provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	p.cancel()
	return &emptypb.Empty{}, nil
}

// Attach is used when the plugin was started by hand (PULUMI_DEBUG_PROVIDERS).
func (p *provider) Attach(_ context.Context, req *pulumirpc.PluginAttach) (*emptypb.Empty, error) {
	host, err := pkgprovider.NewHostClient(req.GetAddress())
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.host = host
	p.mu.Unlock()
	return &emptypb.Empty{}, nil
}
