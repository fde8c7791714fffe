// Command pulumi-language-nodejs is a small Node.js language host for the Pulumi engine.
//
// The official host (module github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3)
// cannot be fetched in our offline setup, so this one re-implements the part of it the engine
// needs to run a program: it starts @pulumi/pulumi's own `cmd/run` script with node, which does
// the real work (ts-node registration, entry point resolution, talking to the engine).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

// version is reported to the engine; it matches the @pulumi/pulumi and CLI version we pin.
const version = "3.248.0"

// options holds what we take from the command line. The engine passes logging and tracing
// flags followed by its own address as the (last) positional argument.
type options struct {
	tracing       string
	engineAddress string
	logToStderr   bool
	verbose       int
	showVersion   bool
}

// parseArgs parses flags by hand rather than with package flag: the engine may pass flags this
// host does not know (and future engines may add more), and an unknown flag must not make the
// plugin exit before it has printed its port.
func parseArgs(args []string) options {
	var o options
	var positional []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			positional = append(positional, arg)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		// takeValue consumes "-name value" for flags known to carry a value.
		takeValue := func() string {
			if hasValue {
				return value
			}
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch name {
		case "tracing":
			o.tracing = takeValue()
		case "root", "runtime":
			// -root is passed by some engine versions; we get the root directory from each
			// request's ProgramInfo instead. -runtime selects bun upstream; we only run node.
			takeValue()
		case "v":
			if !hasValue && i+1 < len(args) {
				if _, err := strconv.Atoi(args[i+1]); err == nil {
					i++
					value = args[i]
				}
			}
			o.verbose, _ = strconv.Atoi(value)
		case "logtostderr":
			o.logToStderr = !hasValue || value == "true"
		case "version":
			o.showVersion = true
		default:
			// Unknown flag: ignore it. Without "=value" we cannot know whether the next
			// argument belongs to it, so treat it as a boolean flag.
		}
	}
	// The engine address is always the last positional argument.
	if len(positional) > 0 {
		o.engineAddress = positional[len(positional)-1]
	}
	return o
}

func main() {
	opts := parseArgs(os.Args[1:])
	if opts.showVersion {
		fmt.Println(version)
		return
	}
	logging.InitLogging(opts.logToStderr, opts.verbose, false)

	// Stop serving on Ctrl-C, or when the engine stops answering its health check, so that a
	// crashed engine does not leave this process behind.
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	stop := make(chan bool)
	go func() {
		<-ctx.Done()
		cancel()
		close(stop)
	}()
	if opts.engineAddress != "" {
		if err := rpcutil.Healthcheck(ctx, opts.engineAddress, 5*time.Minute, cancel); err != nil {
			fatalf("could not start health check: %v", err)
		}
	}

	host := newHost(opts.engineAddress, opts.tracing)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stop,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		fatalf("could not start language host RPC server: %v", err)
	}

	// The engine reads the port from our first line of stdout.
	fmt.Printf("%d\n", handle.Port)

	if err := <-handle.Done; err != nil {
		fatalf("language host RPC stopped serving: %v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "error: "+format+"\n", args...)
	os.Exit(1)
}
