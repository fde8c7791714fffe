package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/shlex"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
)

// bailExitCode is what @pulumi/pulumi's cmd/run exits with after it has already shown the user
// an actionable error; the engine must then stop without adding a message of its own.
const bailExitCode = 32

// runScript is @pulumi/pulumi's program runner, relative to a node_modules directory.
const runScript = "@pulumi/pulumi/cmd/run"

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	mu            sync.Mutex
	engineAddress string
	tracing       string
	rootDir       string // from Handshake; requests normally carry their own ProgramInfo
	programDir    string

	// cancelCtx is cancelled by the Cancel RPC and stops running programs.
	cancelCtx  context.Context
	cancelFunc context.CancelFunc
}

func newHost(engineAddress, tracing string) *host {
	ctx, cancel := context.WithCancel(context.Background())
	return &host{engineAddress: engineAddress, tracing: tracing, cancelCtx: ctx, cancelFunc: cancel}
}

func (h *host) Handshake(
	_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	h.rootDir = req.GetRootDirectory()
	h.programDir = req.GetProgramDirectory()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.cancelFunc()
	return &emptypb.Empty{}, nil
}

// programDirOf picks the program directory from a request's ProgramInfo, falling back to what the
// Handshake told us and then to the working directory (the engine starts us in the program dir).
func (h *host) programDirOf(info *pulumirpc.ProgramInfo) string {
	if dir := info.GetProgramDirectory(); dir != "" {
		return dir
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.programDir != "" {
		return h.programDir
	}
	wd, _ := os.Getwd()
	return wd
}

func (h *host) GetRequiredPackages(
	_ context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	pkgs, err := requiredPackages(h.programDirOf(req.GetInfo()))
	if err != nil {
		// Like upstream: a broken package.json must not block the deployment, only log it.
		logging.V(3).Infof("errors while discovering plugins: %v", err)
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: pkgs}, nil
}

// GetRequiredPlugins is the older form of GetRequiredPackages, still used by some engine paths.
func (h *host) GetRequiredPlugins(
	_ context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	dir := h.programDirOf(req.GetInfo())
	if req.GetInfo() == nil && req.GetPwd() != "" {
		dir = req.GetPwd()
	}
	pkgs, err := requiredPackages(dir)
	if err != nil {
		logging.V(3).Infof("errors while discovering plugins: %v", err)
	}
	plugins := make([]*pulumirpc.PluginDependency, 0, len(pkgs))
	for _, p := range pkgs {
		plugins = append(plugins, &pulumirpc.PluginDependency{
			Name: p.Name, Kind: p.Kind, Version: p.Version, Server: p.Server,
		})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

// InstallDependencies deliberately installs nothing: this project runs npm itself, and the
// engine only needs the call to succeed (e.g. for `pulumi install`).
func (h *host) InstallDependencies(
	_ *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	return server.Send(&pulumirpc.InstallDependenciesResponse{
		Stdout: []byte("Skipping dependency installation: install node modules with npm.\n"),
	})
}

func (h *host) RuntimeOptionsPrompts(
	context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *host) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("could not find node on the $PATH: %w", err)
	}
	out, err := exec.Command(nodeBin, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("failed to get node version: %w", err)
	}
	return &pulumirpc.AboutResponse{
		Executable: nodeBin,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "v"),
	}, nil
}

func (h *host) GetProgramDependencies(
	_ context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	deps, err := programDependencies(h.programDirOf(req.GetInfo()))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

// runtimeOptions are the `runtime.options` of Pulumi.yaml that affect how node is started.
type runtimeOptions struct {
	typescript bool
	tsconfig   string
	nodeargs   string
}

func parseRuntimeOptions(info *pulumirpc.ProgramInfo) (runtimeOptions, error) {
	o := runtimeOptions{typescript: true} // upstream default: run .ts through ts-node
	m := info.GetOptions().AsMap()
	if v, ok := m["typescript"]; ok {
		b, ok := v.(bool)
		if !ok {
			return o, errors.New("typescript option must be a boolean")
		}
		o.typescript = b
	}
	if v, ok := m["tsconfig"]; ok {
		s, ok := v.(string)
		if !ok {
			return o, errors.New("tsconfig option must be a string")
		}
		o.tsconfig = s
	}
	if v, ok := m["nodeargs"]; ok {
		s, ok := v.(string)
		if !ok {
			return o, errors.New("nodeargs option must be a string")
		}
		o.nodeargs = s
	}
	return o, nil
}

// Run starts `node [nodeargs] .../@pulumi/pulumi/cmd/run <flags> <entry point>` and waits for it.
// Program failures are reported in RunResponse.Error, not as an RPC error.
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	programDir := h.programDirOf(info)
	fail := func(err error) (*pulumirpc.RunResponse, error) {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return fail(fmt.Errorf("could not find node on the $PATH: %w", err))
	}
	runPath := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH") // test hook, as upstream
	if runPath == "" {
		if runPath, err = findUp(programDir, filepath.Join("node_modules", runScript)); err != nil {
			return fail(errors.New(
				"It looks like the Pulumi SDK has not been installed. Have you run npm install?"))
		}
	}
	opts, err := parseRuntimeOptions(info)
	if err != nil {
		return fail(err)
	}
	nodeArgs, err := shlex.Split(opts.nodeargs)
	if err != nil {
		return fail(fmt.Errorf("invalid nodeargs: %w", err))
	}
	config, err := configJSON(req.GetConfig())
	if err != nil {
		return fail(fmt.Errorf("failed to serialize configuration: %w", err))
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretKeysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return fail(err)
	}

	env := append(os.Environ(),
		"PULUMI_CONFIG="+config,
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeysJSON))
	// cmd/run only registers ts-node when told to; upstream sets this unless `typescript: false`.
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}

	args := append(nodeArgs, h.runArgs(req, runPath, programDir)...)
	logging.V(5).Infof("Language host launching process: %s %s", nodeBin, strings.Join(args, " "))

	// Stop node when the engine cancels (Cancel RPC) or the Run call goes away (engine died).
	cmdCtx, cmdCancel := context.WithCancel(h.cancelCtx)
	defer cmdCancel()
	stopWatch := context.AfterFunc(ctx, cmdCancel)
	defer stopWatch()
	cmd := exec.CommandContext(cmdCtx, nodeBin, args...)
	cmd.Cancel = func() error {
		// Interrupt first so the SDK can flush; WaitDelay kills it if it does not exit.
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = env
	// Wrap our stdout/stderr so that node gets pipes rather than our own file descriptors: node
	// may switch its stdio to non-blocking mode, which would also affect this process.
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}

	err = cmd.Run()
	if err == nil {
		return &pulumirpc.RunResponse{}, nil
	}
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		return fail(fmt.Errorf("Problem executing program (could not run language executor): %w", err))
	}
	switch code := exitErr.ExitCode(); code {
	case bailExitCode:
		return &pulumirpc.RunResponse{Bail: true}, nil
	case 0:
		return fail(fmt.Errorf("Program exited unexpectedly: %w", exitErr))
	default:
		return fail(fmt.Errorf("Program exited with non-zero exit code: %d", code))
	}
}

// runArgs builds the command line of @pulumi/pulumi's cmd/run (see its usage()).
func (h *host) runArgs(req *pulumirpc.RunRequest, runPath, programDir string) []string {
	h.mu.Lock()
	engine, rootDir := h.engineAddress, h.rootDir
	h.mu.Unlock()
	if d := req.GetInfo().GetRootDirectory(); d != "" {
		rootDir = d
	}

	args := []string{runPath}
	add := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", engine)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("root-directory", rootDir)
	add("stack", req.GetStack())
	add("pwd", programDir)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	add("tracing", h.tracing)

	// "." makes cmd/run resolve the entry point from package.json (exports/main).
	entry := req.GetInfo().GetEntryPoint()
	if entry == "" {
		entry = "."
	}
	args = append(args, entry)
	return append(args, req.GetArgs()...)
}

// configJSON serializes the stack config for PULUMI_CONFIG. Like upstream it rewrites keys from
// "ns:name" to the legacy "ns:config:name" form, which every @pulumi/pulumi version understands.
func configJSON(config map[string]string) (string, error) {
	out := make(map[string]string, len(config))
	for k, v := range config {
		parts := strings.Split(k, ":")
		switch {
		case len(parts) == 2:
			out[parts[0]+":config:"+parts[1]] = v
		case len(parts) == 3 && parts[1] == "config":
			out[k] = v
		default:
			return "", fmt.Errorf("could not parse %s as a configuration key", k)
		}
	}
	b, err := json.Marshal(out)
	return string(b), err
}
