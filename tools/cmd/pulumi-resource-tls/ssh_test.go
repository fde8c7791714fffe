package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sshKeygenAgrees checks our hand-written OpenSSH encodings against OpenSSH itself: the
// private key must load, derive the same public key, and fingerprint the same way.
func sshKeygenAgrees(t *testing.T, s props) {
	t.Helper()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Log("ssh-keygen not installed; OpenSSH encodings checked by shape only")
		return
	}
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "id")
	if err := os.WriteFile(keyFile, []byte(s.str("privateKeyOpenssh")), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ssh-keygen", "-y", "-f", keyFile).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen -y: %v: %s", err, out)
	}
	if got, want := strings.Fields(string(out)), strings.Fields(s.str("publicKeyOpenssh")); len(got) < 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("ssh-keygen derives %q, we stored %q", out, s.str("publicKeyOpenssh"))
	}
	pubFile := keyFile + ".pub"
	if err := os.WriteFile(pubFile, []byte(s.str("publicKeyOpenssh")), 0o600); err != nil {
		t.Fatal(err)
	}
	for hash, want := range map[string]string{"sha256": s.str("publicKeyFingerprintSha256"), "md5": "MD5:" + s.str("publicKeyFingerprintMd5")} {
		out, err := exec.Command("ssh-keygen", "-l", "-E", hash, "-f", pubFile).CombinedOutput()
		if err != nil {
			t.Fatalf("ssh-keygen -l: %v: %s", err, out)
		}
		if f := strings.Fields(string(out)); len(f) < 2 || f[1] != want {
			t.Errorf("%s fingerprint: ssh-keygen %q, we stored %q", hash, out, want)
		}
	}
}
