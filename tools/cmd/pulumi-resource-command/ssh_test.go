package main

// An in-process SSH server (x/crypto/ssh) that runs "exec" requests with /bin/sh and,
// like a stock sshd without AcceptEnv, refuses "env" requests.

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/archive"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/asset"
	"golang.org/x/crypto/ssh"
)

// testServer returns its port, a client key it accepts and its own host key (authorized_keys format).
func testServer(t *testing.T) (port int, clientKey, hostKey string) {
	t.Helper()
	_, hostPriv, _ := ed25519.GenerateKey(rand.Reader)
	hostSigner, _ := ssh.NewSignerFromKey(hostPriv)
	cliPub, cliPriv, _ := ed25519.GenerateKey(rand.Reader)
	authorized, _ := ssh.NewPublicKey(cliPub)
	block, err := ssh.MarshalPrivateKey(cliPriv, "")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
		if string(k.Marshal()) == string(authorized.Marshal()) {
			return nil, nil
		}
		return nil, os.ErrPermission
	}}
	cfg.AddHostKey(hostSigner)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go serveConn(c, cfg)
		}
	}()
	return l.Addr().(*net.TCPAddr).Port, string(pem.EncodeToMemory(block)), string(ssh.MarshalAuthorizedKey(hostSigner.PublicKey()))
}

func serveConn(c net.Conn, cfg *ssh.ServerConfig) {
	_, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		go func() {
			defer ch.Close()
			for req := range creqs {
				if req.Type != "exec" {
					_ = req.Reply(false, nil) // "env" refused, like sshd without AcceptEnv
					continue
				}
				cmdline := string(req.Payload[4:])
				_ = req.Reply(true, nil)
				cmd := exec.Command("/bin/sh", "-c", cmdline)
				cmd.Stdin, cmd.Stdout, cmd.Stderr = ch, ch, ch.Stderr()
				status := uint32(0)
				if err := cmd.Run(); err != nil {
					status = 255
					if ee, ok := err.(*exec.ExitError); ok {
						status = uint32(ee.ExitCode())
					}
				}
				b := make([]byte, 4)
				binary.BigEndian.PutUint32(b, status)
				_, _ = ch.SendRequest("exit-status", false, b)
				return
			}
		}()
	}
}

func TestRemoteCommandOverSSH(t *testing.T) {
	port, key, _ := testServer(t)
	p := newProvider(nil)
	conn := &connection{Host: "127.0.0.1", Port: port, PrivateKey: key}
	stdin := "in"
	a := &commandArgs{Connection: conn, Environment: map[string]string{"FOO": "it's"}, Stdin: &stdin}
	res, err := p.execute(context.Background(), "", tRemoteCommand, a,
		`echo "$FOO"; cat; echo; echo "prev=$PULUMI_COMMAND_STDOUT"; echo warn >&2`, &runResult{Stdout: "old"}, secrecy{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stdout != "it's\nin\nprev=old" || res.Stderr != "warn" {
		t.Errorf("stdout=%q stderr=%q", res.Stdout, res.Stderr)
	}
	// Secret previous output is not inlined into the command line.
	res, err = p.execute(context.Background(), "", tRemoteCommand, &commandArgs{Connection: conn},
		`echo "prev=$PULUMI_COMMAND_STDOUT"`, &runResult{Stdout: "hidden", Secret: true}, secrecy{output: true, command: true})
	if err != nil || res.Stdout != "prev=" {
		t.Errorf("secret prev inlined: %q %v", res.Stdout, err)
	}
	_, err = p.execute(context.Background(), "", tRemoteCommand, &commandArgs{Connection: conn},
		"echo nope >&2; exit 3", nil, secrecy{})
	if err == nil || !strings.Contains(err.Error(), "status 3") || !strings.Contains(err.Error(), "nope") {
		t.Errorf("want exit status 3 with stderr, got %v", err)
	}
	// A plain script given a secret on stdin: its reason shows over SSH too, the secret does not.
	secretIn := "hunter2-the-password\n"
	_, err = p.execute(context.Background(), "", tRemoteCommand, &commandArgs{Connection: conn, Stdin: &secretIn},
		`read -r pw; echo "onprem-k8s: test on host: rejected $pw" >&2; exit 1`, nil, secrecy{output: true, values: []string{secretIn}})
	if err == nil || !strings.Contains(err.Error(), "onprem-k8s: test on host: rejected [secret]") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("want the reason with the secret redacted, got %v", err)
	}
	limit := 1
	bad := &connection{Host: "127.0.0.1", Port: port, PrivateKey: key, User: "x", DialErrorLimit: &limit, Password: ""}
	bad.PrivateKey = strings.Replace(key, "OPENSSH PRIVATE KEY", "NOT A KEY", 2)
	if _, err := dialSSH(context.Background(), bad, nil); err == nil || strings.Contains(err.Error(), "AAAA") {
		t.Errorf("bad key must fail without echoing it: %v", err)
	}
}

func TestCopyToRemoteOverSSH(t *testing.T) {
	port, key, _ := testServer(t)
	client, err := dialSSH(context.Background(), &connection{Host: "127.0.0.1", Port: port, PrivateKey: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	src, dst := t.TempDir(), t.TempDir()
	_ = os.MkdirAll(filepath.Join(src, "payload", "sub"), 0o755)
	_ = os.WriteFile(filepath.Join(src, "payload", "a.txt"), []byte("A"), 0o644)
	_ = os.WriteFile(filepath.Join(src, "payload", "sub", "x.sh"), []byte("X"), 0o755)
	_ = os.WriteFile(filepath.Join(src, "one.txt"), []byte("one"), 0o600)

	copyOne := func(v resource.PropertyValue, remote string) {
		t.Helper()
		plan, err := planCopy(v, remote)
		if err != nil {
			t.Fatal(err)
		}
		if err := runCopy(context.Background(), client, plan); err != nil {
			t.Fatal(err)
		}
	}
	fa, _ := asset.FromPath(filepath.Join(src, "one.txt"))
	copyOne(resource.NewAssetProperty(fa), filepath.Join(dst, "new/dir/one-renamed.txt")) // parents created
	copyOne(resource.NewAssetProperty(fa), dst)                                           // into existing dir
	ta, _ := asset.FromText("text")
	copyOne(resource.NewAssetProperty(ta), filepath.Join(dst, "t.conf"))
	dirArchive := resource.NewArchiveProperty(mustArchive(t, filepath.Join(src, "payload")))
	copyOne(dirArchive, filepath.Join(dst, "fresh")) // becomes the directory
	copyOne(dirArchive, dst)                         // lands in dst/payload

	for path, want := range map[string]string{
		"new/dir/one-renamed.txt": "one", "one.txt": "one", "t.conf": "text",
		"fresh/a.txt": "A", "fresh/sub/x.sh": "X", "payload/a.txt": "A",
	} {
		b, err := os.ReadFile(filepath.Join(dst, path))
		if err != nil || string(b) != want {
			t.Errorf("%s: %q %v", path, b, err)
		}
	}
	if st, _ := os.Stat(filepath.Join(dst, "payload/sub/x.sh")); st == nil || st.Mode().Perm() != 0o755 {
		t.Errorf("mode not kept: %v", st)
	}
	if st, _ := os.Stat(filepath.Join(dst, "one.txt")); st == nil || st.Mode().Perm() != 0o600 {
		t.Errorf("file mode not kept: %v", st)
	}
	// A directory onto an existing file fails clearly.
	plan, _ := planCopy(dirArchive, filepath.Join(dst, "t.conf"))
	if err := runCopy(context.Background(), client, plan); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("want failure, got %v", err)
	}
}

func mustArchive(t *testing.T, dir string) *archive.Archive {
	t.Helper()
	a, err := archive.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestPinnedHostKey(t *testing.T) {
	port, key, hostKey := testServer(t)
	p := newProvider(nil)
	limit := 5
	conn := &connection{Host: "127.0.0.1", Port: port, PrivateKey: key, HostKey: hostKey, DialErrorLimit: &limit}
	res, err := p.execute(context.Background(), "", tRemoteCommand, &commandArgs{Connection: conn}, "echo pinned", nil, secrecy{})
	if err != nil || res.Stdout != "pinned" {
		t.Fatalf("the pinned key is accepted: stdout=%q err=%v", res.Stdout, err)
	}

	otherPub, _, _ := ed25519.GenerateKey(rand.Reader)
	other, _ := ssh.NewPublicKey(otherPub)
	conn.HostKey = string(ssh.MarshalAuthorizedKey(other))
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	stdin := "secret"
	_, err = p.execute(context.Background(), "", tRemoteCommand, &commandArgs{Connection: conn, Stdin: &stdin}, "cat > "+marker, nil, secrecy{})
	if err == nil {
		t.Fatal("another host key is refused")
	}
	var retries []string
	if _, dialErr := dialSSH(context.Background(), conn, func(msg string) { retries = append(retries, msg) }); dialErr == nil || len(retries) != 0 {
		t.Errorf("a host key mismatch fails at once, without retries: err=%v retries=%q", dialErr, retries)
	}
	host, _, _, _, _ := ssh.ParseAuthorizedKey([]byte(hostKey))
	for _, want := range []string{"host key mismatch", "127.0.0.1", ssh.FingerprintSHA256(host), ssh.FingerprintSHA256(other), "nothing was sent"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, statErr := os.Stat(marker); statErr == nil {
		t.Error("the command ran on a host with another key")
	}
}
