package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// withStdin runs f with the process's stdin reading text.
func withStdin(t *testing.T, text string, f func() error) error {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteString(text); err != nil {
		t.Fatal(err)
	}
	w.Close()
	saved := os.Stdin
	os.Stdin = r
	defer func() { os.Stdin = saved }()
	return f()
}

func TestHashThenCheck(t *testing.T) {
	file := filepath.Join(t.TempDir(), "htpasswd")
	out, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = out
	err = withStdin(t, "s3cret pass\n", func() error { return run([]string{"onprem-pull"}) })
	os.Stdout = saved
	out.Close()
	if err != nil {
		t.Fatal(err)
	}
	line, _ := os.ReadFile(file)
	if !strings.HasPrefix(string(line), "onprem-pull:$2a$") {
		t.Fatalf("not a bcrypt htpasswd line: %q", line)
	}
	if err := withStdin(t, "s3cret pass\n", func() error { return run([]string{"--check", file, "onprem-pull"}) }); err != nil {
		t.Fatalf("the right password does not match: %v", err)
	}
	err = withStdin(t, "s3cret\n", func() error { return run([]string{"--check", file, "onprem-pull"}) })
	if err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("a wrong password: got %v", err)
	}
	err = withStdin(t, "s3cret pass\n", func() error { return run([]string{"--check", file, "onprem-push"}) })
	if err == nil || !strings.Contains(err.Error(), "no line for onprem-push") {
		t.Fatalf("an unknown user: got %v", err)
	}
}

func TestRefusesAnEmptyPassword(t *testing.T) {
	for _, text := range []string{"", "\n"} {
		err := withStdin(t, text, func() error { return run([]string{"onprem-pull"}) })
		if err == nil || !strings.Contains(err.Error(), "password on standard input") {
			t.Fatalf("stdin %q: got %v", text, err)
		}
	}
}
