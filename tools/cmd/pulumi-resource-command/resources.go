package main

// Resource lifecycle: Check/Diff/Create/Update/Delete/Read for the command resources and
// the local:run invoke.
//
// Failure semantics: a failed create returns a plain error and no state (the resource is
// not created); a failed update returns a plain error, so the engine keeps the previous
// inputs and outputs and the next `up` diffs and retries; a failed delete keeps the
// resource in state.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"

	"onprem-k8s/tools/cmd/internal/propmap"
)

func secondsToDuration(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func typeOf(urn string) string { return string(resource.URN(urn).Type()) }

func knownType(typ string) error {
	switch typ {
	case tRemoteCommand, tCopyToRemote, tCopyFile, tLocalCommand:
		return nil
	}
	return fmt.Errorf("unknown resource type %q", typ)
}

func (p *provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	typ := typeOf(req.GetUrn())
	if err := knownType(typ); err != nil {
		return nil, err
	}
	news, err := propmap.Unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	checked, failures := checkInputs(typ, news)
	inputs, err := propmap.Marshal(checked)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: inputs, Failures: failures}, nil
}

func (p *provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := propmap.Unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	oldInputs, err := propmap.Unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	news, err := propmap.Unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	return diffInputs(inputsOf(oldInputs, olds), news), nil
}

func newID(urn string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return resource.URN(urn).Name() + "-" + hex.EncodeToString(b)
}

// previewOutputs: the state a run would produce, with what only the run knows left unknown.
func previewOutputs(typ string, news resource.PropertyMap) resource.PropertyMap {
	outs := news.Copy()
	if typ == tRemoteCommand || typ == tLocalCommand {
		secret := stdioSecret(news)
		outs["stdout"] = rewrap(propmap.Unknown(), secret)
		outs["stderr"] = rewrap(propmap.Unknown(), secret)
		if _, ok := news["assetPaths"]; ok {
			outs["assets"] = propmap.Unknown()
		}
		if _, ok := news["archivePaths"]; ok {
			outs["archive"] = propmap.Unknown()
		}
	}
	return outs
}

func (p *provider) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	typ := typeOf(req.GetUrn())
	if err := knownType(typ); err != nil {
		return nil, err
	}
	news, err := propmap.Unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		props, err := propmap.Marshal(previewOutputs(typ, news))
		return &pulumirpc.CreateResponse{Properties: props}, err
	}
	ctx, cancel := p.opContext(ctx, req.GetTimeout())
	defer cancel()
	outs, err := p.apply(ctx, req.GetUrn(), typ, "create", news, nil)
	if err != nil {
		return nil, err
	}
	props, err := propmap.Marshal(outs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: newID(req.GetUrn()), Properties: props}, nil
}

func (p *provider) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	typ := typeOf(req.GetUrn())
	if err := knownType(typ); err != nil {
		return nil, err
	}
	olds, err := propmap.Unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	oldInputs, err := propmap.Unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	news, err := propmap.Unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	var outs resource.PropertyMap
	switch {
	case !needsRun(inputsOf(oldInputs, olds), news):
		outs = carryOutputs(olds, news)
		if typ == tLocalCommand {
			var a commandArgs
			if err := decode(news, &a); err != nil {
				return nil, err
			}
			restoreAssets(&a, outs)
		}
	case req.GetPreview():
		outs = previewOutputs(typ, news)
	default:
		ctx, cancel := p.opContext(ctx, req.GetTimeout())
		defer cancel()
		if outs, err = p.apply(ctx, req.GetUrn(), typ, "update", news, olds); err != nil {
			return nil, err
		}
	}
	props, err := propmap.Marshal(outs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

// carryOutputs keeps the previous run's outputs when nothing needs to run.
func carryOutputs(olds, news resource.PropertyMap) resource.PropertyMap {
	outs := news.Copy()
	for k := range outputOnly {
		if v, ok := olds[k]; ok {
			inner, wasSecret := propmap.Unwrap(v)
			outs[k] = rewrap(inner, wasSecret || (k == "stdout" || k == "stderr") && stdioSecret(news))
		}
	}
	return outs
}

func (p *provider) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	typ := typeOf(req.GetUrn())
	if typ != tRemoteCommand && typ != tLocalCommand {
		return &emptypb.Empty{}, nil // copies are not removed from the host (as upstream)
	}
	olds, err := propmap.Unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	var a commandArgs
	if err := decode(olds, &a); err != nil {
		return nil, err
	}
	if a.Delete == nil || strings.TrimSpace(*a.Delete) == "" {
		return &emptypb.Empty{}, nil
	}
	ctx, cancel := p.opContext(ctx, req.GetTimeout())
	defer cancel()
	prev := &runResult{Stdout: a.Stdout, Stderr: a.Stderr, Secret: anySecret(olds, "stdout", "stderr")}
	_, err = p.execute(ctx, req.GetUrn(), typ, &a, *a.Delete, prev, secrecyOf(olds, &a, anySecret(olds, "delete", "environment", "stdin", "stdout"), "delete"))
	if err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// Read (refresh/import) cannot observe a command's effects; the state is returned as-is
// (asset outputs re-hydrated, see restoreAssets).
func (p *provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	props, err := propmap.Unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	inputs := req.GetInputs()
	if inputs == nil {
		if inputs, err = propmap.Marshal(inputsOf(nil, props)); err != nil {
			return nil, err
		}
	}
	if typeOf(req.GetUrn()) == tLocalCommand {
		var a commandArgs
		if err := decode(props, &a); err != nil {
			return nil, err
		}
		restoreAssets(&a, props)
	}
	state, err := propmap.Marshal(props)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: state, Inputs: inputs}, nil
}

func (p *provider) Invoke(ctx context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	if req.GetTok() != tLocalRun {
		return nil, fmt.Errorf("unknown function %q", req.GetTok())
	}
	args, err := propmap.Unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	var a commandArgs
	if err := decode(args, &a); err != nil {
		return nil, err
	}
	if a.Command == nil {
		return &pulumirpc.InvokeResponse{Failures: []*pulumirpc.CheckFailure{{Property: "command", Reason: "missing required property 'command'"}}}, nil
	}
	ctx, cancel := p.opContext(ctx, 0)
	defer cancel()
	secret := stdioSecret(args)
	res, err := p.execute(ctx, "", tLocalCommand, &a, *a.Command, nil, secrecyOf(args, &a, secret, "command"))
	if err != nil {
		return nil, err
	}
	outs := args.Copy()
	outs["stdout"] = rewrap(resource.NewStringProperty(res.Stdout), secret)
	outs["stderr"] = rewrap(resource.NewStringProperty(res.Stderr), secret)
	if err := collectAssets(&a, outs); err != nil {
		return nil, err
	}
	ret, err := propmap.Marshal(outs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.InvokeResponse{Return: ret}, nil
}

// apply performs a create or update for real and returns the new state.
func (p *provider) apply(ctx context.Context, urn, typ, op string, news, olds resource.PropertyMap) (resource.PropertyMap, error) {
	for k, v := range news {
		if v.ContainsUnknowns() && !replaceKeys[k] {
			return nil, fmt.Errorf("input %q is still unknown at %s time", k, op)
		}
	}
	switch typ {
	case tCopyToRemote, tCopyFile:
		return news.Copy(), p.copy(ctx, typ, news)
	}
	var a commandArgs
	if err := decode(news, &a); err != nil {
		return nil, err
	}
	cmd := a.Create
	var prev *runResult
	if op == "update" {
		if a.Update != nil && *a.Update != "" {
			cmd = a.Update
		}
		var old commandArgs
		if err := decode(olds, &old); err == nil {
			prev = &runResult{Stdout: old.Stdout, Stderr: old.Stderr, Secret: anySecret(olds, "stdout", "stderr")}
		}
	}
	secret := stdioSecret(news)
	res := runResult{}
	if cmd != nil && strings.TrimSpace(*cmd) != "" {
		var err error
		if res, err = p.execute(ctx, urn, typ, &a, *cmd, prev, secrecyOf(news, &a, secret, "create", "update")); err != nil {
			return nil, err
		}
	}
	outs := news.Copy()
	outs["stdout"] = rewrap(resource.NewStringProperty(res.Stdout), secret)
	outs["stderr"] = rewrap(resource.NewStringProperty(res.Stderr), secret)
	if typ == tLocalCommand {
		if err := collectAssets(&a, outs); err != nil {
			return nil, err
		}
	}
	return outs, nil
}

func (p *provider) copy(ctx context.Context, typ string, news resource.PropertyMap) error {
	var a copyArgs
	if err := decode(news, &a); err != nil {
		return err
	}
	source := news["source"]
	if typ == tCopyFile {
		var err error
		if source, err = localPathAsset(a.LocalPath); err != nil {
			return err
		}
	}
	plan, err := planCopy(source, a.RemotePath)
	if err != nil {
		return err
	}
	client, err := dialSSH(ctx, a.Connection, nil)
	if err != nil {
		return err
	}
	defer client.Close()
	return runCopy(ctx, client, plan)
}

// execute runs one command (remote or local), streaming output lines to the engine
// unless `logging` or secrecy says otherwise, and returns the trimmed stdout/stderr.
func (p *provider) execute(ctx context.Context, urn, typ string, a *commandArgs, cmd string,
	prev *runResult, sec secrecy,
) (runResult, error) {
	secret := sec.output
	// A secret previous output reaches the command through its environment: redact it as well.
	if prev != nil && prev.Secret {
		sec.values = append(sec.values, prev.Stdout, prev.Stderr)
	}
	env := map[string]string{}
	for k, v := range a.Environment {
		env[k] = v
	}
	if prev != nil && (a.AddPreviousOutputInEnv == nil || *a.AddPreviousOutputInEnv) {
		env["PULUMI_COMMAND_STDOUT"] = prev.Stdout
		env["PULUMI_COMMAND_STDERR"] = prev.Stderr
	}
	var outBuf, errBuf bytes.Buffer
	var stdout, stderr io.Writer = &outBuf, &errBuf
	logOut, logErr := true, true
	switch a.Logging {
	case "stdout":
		logErr = false
	case "stderr":
		logOut = false
	case "none":
		logOut, logErr = false, false
	}
	host := p.Host()
	if secret || host == nil || urn == "" {
		logOut, logErr = false, false // never echo secret output to the console
	}
	var flushers []*lineWriter
	if logOut || logErr {
		logLine := func(line string) {
			_ = host.LogStatus(context.Background(), diag.Info, resource.URN(urn), line)
		}
		if logOut {
			lw := &lineWriter{fn: logLine}
			flushers = append(flushers, lw)
			stdout = io.MultiWriter(&outBuf, lw)
		}
		if logErr {
			lw := &lineWriter{fn: logLine}
			flushers = append(flushers, lw)
			stderr = io.MultiWriter(&errBuf, lw)
		}
	}
	var err error
	if typ == tLocalCommand {
		err = runLocal(ctx, a, cmd, env, stdout, stderr)
	} else {
		logf := func(msg string) {
			if host != nil && urn != "" {
				_ = host.LogStatus(context.Background(), diag.Info, resource.URN(urn), msg)
			}
		}
		client, derr := dialSSH(ctx, a.Connection, logf)
		if derr != nil {
			return runResult{}, derr
		}
		defer client.Close()
		// The previous outputs only go inline when small and not secret: the command line
		// is visible in the remote process list and limited in length.
		canInline := func(k string) bool {
			if k != "PULUMI_COMMAND_STDOUT" && k != "PULUMI_COMMAND_STDERR" {
				return true
			}
			return prev != nil && !prev.Secret && len(prev.Stdout)+len(prev.Stderr) <= 16<<10
		}
		err = runRemote(ctx, client, cmd, env, canInline, a.Stdin, stdout, stderr)
	}
	for _, f := range flushers {
		f.Flush()
	}
	res := runResult{
		Stdout: strings.TrimSuffix(outBuf.String(), "\n"),
		Stderr: strings.TrimSuffix(errBuf.String(), "\n"),
	}
	var ee *exitError
	if errors.As(err, &ee) {
		// Identify the command and show why it failed. A secret command hides both; a plain command
		// that gets secrets (stdin, environment) shows its output with those values redacted.
		if !sec.command {
			ee.what = describeCommand(cmd)
			ee.stderr = sec.redact(tailLines(res.Stderr, 20))
		} else {
			ee.what = "(command and output are secret)"
		}
		if a.Connection != nil {
			ee.what = strings.TrimSpace(ee.what + " on " + a.Connection.addr())
		}
		return res, ee
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return res, fmt.Errorf("command interrupted: %w", err)
	}
	return res, err
}
