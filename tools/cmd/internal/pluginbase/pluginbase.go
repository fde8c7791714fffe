// Package pluginbase holds the start-up and the engine-facing RPC methods that the command and
// kubernetes provider plugins share; each plugin keeps its resources in its own package.
package pluginbase

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"

	pkgprovider "github.com/pulumi/pulumi/pkg/v3/resource/provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Main serves a provider to the engine. A first argument in versionFlags prints the version
// instead; the flags are the plugin's own so each keeps the exact command line it had.
func Main(name, version string, versionFlags []string, newServer func(*pkgprovider.HostClient) pulumirpc.ResourceProviderServer) {
	if len(os.Args) > 1 && slices.Contains(versionFlags, os.Args[1]) {
		fmt.Println(version)
		return
	}
	err := pkgprovider.Main(name, func(host *pkgprovider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return newServer(host), nil
	})
	if err != nil {
		cmdutil.ExitError(err.Error())
	}
}

// Provider is embedded by a plugin's provider: it answers the handshake, plugin info, schema,
// Cancel and Attach calls, and keeps the engine connection. The plugin's methods override it.
type Provider struct {
	pulumirpc.UnimplementedResourceProviderServer

	name, version string

	mu   sync.Mutex
	host *pkgprovider.HostClient // nil when started without an engine (attach mode, tests)

	// ctx is cancelled by Cancel so in-flight operations stop when the engine asks.
	ctx    context.Context
	cancel context.CancelFunc
}

// New returns the shared part of a provider; host may be nil.
func New(name, version string, host *pkgprovider.HostClient) *Provider {
	ctx, cancel := context.WithCancel(context.Background())
	return &Provider{name: name, version: version, host: host, ctx: ctx, cancel: cancel}
}

// Host is the engine connection, or nil before one is known.
func (p *Provider) Host() *pkgprovider.HostClient {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.host
}

// Context is done once the engine has called Cancel.
func (p *Provider) Context() context.Context { return p.ctx }

// The engine sends secrets wrapped only to providers that accept them; we do, so secret
// inputs stay secret in the state we return.
func (p *Provider) Handshake(context.Context, *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	return &pulumirpc.ProviderHandshakeResponse{AcceptSecrets: true}, nil
}

func (p *Provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: p.version}, nil
}

// Deployments never need the schema (the SDK is pre-generated); a minimal valid one keeps
// schema callers from failing.
func (p *Provider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: `{"name":"` + p.name + `","version":"` + p.version + `"}`}, nil
}

func (p *Provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	p.cancel()
	return &emptypb.Empty{}, nil
}

// Attach is used when the plugin was started by hand (PULUMI_DEBUG_PROVIDERS).
func (p *Provider) Attach(_ context.Context, req *pulumirpc.PluginAttach) (*emptypb.Empty, error) {
	host, err := pkgprovider.NewHostClient(req.GetAddress())
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.host = host
	p.mu.Unlock()
	return &emptypb.Empty{}, nil
}
