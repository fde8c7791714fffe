// Command pulumi-resource-command is a drop-in replacement for the "command" resource
// provider plugin (schema of @pulumi/command 1.2.1). The upstream Go module is not
// obtainable in our air-gapped build, so this implements the resources the project
// uses — remote:Command, remote:CopyToRemote (+ deprecated remote:CopyFile),
// local:Command and the local:run invoke — directly against the provider gRPC protocol.
package main

import (
	"context"

	pkgprovider "github.com/pulumi/pulumi/pkg/v3/resource/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"onprem-k8s/tools/cmd/internal/pluginbase"
)

const (
	providerName    = "command"
	providerVersion = "1.2.1" // must match the npm SDK, which requests this exact plugin version
)

func main() {
	pluginbase.Main(providerName, providerVersion, []string{"--version"}, func(host *pkgprovider.HostClient) pulumirpc.ResourceProviderServer {
		return newProvider(host)
	})
}

// provider gets Handshake, GetPluginInfo, GetSchema, Cancel and Attach from pluginbase.
type provider struct {
	*pluginbase.Provider
}

func newProvider(host *pkgprovider.HostClient) *provider {
	return &provider{Provider: pluginbase.New(providerName, providerVersion, host)}
}

// opContext joins the request context, the provider-wide cancel and a custom timeout.
func (p *provider) opContext(ctx context.Context, timeoutSec float64) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(p.Context(), cancel)
	if timeoutSec > 0 {
		var c2 context.CancelFunc
		ctx, c2 = context.WithTimeout(ctx, secondsToDuration(timeoutSec))
		return ctx, func() { c2(); stop(); cancel() }
	}
	return ctx, func() { stop(); cancel() }
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
