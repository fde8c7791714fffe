package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/asset"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"onprem-k8s/tools/cmd/internal/propmap"
)

func pm(m map[string]any) resource.PropertyMap { return resource.NewPropertyMapFromMap(m) }

func secretConn(m map[string]any) resource.PropertyValue {
	return resource.MakeSecret(resource.NewObjectProperty(pm(m)))
}

func TestCheckAppliesConnectionDefaultsAndKeepsSecret(t *testing.T) {
	news := resource.PropertyMap{
		"connection": secretConn(map[string]any{
			"host": "10.0.0.1", "privateKey": "KEY",
			"proxy": map[string]any{"host": "bastion", "port": 2200},
		}),
		"create": resource.NewStringProperty("true"),
	}
	out, failures := checkInputs(tRemoteCommand, news)
	if len(failures) != 0 {
		t.Fatalf("unexpected failures: %v", failures)
	}
	conn := out["connection"]
	if !conn.IsSecret() {
		t.Fatalf("connection lost its secret wrapper: %v", conn)
	}
	var a commandArgs
	if err := decode(out, &a); err != nil {
		t.Fatal(err)
	}
	c := a.Connection
	if c.Port != 22 || c.User != "root" || *c.DialErrorLimit != 10 || *c.PerDialTimeout != 15 || c.PrivateKey != "KEY" {
		t.Errorf("defaults not applied: %+v", c)
	}
	if c.Proxy == nil || c.Proxy.Port != 2200 || c.Proxy.User != "root" || *c.Proxy.DialErrorLimit != 10 {
		t.Errorf("proxy defaults not applied: %+v", c.Proxy)
	}
	// Values given by the program win over defaults.
	out, _ = checkInputs(tRemoteCommand, resource.PropertyMap{
		"connection": secretConn(map[string]any{"host": "h", "port": 2222, "user": "admin", "dialErrorLimit": -1}),
	})
	a = commandArgs{}
	_ = decode(out, &a)
	if a.Connection.Port != 2222 || a.Connection.User != "admin" || *a.Connection.DialErrorLimit != -1 {
		t.Errorf("explicit values overridden: %+v", a.Connection)
	}
}

func TestCheckFailures(t *testing.T) {
	_, f := checkInputs(tRemoteCommand, resource.PropertyMap{"create": resource.NewStringProperty("x")})
	if len(f) != 1 || f[0].Property != "connection" {
		t.Errorf("want missing connection, got %v", f)
	}
	_, f = checkInputs(tRemoteCommand, resource.PropertyMap{"connection": secretConn(map[string]any{"user": "u"})})
	if len(f) != 1 || f[0].Property != "connection.host" {
		t.Errorf("want missing host, got %v", f)
	}
	_, f = checkInputs(tCopyToRemote, resource.PropertyMap{
		"connection": secretConn(map[string]any{"host": "h"}),
		"source":     resource.NewStringProperty("not an asset"),
	})
	if len(f) != 2 {
		t.Errorf("want remotePath+source failures, got %v", f)
	}
	// Unknown values (preview) are fine.
	_, f = checkInputs(tCopyToRemote, resource.PropertyMap{
		"connection": resource.MakeComputed(resource.NewStringProperty("")),
		"source":     resource.MakeComputed(resource.NewStringProperty("")),
		"remotePath": resource.MakeComputed(resource.NewStringProperty("")),
	})
	if len(f) != 0 {
		t.Errorf("unknowns must pass Check, got %v", f)
	}
	// local commands need no connection.
	if _, f = checkInputs(tLocalCommand, resource.PropertyMap{}); len(f) != 0 {
		t.Errorf("local: %v", f)
	}
}

func base() resource.PropertyMap {
	return resource.PropertyMap{
		"connection": secretConn(map[string]any{"host": "h", "port": 22}),
		"create":     resource.NewStringProperty("echo a"),
		"triggers":   resource.NewArrayProperty([]resource.PropertyValue{resource.NewStringProperty("t1")}),
	}
}

func TestDiffDecisions(t *testing.T) {
	olds := base()
	if d := diffInputs(olds, base()); d.Changes != pulumirpc.DiffResponse_DIFF_NONE || len(d.Diffs) != 0 {
		t.Errorf("identical inputs must not diff: %v", d)
	}

	news := base()
	news["create"] = resource.NewStringProperty("echo b")
	d := diffInputs(olds, news)
	if d.Changes != pulumirpc.DiffResponse_DIFF_SOME || len(d.Replaces) != 0 ||
		d.DetailedDiff["create"].Kind != pulumirpc.PropertyDiff_UPDATE {
		t.Errorf("create change must be an in-place update: %v", d)
	}

	news = base()
	news["connection"] = secretConn(map[string]any{"host": "other", "port": 22})
	if d := diffInputs(olds, news); len(d.Replaces) != 0 || !reflect.DeepEqual(d.Diffs, []string{"connection"}) {
		t.Errorf("connection change must be an update: %v", d)
	}

	news = base()
	news["triggers"] = resource.NewArrayProperty([]resource.PropertyValue{resource.NewStringProperty("t2")})
	d = diffInputs(olds, news)
	if !reflect.DeepEqual(d.Replaces, []string{"triggers"}) || d.DetailedDiff["triggers"].Kind != pulumirpc.PropertyDiff_UPDATE_REPLACE {
		t.Errorf("trigger change must replace: %v", d)
	}

	news = base()
	news["triggers"] = resource.NewArrayProperty([]resource.PropertyValue{resource.MakeComputed(resource.NewStringProperty(""))})
	if d := diffInputs(olds, news); !reflect.DeepEqual(d.Replaces, []string{"triggers"}) {
		t.Errorf("unknown trigger must (possibly) replace: %v", d)
	}

	news = base()
	news["update"] = resource.NewStringProperty("echo u")
	delete(news, "triggers")
	d = diffInputs(olds, news)
	if d.DetailedDiff["update"].Kind != pulumirpc.PropertyDiff_ADD || d.DetailedDiff["triggers"].Kind != pulumirpc.PropertyDiff_DELETE_REPLACE {
		t.Errorf("add/delete kinds: %v", d.DetailedDiff)
	}

	news = base()
	news["create"] = resource.MakeSecret(resource.NewStringProperty("echo a"))
	if d := diffInputs(olds, news); !reflect.DeepEqual(d.Diffs, []string{"create"}) {
		t.Errorf("becoming secret must be recorded as a change: %v", d)
	}

	// Old state (no oldInputs): computed outputs are not inputs.
	state := base()
	state["stdout"] = resource.NewStringProperty("out")
	state["stderr"] = resource.NewStringProperty("")
	if d := diffInputs(inputsOf(nil, state), base()); d.Changes != pulumirpc.DiffResponse_DIFF_NONE {
		t.Errorf("outputs must be ignored: %v", d)
	}
}

func TestNeedsRun(t *testing.T) {
	news := base()
	news["delete"] = resource.NewStringProperty("rm x")
	news["logging"] = resource.NewStringProperty("none")
	if needsRun(base(), news) {
		t.Error("changing only delete/logging must not re-run the command")
	}
	news["environment"] = resource.NewObjectProperty(pm(map[string]any{"A": "1"}))
	if !needsRun(base(), news) {
		t.Error("changing environment must re-run")
	}
}

func TestSecretPropagation(t *testing.T) {
	plainIn := base()
	if stdioSecret(plainIn) {
		t.Error("connection alone must not make stdout secret")
	}
	for _, k := range []string{"create", "stdin"} {
		in := base()
		in[resource.PropertyKey(k)] = resource.MakeSecret(resource.NewStringProperty("x"))
		if !stdioSecret(in) {
			t.Errorf("secret %s must make stdout secret", k)
		}
		outs := previewOutputs(tRemoteCommand, in)
		if !outs["stdout"].IsSecret() || !outs["stdout"].ContainsUnknowns() {
			t.Errorf("preview stdout must be a secret unknown: %v", outs["stdout"])
		}
	}
	in := base()
	in["environment"] = resource.NewObjectProperty(resource.PropertyMap{"TOKEN": resource.MakeSecret(resource.NewStringProperty("t"))})
	if !stdioSecret(in) {
		t.Error("a secret environment value must make stdout secret")
	}

	// The connection (and its private key) must come back from the wire still secret.
	wire, err := propmap.Marshal(previewOutputs(tRemoteCommand, base()))
	if err != nil {
		t.Fatal(err)
	}
	back, err := propmap.Unmarshal(wire)
	if err != nil {
		t.Fatal(err)
	}
	if !back["connection"].IsSecret() || !back["stdout"].IsComputed() {
		t.Errorf("round trip lost secret/unknown: %v", back)
	}

	// Carrying old outputs over (no re-run) keeps and adds secrecy.
	olds := base()
	olds["stdout"] = resource.MakeSecret(resource.NewStringProperty("s"))
	olds["stderr"] = resource.NewStringProperty("e")
	news := base()
	news["stdin"] = resource.MakeSecret(resource.NewStringProperty("x"))
	outs := carryOutputs(olds, news)
	if !outs["stdout"].IsSecret() || !outs["stderr"].IsSecret() {
		t.Errorf("carried outputs must be secret: %v", outs)
	}
}

func TestPreviewOutputsTolerateUnknownInputs(t *testing.T) {
	news := resource.PropertyMap{
		"connection": resource.MakeComputed(resource.NewStringProperty("")),
		"create":     resource.MakeComputed(resource.NewStringProperty("")),
	}
	p := newProvider(nil)
	wire, _ := propmap.Marshal(news)
	resp, err := p.Create(context.Background(), &pulumirpc.CreateRequest{
		Urn: "urn:pulumi:dev::p::command:remote:Command::c", Properties: wire, Preview: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	outs, _ := propmap.Unmarshal(resp.Properties)
	if !outs["stdout"].IsComputed() || !outs["stderr"].IsComputed() {
		t.Errorf("stdout/stderr must be unknown in preview: %v", outs)
	}
}

func TestDecodeUnwrapsSecrets(t *testing.T) {
	m := resource.PropertyMap{
		"connection": secretConn(map[string]any{"host": "h", "port": 2222.0, "privateKey": "PK"}),
		"environment": resource.NewObjectProperty(resource.PropertyMap{
			"A": resource.MakeSecret(resource.NewStringProperty("1")),
		}),
		"stdin": resource.MakeSecret(resource.NewStringProperty("in")),
	}
	var a commandArgs
	if err := decode(m, &a); err != nil {
		t.Fatal(err)
	}
	if a.Connection.Host != "h" || a.Connection.Port != 2222 || a.Connection.PrivateKey != "PK" ||
		a.Environment["A"] != "1" || *a.Stdin != "in" {
		t.Errorf("decode: %+v %+v", a, a.Connection)
	}
}

func TestGlobs(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a.txt", "b.log", "src/index.js", "src/secret.js", "src/deep/x.js", "assets/logos/logo.svg"} {
		p := filepath.Join(dir, f)
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		_ = os.WriteFile(p, []byte(f), 0o644)
	}
	got, err := matchGlobs(dir, []string{"assets/**", "src/**.js", "!**secret.*"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"assets/logos/logo.svg", "src/deep/x.js", "src/index.js"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v want %v", got, want)
	}
	if got, _ := matchGlobs(dir, []string{"*.{txt,log}"}); !reflect.DeepEqual(got, []string{"a.txt", "b.log"}) {
		t.Errorf("alternation: %v", got)
	}
}

func TestRestoreElidedAssets(t *testing.T) {
	a := &commandArgs{Dir: "d"}
	outs := resource.PropertyMap{
		"assets": resource.NewObjectProperty(resource.PropertyMap{
			"x.txt": resource.NewAssetProperty(&asset.Asset{Sig: asset.AssetSig, Hash: "h1"}),
		}),
	}
	restoreAssets(a, outs)
	got := outs["assets"].ObjectValue()["x.txt"].AssetValue()
	if got.Path != filepath.Join("d", "x.txt") || got.Hash != "h1" {
		t.Errorf("asset not restored: %+v", got)
	}
}

func TestLocalRunAndExitError(t *testing.T) {
	p := newProvider(nil)
	stdin := "from-stdin"
	a := &commandArgs{Environment: map[string]string{"FOO": "bar"}, Stdin: &stdin}
	res, err := p.execute(context.Background(), "", tLocalCommand, a, `echo "$FOO"; cat; echo; echo "prev=$PULUMI_COMMAND_STDOUT"`,
		&runResult{Stdout: "old"}, secrecy{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stdout != "bar\nfrom-stdin\nprev=old" {
		t.Errorf("stdout %q", res.Stdout)
	}
	_, err = p.execute(context.Background(), "", tLocalCommand, &commandArgs{}, "echo e1 >&2; echo e2 >&2; exit 3", nil, secrecy{})
	if err == nil || !strings.Contains(err.Error(), "status 3") || !strings.Contains(err.Error(), "e2") ||
		!strings.Contains(err.Error(), `running "echo e1`) {
		t.Errorf("exit error not descriptive: %v", err)
	}
	_, err = p.execute(context.Background(), "", tLocalCommand, &commandArgs{}, "echo TOPSECRET >&2; exit 4", nil, secrecy{output: true, command: true})
	if err == nil || strings.Contains(err.Error(), "TOPSECRET") || !strings.Contains(err.Error(), "status 4") {
		t.Errorf("secret command leaked or lost status: %v", err)
	}
}

// A plain script that reads its secrets from stdin: its failure shows the script's own reason, and
// no line of the secret, even when the script prints it.
func TestPlainCommandWithSecretStdinShowsItsReasonRedacted(t *testing.T) {
	p := newProvider(nil)
	stdin := "@@secret key\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBs3cr3tK3yL1ne\n-----END EC PRIVATE KEY-----\n"
	news := resource.PropertyMap{
		"create": resource.NewStringProperty("x"),
		"stdin":  resource.MakeSecret(resource.NewStringProperty(stdin)),
	}
	a := &commandArgs{Stdin: &stdin}
	sec := secrecyOf(news, a, stdioSecret(news), "create", "update")
	if !sec.output || sec.command {
		t.Fatalf("secret stdin: output secret, command plain; got %+v", sec)
	}
	script := "#!/bin/sh\nset -eu\ncat >&2\necho 'onprem-k8s: etcd member lab1 on lab1: another cluster' >&2\nexit 1"
	_, err := p.execute(context.Background(), "", tLocalCommand, a, script, nil, sec)
	if err == nil {
		t.Fatal("want the script's failure")
	}
	msg := err.Error()
	if !strings.Contains(msg, "onprem-k8s: etcd member lab1 on lab1: another cluster") || !strings.Contains(msg, "running a 5-line script") {
		t.Errorf("the reason is missing: %v", msg)
	}
	if strings.Contains(msg, "MHcCAQEEIBs3cr3tK3yL1ne") || strings.Contains(msg, "BEGIN EC PRIVATE KEY") || !strings.Contains(msg, "[secret]") {
		t.Errorf("a secret line was shown: %v", msg)
	}
	// A secret previous output, handed to the command in its environment, is redacted too.
	_, err = p.execute(context.Background(), "", tLocalCommand, a, "echo \"$PULUMI_COMMAND_STDOUT\" >&2; exit 1",
		&runResult{Stdout: "previous-secret-output", Secret: true}, sec)
	if err == nil || strings.Contains(err.Error(), "previous-secret-output") || !strings.Contains(err.Error(), "[secret]") {
		t.Errorf("a secret previous output was shown: %v", err)
	}
}

func TestDialRetriesThenFails(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().(*net.TCPAddr)
	l.Close() // nothing listens there now
	limit, timeout := 2, 1
	var logs []string
	_, err = dialSSH(context.Background(), &connection{
		Host: "127.0.0.1", Port: addr.Port, Password: "x", DialErrorLimit: &limit, PerDialTimeout: &timeout,
	}, func(s string) { logs = append(logs, s) })
	if err == nil || !strings.Contains(err.Error(), "after 2 attempt(s)") || len(logs) != 1 {
		t.Errorf("err=%v logs=%v", err, logs)
	}
}

func TestCopyPlans(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "run.sh")
	_ = os.WriteFile(f, []byte("#!/bin/sh\n"), 0o755)
	a, _ := asset.FromPath(f)
	plan, err := planCopy(resource.NewAssetProperty(a), "/opt/it's")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`dst='/opt/it'\''s'`, `dst="$dst"/'run.sh'`, `chmod 755`, `cat > "$dst"`} {
		if !strings.Contains(plan.script, want) {
			t.Errorf("script %q lacks %q", plan.script, want)
		}
	}
	txt, _ := asset.FromText("hello")
	plan, _ = planCopy(resource.MakeSecret(resource.NewAssetProperty(txt)), "/etc/x.conf")
	if !strings.Contains(plan.script, "is a directory") {
		t.Errorf("text asset into a directory must fail: %q", plan.script)
	}
	r, _ := plan.open()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(r)
	if buf.String() != "hello" {
		t.Errorf("text contents %q", buf.String())
	}
}

func TestLineWriterAndTail(t *testing.T) {
	var lines []string
	w := &lineWriter{fn: func(s string) { lines = append(lines, s) }}
	_, _ = w.Write([]byte("a\nb"))
	_, _ = w.Write([]byte("c\r\nd"))
	w.Flush()
	if !reflect.DeepEqual(lines, []string{"a", "bc", "d"}) {
		t.Errorf("lines %q", lines)
	}
	if got := tailLines("1\n2\n3\n4\n", 2); got != "3\n4" {
		t.Errorf("tail %q", got)
	}
}
