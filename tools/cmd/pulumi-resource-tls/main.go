// Command pulumi-resource-tls is a Pulumi resource provider plugin for the "tls" package.
//
// The official provider (github.com/pulumi/pulumi-tls/provider/v5) cannot be fetched in our
// offline setup, so this plugin implements the same resource schema (the one the unchanged npm
// SDK @pulumi/tls@5.6.1 speaks) with the Go standard library, following the semantics of the
// Terraform tls provider that the official one bridges: PrivateKey, SelfSignedCert, CertRequest
// and LocallySignedCert.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

// version is what we report to the engine; it must match the "pulumi.version" of the npm SDK
// so that the engine picks this plugin for the SDK's default provider.
const version = "5.6.1"

// engineAddress returns the last positional argument. Flags are skipped by hand rather than
// with package flag: the engine passes -v, --logtostderr and --tracing <endpoint>, and an
// unknown flag must not make the plugin exit before it has printed its port.
func engineAddress(args []string) string {
	addr := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			addr = a
			continue
		}
		if name := strings.TrimLeft(a, "-"); name == "tracing" || name == "root" {
			i++ // these take a separate value
		}
	}
	return addr
}

func main() {
	if len(os.Args) > 1 && strings.TrimLeft(os.Args[1], "-") == "version" {
		fmt.Println(version)
		return
	}
	addr := engineAddress(os.Args[1:])

	// Stop on SIGINT (how the engine shuts plugins down) or when the engine stops answering its
	// health check, so that a crashed engine does not leave this process behind.
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	stop := make(chan bool)
	go func() {
		<-ctx.Done()
		close(stop)
	}()
	if addr != "" {
		if err := rpcutil.Healthcheck(ctx, addr, 5*time.Minute, cancel); err != nil {
			fatalf("could not start health check: %v", err)
		}
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stop,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(srv, newProvider())
			return nil
		},
	})
	if err != nil {
		fatalf("could not start provider RPC server: %v", err)
	}
	// The engine reads the port from our first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fatalf("provider RPC stopped serving: %v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "error: "+format+"\n", args...)
	os.Exit(1)
}
