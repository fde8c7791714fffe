package cli

import (
	"archive/tar"
	"bytes"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"onprem-k8s/tools/images/internal/push"
)

var time1 = time.Unix(1700000000, 0)

// cliRun runs the CLI and returns its exit code, stdout and stderr.
func cliRun(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// tree makes a small root file system with a binary, a hard link, a symlink and an empty directory.
func tree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"bin", "etc", "var/empty"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "bin/app"), []byte("#!/bin/sh\necho app\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(dir, "bin/app"), filepath.Join(dir, "bin/app2")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("app", filepath.Join(dir, "bin/app3")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func buildArchive(t *testing.T, out, layer string) string {
	t.Helper()
	code, stdout, stderr := cliRun(t, "", "build", "--name", "registry.k8s.io/test/app:v1", "--out", out,
		"--layer", layer, "--entrypoint", `["/bin/app"]`, "--cmd", `["--flag"]`, "--env", "PATH=/bin",
		"--env", "A=b", "--workdir", "/", "--port", "80/tcp", "--user", "65535:65535")
	if code != 0 {
		t.Fatalf("build: exit %d: %s", code, stderr)
	}
	fields := strings.Fields(stdout)
	if len(fields) != 2 || fields[0] != "registry.k8s.io/test/app:v1" || !strings.HasPrefix(fields[1], "sha256:") {
		t.Fatalf("build printed %q, want NAME DIGEST", stdout)
	}
	return fields[1]
}

func TestBuildIsDeterministic(t *testing.T) {
	layer := tree(t)
	a := filepath.Join(t.TempDir(), "a.tar")
	b := filepath.Join(t.TempDir(), "b.tar")
	da := buildArchive(t, a, layer)
	// Newer mtimes must not change the bytes.
	if err := os.Chtimes(filepath.Join(layer, "bin/app"), time1, time1); err != nil {
		t.Fatal(err)
	}
	db := buildArchive(t, b, layer)
	if da != db {
		t.Fatalf("two builds of the same inputs: %s and %s", da, db)
	}
	ba, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ba, bb) {
		t.Fatalf("two builds of the same inputs wrote different archives")
	}
	code, stdout, stderr := cliRun(t, "", "digest", a)
	if code != 0 || strings.TrimSpace(stdout) != da {
		t.Fatalf("digest: exit %d, %q %q; want %s", code, stdout, stderr, da)
	}
	// The archive names the image for ctr import.
	index := readEntry(t, a, "index.json")
	for _, want := range []string{`"io.containerd.image.name": "registry.k8s.io/test/app:v1"`, `"org.opencontainers.image.ref.name": "v1"`} {
		if !strings.Contains(string(index), want) {
			t.Errorf("index.json lacks %s:\n%s", want, index)
		}
	}
}

func readEntry(t *testing.T, file, entry string) []byte {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err != nil {
			t.Fatalf("%s: no %s: %v", file, entry, err)
		}
		if hdr.Name == entry {
			b, _ := io.ReadAll(tr)
			return b
		}
	}
}

// corrupt copies the archive, flipping one byte in the middle of its largest gzip blob (the layer).
func corrupt(t *testing.T, in string) (string, string) {
	t.Helper()
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := filepath.Join(t.TempDir(), "corrupt.tar")
	g, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	tr, tw := tar.NewReader(f), tar.NewWriter(g)
	flipped := ""
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		if len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b {
			b[len(b)/2] ^= 0xff
			flipped = "sha256:" + filepath.Base(hdr.Name)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if flipped == "" {
		t.Fatal("no layer blob found")
	}
	return out, flipped
}

func oneLine(t *testing.T, stderr string) string {
	t.Helper()
	if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Fatalf("want exactly one line on stderr, got %q", stderr)
	}
	return strings.TrimSuffix(stderr, "\n")
}

func TestCorruptArchiveIsRefused(t *testing.T) {
	good := filepath.Join(t.TempDir(), "good.tar")
	digest := buildArchive(t, good, tree(t))
	bad, layer := corrupt(t, good)

	code, stdout, stderr := cliRun(t, "", "digest", bad)
	line := oneLine(t, stderr)
	want := regexp.MustCompile("^onprem-image: " + regexp.QuoteMeta(bad) + ": corrupt: layer " + layer + " hashes to sha256:[0-9a-f]{64}$")
	if code != 1 || stdout != "" || !want.MatchString(line) {
		t.Fatalf("digest of a corrupt archive: exit %d, stdout %q, stderr %q", code, stdout, line)
	}

	reg := newRegistry(t, "user", "secret")
	code, stdout, stderr = cliRun(t, "secret\n", "push", "--archive", bad, "--name", "test/app:v1", "--digest", digest,
		"--to", reg.host, "--ca", reg.ca, "--username", "user")
	line = oneLine(t, stderr)
	if code != 1 || stdout != "" || !strings.Contains(line, "test/app:v1") || !strings.Contains(line, bad+": corrupt: layer "+layer) {
		t.Fatalf("push of a corrupt archive: exit %d, stdout %q, stderr %q", code, stdout, line)
	}
	if n := reg.requests.Load(); n != 0 {
		t.Fatalf("push of a corrupt archive sent %d requests; want none", n)
	}
}

type testRegistry struct {
	host, ca string
	requests atomic.Int64
	// lie makes the registry report another digest for every manifest HEAD.
	lie atomic.Bool
}

// newRegistry serves ggcr's in-memory registry over TLS behind basic auth.
func newRegistry(t *testing.T, user, pass string) *testRegistry {
	t.Helper()
	r := &testRegistry{}
	inner := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.requests.Add(1)
		u, p, ok := req.BasicAuth()
		if !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		if r.lie.Load() && req.Method == http.MethodHead && strings.Contains(req.URL.Path, "/manifests/") {
			w.Header().Set("Docker-Content-Digest", "sha256:"+strings.Repeat("0", 64))
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			w.Header().Set("Content-Length", "1")
			w.WriteHeader(http.StatusOK)
			return
		}
		inner.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.host = srv.Listener.Addr().String()
	r.ca = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(r.ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPushAndReadBack(t *testing.T) {
	archive := filepath.Join(t.TempDir(), "app.tar")
	digest := buildArchive(t, archive, tree(t))
	one, two := newRegistry(t, "user", "secret"), newRegistry(t, "user", "secret")

	code, stdout, stderr := cliRun(t, "secret\n", "push", "--archive", archive, "--name", "registry.k8s.io/test/app:v1",
		"--digest", digest, "--to", one.host+","+two.host, "--ca", one.ca, "--username", "user")
	// httptest serves one built-in certificate on every TLS server, so one CA file trusts both registries.
	if code != 0 {
		t.Fatalf("push: exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("push printed %q; want one line per registry", stdout)
	}
	for i, host := range []string{one.host, two.host} {
		want := regexp.MustCompile("^pushed registry.k8s.io/test/app:v1 " + digest + " to " + regexp.QuoteMeta(host) + ` \(\d+ bytes in \d+\.\d s\)$`)
		if !want.MatchString(lines[i]) {
			t.Errorf("line %d: %q", i, lines[i])
		}
		// The image is in the registry under the upstream repository path, with the archive's digest.
		tr, err := push.Transport(one.ca)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := name.ParseReference(host + "/test/app:v1")
		if err != nil {
			t.Fatal(err)
		}
		desc, err := remote.Head(ref, remote.WithTransport(tr), remote.WithAuth(&authn.Basic{Username: "user", Password: "secret"}))
		if err != nil || desc.Digest.String() != digest {
			t.Errorf("%s: %v %v; want %s", ref, desc, err, digest)
		}
	}

	// A wrong password is refused with one line.
	code, stdout, stderr = cliRun(t, "wrong\n", "push", "--archive", archive, "--name", "registry.k8s.io/test/app:v1",
		"--digest", digest, "--to", one.host, "--ca", one.ca, "--username", "user")
	if line := oneLine(t, stderr); code != 1 || stdout != "" || !strings.Contains(line, "registry.k8s.io/test/app:v1") || !strings.Contains(line, one.host) {
		t.Fatalf("push with a wrong password: exit %d, %q, %q", code, stdout, line)
	}

	// Without the CA, the registry's certificate is not trusted (no fallback to plain HTTP).
	code, _, stderr = cliRun(t, "secret\n", "push", "--archive", archive, "--name", "registry.k8s.io/test/app:v1",
		"--digest", digest, "--to", one.host, "--username", "user")
	if line := oneLine(t, stderr); code != 1 || !strings.Contains(line, "certificate") {
		t.Fatalf("push without the CA: exit %d, %q", code, line)
	}

	// A digest that is not the archive's stops the push before anything is sent.
	before := one.requests.Load()
	other := "sha256:" + strings.Repeat("1", 64)
	code, _, stderr = cliRun(t, "secret\n", "push", "--archive", archive, "--name", "redis:4", "--digest", other,
		"--to", one.host, "--ca", one.ca, "--username", "user")
	if line := oneLine(t, stderr); code != 1 || !strings.Contains(line, "redis:4") || !strings.Contains(line, archive) || !strings.Contains(line, other) {
		t.Fatalf("push with another digest: exit %d, %q", code, line)
	}
	if one.requests.Load() != before {
		t.Fatalf("push with another digest sent requests")
	}

	// A registry that reports another digest after the push fails the push.
	one.lie.Store(true)
	code, _, stderr = cliRun(t, "secret\n", "push", "--archive", archive, "--name", "redis:4", "--digest", digest,
		"--to", one.host, "--ca", one.ca, "--username", "user")
	if line := oneLine(t, stderr); code != 1 || !strings.Contains(line, "not the pushed "+digest) {
		t.Fatalf("push to a registry that reports another digest: exit %d, %q", code, line)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"frobnicate"}, {"digest"}, {"build", "--name", "x"}, {"push", "--archive", "a.tar"},
		{"build", "--name", "x:1", "--out", "o.tar", "--entrypoint", "/bin/sh"}} {
		code, _, stderr := cliRun(t, "", args...)
		oneLine(t, stderr)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	code, _, stderr := cliRun(t, "", "digest", filepath.Join(t.TempDir(), "missing.tar"))
	if line := oneLine(t, stderr); code != 1 || !strings.Contains(line, "missing.tar") {
		t.Errorf("digest of a missing file: %d %q", code, line)
	}
}

func TestAppendAddsOneLayer(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base.tar")
	baseDigest := buildArchive(t, base, tree(t))
	extra := t.TempDir()
	if err := os.WriteFile(filepath.Join(extra, "extra"), []byte("one more file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "changed.tar")
	code, stdout, stderr := cliRun(t, "", "append", "--archive", base, "--layer", extra, "--name", "registry.k8s.io/test/app:v2", "--out", out)
	if code != 0 {
		t.Fatalf("append: exit %d: %s", code, stderr)
	}
	fields := strings.Fields(stdout)
	if len(fields) != 2 || fields[0] != "registry.k8s.io/test/app:v2" || fields[1] == baseDigest {
		t.Fatalf("append printed %q; want the new name and a digest other than %s", stdout, baseDigest)
	}
	code, digest, stderr := cliRun(t, "", "digest", out)
	if code != 0 || strings.TrimSpace(digest) != fields[1] {
		t.Fatalf("digest of the appended archive: exit %d, %q %q; want %s", code, digest, stderr, fields[1])
	}
	// The same append again gives the same bytes.
	again := filepath.Join(dir, "again.tar")
	if code, stdout2, stderr := cliRun(t, "", "append", "--archive", base, "--layer", extra, "--name", "registry.k8s.io/test/app:v2", "--out", again); code != 0 || stdout2 != stdout {
		t.Fatalf("a second append: exit %d, %q %q; want %q", code, stdout2, stderr, stdout)
	}
	manifest := func(file string) string {
		index := readEntry(t, file, "index.json")
		m := regexp.MustCompile(`sha256:([0-9a-f]{64})`).FindStringSubmatch(string(index))
		return string(readEntry(t, file, "blobs/sha256/"+m[1]))
	}
	if got, want := strings.Count(manifest(out), `"application/vnd.oci.image.layer.v1.tar+gzip"`), strings.Count(manifest(base), `"application/vnd.oci.image.layer.v1.tar+gzip"`)+1; got != want {
		t.Fatalf("the appended image has %d layers, want %d", got, want)
	}
}
