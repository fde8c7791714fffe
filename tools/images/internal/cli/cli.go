// Package cli is onprem-image's command line: argument parsing, one-line errors and exit codes.
package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"onprem-k8s/tools/images/internal/archive"
	"onprem-k8s/tools/images/internal/build"
	"onprem-k8s/tools/images/internal/push"
)

const usage = `usage:
  onprem-image build --name NAME --out FILE.tar [--layer DIR]... [--entrypoint JSON-ARRAY] [--cmd JSON-ARRAY]
                     [--env K=V]... [--workdir DIR] [--port N/tcp]... [--user U]
  onprem-image append --archive FILE.tar --layer DIR --name NAME --out FILE.tar
  onprem-image digest FILE.tar
  onprem-image push --archive FILE.tar --name UPSTREAM_NAME --digest sha256:... --to HOST:PORT[,HOST:PORT...]
                    [--ca CA.pem] [--username U]    (the password is the first line of stdin)`

// usageError is a wrong command line: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// Run runs one onprem-image command and returns its exit code; every error is one line on stderr.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := run(args, stdin, stdout)
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "onprem-image: %s\n", OneLine(err.Error()))
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// OneLine folds a multi-line message into one line.
func OneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return usageError{fmt.Sprintf("%s: %v (see onprem-image --help)", fs.Name(), err)}
	}
	return nil
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{"no command (build, append, digest or push); see onprem-image --help"}
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	case "build":
		return runBuild(args[1:], stdout)
	case "append":
		return runAppend(args[1:], stdout)
	case "digest":
		return runDigest(args[1:], stdout)
	case "push":
		return runPush(args[1:], stdin, stdout)
	}
	return usageError{fmt.Sprintf("unknown command %q (build, append, digest or push)", args[0])}
}

func jsonArray(flagName, v string) ([]string, error) {
	if v == "" {
		return nil, nil
	}
	var out []string
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		return nil, usageError{fmt.Sprintf("build: --%s %s: not a JSON array of strings", flagName, v)}
	}
	return out, nil
}

func runBuild(args []string, stdout io.Writer) error {
	fs := newFlags("build")
	var layers, env, ports multi
	nameFlag := fs.String("name", "", "")
	out := fs.String("out", "", "")
	entrypoint := fs.String("entrypoint", "", "")
	cmd := fs.String("cmd", "", "")
	workdir := fs.String("workdir", "", "")
	user := fs.String("user", "", "")
	fs.Var(&layers, "layer", "")
	fs.Var(&env, "env", "")
	fs.Var(&ports, "port", "")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *nameFlag == "" || *out == "" || fs.NArg() != 0 {
		return usageError{"build: needs --name NAME and --out FILE.tar and no other arguments"}
	}
	spec := build.Spec{Name: *nameFlag, Layers: layers, Env: env, Ports: ports, WorkingDir: *workdir, User: *user}
	var err error
	if spec.Entrypoint, err = jsonArray("entrypoint", *entrypoint); err != nil {
		return err
	}
	if spec.Cmd, err = jsonArray("cmd", *cmd); err != nil {
		return err
	}
	res, err := build.Build(spec, *out)
	if err != nil {
		return fmt.Errorf("build %s: %w", *nameFlag, err)
	}
	fmt.Fprintf(stdout, "%s %s\n", res.Name, res.Digest)
	return nil
}

// runAppend writes an archive's image with one more layer: how a site (or a test) changes an image by one layer.
func runAppend(args []string, stdout io.Writer) error {
	fs := newFlags("append")
	from := fs.String("archive", "", "")
	layer := fs.String("layer", "", "")
	name := fs.String("name", "", "")
	out := fs.String("out", "", "")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *from == "" || *layer == "" || *name == "" || *out == "" || fs.NArg() != 0 {
		return usageError{"append: needs --archive, --layer, --name and --out"}
	}
	a, err := archive.Open(*from)
	if err != nil {
		return err
	}
	defer a.Close()
	res, err := build.Append(a, *layer, *name, *out)
	if err != nil {
		return fmt.Errorf("append: %v", err)
	}
	fmt.Fprintf(stdout, "%s %s\n", res.Name, res.Digest)
	return nil
}

func runDigest(args []string, stdout io.Writer) error {
	fs := newFlags("digest")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"digest: needs exactly one FILE.tar"}
	}
	a, err := archive.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer a.Close()
	fmt.Fprintln(stdout, a.Digest)
	return nil
}

func runPush(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := newFlags("push")
	file := fs.String("archive", "", "")
	upstream := fs.String("name", "", "")
	digest := fs.String("digest", "", "")
	to := fs.String("to", "", "")
	ca := fs.String("ca", "", "")
	username := fs.String("username", "", "")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *file == "" || *upstream == "" || *digest == "" || *to == "" || fs.NArg() != 0 {
		return usageError{"push: needs --archive FILE.tar, --name UPSTREAM_NAME, --digest sha256:... and --to HOST:PORT[,...]"}
	}
	var hosts []string
	for _, h := range strings.Split(*to, ",") {
		if h = strings.TrimSpace(h); h != "" {
			hosts = append(hosts, h)
		}
	}
	opts := push.Options{Hosts: hosts, CAFile: *ca, Username: *username}
	if *username != "" {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return fmt.Errorf("push %s: --username %s: no password on the first line of stdin", *upstream, *username)
		}
		opts.Password = strings.TrimRight(line, "\r\n")
	}
	return push.Push(*file, *upstream, *digest, opts, func(r push.Result) {
		fmt.Fprintf(stdout, "pushed %s %s to %s (%d bytes in %.1f s)\n", *upstream, r.Digest, r.Host, r.Bytes, r.Seconds)
	})
}
