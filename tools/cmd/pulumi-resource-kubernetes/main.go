// Command pulumi-resource-kubernetes is a generic Kubernetes resource provider plugin for the
// unchanged npm SDK @pulumi/kubernetes 4.34.2. The upstream provider module cannot be fetched in
// our offline build, so this plugin handles every `kubernetes:<group>/<version>:<Kind>` token
// the same way: server-side apply through client-go's dynamic client, with simple readiness
// waits for the kinds that need them. It talks the provider gRPC protocol directly.
package main

import (
	"context"
	"sync"

	pkgprovider "github.com/pulumi/pulumi/pkg/v3/resource/provider"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"onprem-k8s/tools/cmd/internal/pluginbase"
)

const (
	providerName    = "kubernetes"
	providerVersion = "4.34.2" // must match the npm SDK, which requests this exact plugin version
)

func main() {
	pluginbase.Main(providerName, providerVersion, []string{"--version", "-version"}, func(host *pkgprovider.HostClient) pulumirpc.ResourceProviderServer {
		return newProvider(host)
	})
}

// provider gets Handshake, GetPluginInfo, GetSchema, Cancel and Attach from pluginbase.
type provider struct {
	*pluginbase.Provider

	mu  sync.Mutex  // guards cfg and clus
	cfg *kubeConfig // set by Configure; zero value means "ambient kubeconfig"
	// clus is built on first use, so previews and Check/Diff never need a reachable cluster.
	clus       cluster
	newCluster func(*kubeConfig) (cluster, error)
}

func newProvider(host *pkgprovider.HostClient) *provider {
	return &provider{Provider: pluginbase.New(providerName, providerVersion, host), cfg: &kubeConfig{}, newCluster: newKubeCluster}
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
	stop := context.AfterFunc(p.Context(), cancel)
	return ctx, func() { stop(); cancel() }
}

// status shows progress (e.g. "1/2 replicas available") in the engine's Info column.
func (p *provider) status(ctx context.Context, urn, msg string) {
	if host := p.Host(); host != nil {
		_ = host.LogStatus(ctx, diag.Info, resource.URN(urn), msg)
	}
}
