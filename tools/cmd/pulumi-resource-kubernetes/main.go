// Command pulumi-resource-kubernetes is a generic Kubernetes resource provider plugin for the
// unchanged npm SDK @pulumi/kubernetes 4.34.2. The upstream provider module cannot be fetched in
// our offline build, so this plugin handles every `kubernetes:<group>/<version>:<Kind>` token
// the same way: server-side apply through client-go's dynamic client, with simple readiness
// waits for the kinds that need them. It talks the provider gRPC protocol directly.
package main

import (
	"context"
	"fmt"
	"os"
	"sync"

	pkgprovider "github.com/pulumi/pulumi/pkg/v3/resource/provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
)

const (
	providerName    = "kubernetes"
	providerVersion = "4.34.2" // must match the npm SDK, which requests this exact plugin version
)

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "--version" || os.Args[1] == "-version") {
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
	cfg  *kubeConfig             // set by Configure; zero value means "ambient kubeconfig"
	// clus is built on first use, so previews and Check/Diff never need a reachable cluster.
	clus       cluster
	newCluster func(*kubeConfig) (cluster, error)

	// ctx is cancelled by Cancel so in-flight waits stop when the engine asks.
	ctx    context.Context
	cancel context.CancelFunc
}

func newProvider(host *pkgprovider.HostClient) *provider {
	ctx, cancel := context.WithCancel(context.Background())
	return &provider{host: host, cfg: &kubeConfig{}, newCluster: newKubeCluster, ctx: ctx, cancel: cancel}
}

// client returns the cluster connection, creating it the first time a real operation needs it.
func (p *provider) client() (cluster, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.clus != nil {
		return p.clus, nil
	}
	c, err := p.newCluster(p.cfg)
	if err != nil {
		return nil, err
	}
	p.clus = c
	return c, nil
}

func (p *provider) config() *kubeConfig {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cfg
}

// opContext joins the request context with the provider-wide cancel.
func (p *provider) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(p.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

// status shows progress (e.g. "1/2 replicas available") in the engine's Info column.
func (p *provider) status(ctx context.Context, urn, msg string) {
	p.mu.Lock()
	host := p.host
	p.mu.Unlock()
	if host != nil {
		_ = host.LogStatus(ctx, diag.Info, resource.URN(urn), msg)
	}
}

// The engine sends secrets wrapped only to providers that accept them; we do, so secret
// inputs stay secret in the state we return.
func (p *provider) Handshake(context.Context, *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	return &pulumirpc.ProviderHandshakeResponse{AcceptSecrets: true}, nil
}

func (p *provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: providerVersion}, nil
}

// Deployments never need the schema (the SDK is pre-generated); a minimal valid one keeps
// schema callers from failing.
func (p *provider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: `{"name":"kubernetes","version":"` + providerVersion + `"}`}, nil
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
