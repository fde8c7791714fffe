package main

// SSH transport: dialing (with retries, proxy/bastion, key/password/agent auth) and
// running one command per session.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

func (c *connection) dialLimit() int {
	if c.DialErrorLimit == nil {
		return 10
	}
	return *c.DialErrorLimit
}

func (c *connection) dialTimeout() time.Duration {
	if c.PerDialTimeout == nil {
		return 15 * time.Second
	}
	return time.Duration(*c.PerDialTimeout) * time.Second // 0 = no limit
}

func (c *connection) addr() string {
	port := c.Port
	if port == 0 {
		port = 22
	}
	return net.JoinHostPort(c.Host, strconv.Itoa(port))
}

func (c *connection) clientConfig() (*ssh.ClientConfig, error) {
	user := c.User
	if user == "" {
		user = "root"
	}
	var auth []ssh.AuthMethod
	// A private key takes preference over the password (upstream order).
	if c.PrivateKey != "" {
		var signer ssh.Signer
		var err error
		if c.PrivateKeyPassword != "" {
			signer, err = ssh.ParsePrivateKeyWithPassphrase([]byte(c.PrivateKey), []byte(c.PrivateKeyPassword))
		} else {
			signer, err = ssh.ParsePrivateKey([]byte(c.PrivateKey))
		}
		if err != nil {
			// Never echo the key: the error text from x/crypto does not contain it.
			return nil, fmt.Errorf("could not parse connection.privateKey: %w", err)
		}
		auth = append(auth, ssh.PublicKeys(signer))
	}
	if c.Password != "" {
		pw := c.Password
		auth = append(auth, ssh.Password(pw),
			ssh.KeyboardInteractive(func(_, _ string, qs []string, _ []bool) ([]string, error) {
				answers := make([]string, len(qs))
				for i := range answers {
					answers[i] = pw
				}
				return answers, nil
			}))
	}
	sock := c.AgentSocketPath
	if sock == "" {
		sock = os.Getenv("SSH_AUTH_SOCK")
	}
	if sock != "" {
		if conn, err := net.Dial("unix", sock); err == nil {
			auth = append(auth, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
		}
	}
	if len(auth) == 0 {
		return nil, errors.New("connection needs a privateKey, a password or an SSH agent")
	}
	cfg := &ssh.ClientConfig{User: user, Auth: auth, HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: c.dialTimeout()}
	if c.HostKey != "" { // upstream: no hostKey means "don't verify"
		pinned, _, _, _, err := ssh.ParseAuthorizedKey([]byte(c.HostKey))
		if err != nil {
			return nil, fmt.Errorf("could not parse connection.hostKey: %w", err)
		}
		cfg.HostKeyCallback = pinnedHostKey(pinned)
		// Ask for the pinned key's type: a host with several keys would otherwise offer the one the client likes best.
		cfg.HostKeyAlgorithms = []string{pinned.Type()}
		if pinned.Type() == ssh.KeyAlgoRSA {
			cfg.HostKeyAlgorithms = []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
		}
	}
	return cfg, nil
}

// hostKeyMismatchError: the host answered with another key than the pinned one. The handshake stops there, before
// authentication and before any command or stdin is sent, and dialing is not retried.
type hostKeyMismatchError struct {
	addr, offered, pinned string
}

func (e *hostKeyMismatchError) Error() string {
	return fmt.Sprintf("host key mismatch: %s answered with %s, not the pinned %s; nothing was sent to it. "+
		"If the host was reinstalled, check its new key on its console (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) and pin that one",
		e.addr, e.offered, e.pinned)
}

func pinnedHostKey(pinned ssh.PublicKey) ssh.HostKeyCallback {
	return func(hostname string, _ net.Addr, key ssh.PublicKey) error {
		if bytes.Equal(key.Marshal(), pinned.Marshal()) {
			return nil
		}
		return &hostKeyMismatchError{addr: hostname,
			offered: key.Type() + " " + ssh.FingerprintSHA256(key), pinned: pinned.Type() + " " + ssh.FingerprintSHA256(pinned)}
	}
}

// dialFunc opens the TCP stream to the target (directly, or through a bastion).
type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// dialSSH connects and authenticates, retrying up to dialErrorLimit times (-1: forever)
// because hosts created in the same deployment may still be booting.
func dialSSH(ctx context.Context, c *connection, logf func(string)) (*ssh.Client, error) {
	if c == nil || c.Host == "" {
		return nil, errors.New("connection.host is required")
	}
	cfg, err := c.clientConfig()
	if err != nil {
		return nil, err
	}
	var dial dialFunc = (&net.Dialer{}).DialContext
	var proxy *ssh.Client
	if c.Proxy != nil {
		if proxy, err = dialSSH(ctx, c.Proxy, logf); err != nil {
			return nil, fmt.Errorf("proxy %s: %w", c.Proxy.addr(), err)
		}
		dial = proxy.DialContext
	}
	limit := c.dialLimit()
	backoff := 500 * time.Millisecond
	for attempt := 1; ; attempt++ {
		client, err := dialOnce(ctx, dial, c.addr(), cfg, c.dialTimeout())
		if err == nil {
			if proxy != nil {
				go func() { _ = client.Wait(); _ = proxy.Close() }()
			}
			return client, nil
		}
		var mismatch *hostKeyMismatchError
		if errors.As(err, &mismatch) {
			if proxy != nil {
				_ = proxy.Close()
			}
			return nil, fmt.Errorf("ssh %s@%s: %w", cfg.User, c.addr(), mismatch)
		}
		if ctx.Err() != nil || (limit >= 0 && attempt >= max(limit, 1)) {
			if proxy != nil {
				_ = proxy.Close()
			}
			return nil, fmt.Errorf("ssh %s@%s: %w (after %d attempt(s))", cfg.User, c.addr(), err, attempt)
		}
		if logf != nil {
			logf(fmt.Sprintf("ssh %s: attempt %d failed: %v; retrying", c.addr(), attempt, err))
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func dialOnce(ctx context.Context, dial dialFunc, addr string, cfg *ssh.ClientConfig, timeout time.Duration) (*ssh.Client, error) {
	dctx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	conn, err := dial(dctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	// Bound the SSH handshake by the same per-dial timeout.
	if dl, ok := dctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(dctx, func() { _ = conn.Close() })
	sc, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if !stop() || err != nil {
		_ = conn.Close()
		if err == nil {
			err = dctx.Err()
		}
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	return ssh.NewClient(sc, chans, reqs), nil
}

// runResult is what one command execution produced.
type runResult struct {
	Stdout, Stderr string
	Secret         bool // the previous outputs were secret
}

// exitError carries enough context for a useful "up failed" message.
type exitError struct {
	status int // -1: no exit status (connection lost / killed)
	what   string
	stderr string
}

func (e *exitError) Error() string {
	msg := fmt.Sprintf("command exited with status %d", e.status)
	if e.status < 0 {
		msg = "command ended without an exit status (connection lost or killed by a signal)"
	}
	if e.what != "" {
		msg += ": " + e.what
	}
	if e.stderr != "" {
		msg += "\nlast lines of stderr:\n" + e.stderr
	}
	return msg
}

var shellName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// runRemote runs cmd in a fresh session. Environment goes through the SSH "env" request
// (needs AcceptEnv on the server, which stock sshd configs lack). Where the server refuses,
// variables allowed by canInline are exported in front of the command instead, so they are
// not silently lost as upstream would; the others are dropped, as upstream does.
func runRemote(ctx context.Context, client *ssh.Client, cmd string, env map[string]string,
	canInline func(k string) bool, stdin *string, stdout, stderr io.Writer,
) error {
	sess, err := client.NewSession()
	if err != nil {
		return fmt.Errorf("ssh session: %w", err)
	}
	defer sess.Close()
	var prefix strings.Builder
	for _, k := range sortedKeys(env) {
		if err := sess.Setenv(k, env[k]); err != nil && shellName.MatchString(k) && canInline(k) {
			fmt.Fprintf(&prefix, "export %s=%s; ", k, shellQuote(env[k]))
		}
	}
	if stdin != nil {
		sess.Stdin = strings.NewReader(*stdin)
	}
	sess.Stdout, sess.Stderr = stdout, stderr
	done := make(chan error, 1)
	go func() { done <- sess.Run(prefix.String() + cmd) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = sess.Signal(ssh.SIGKILL)
		_ = sess.Close()
		return ctx.Err()
	}
	var ee *ssh.ExitError
	var missing *ssh.ExitMissingError
	switch {
	case errors.As(err, &ee):
		return &exitError{status: ee.ExitStatus()}
	case errors.As(err, &missing):
		return &exitError{status: -1}
	}
	return err
}

// shellQuote quotes s for POSIX sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// tailLines returns the last n non-empty lines of s, bounded in size.
func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	out := strings.Join(lines, "\n")
	if len(out) > 4000 {
		out = "..." + out[len(out)-4000:]
	}
	return out
}

// lineWriter forwards complete lines to fn (used to stream output to the engine).
type lineWriter struct {
	fn  func(string)
	buf bytes.Buffer
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	for {
		i := bytes.IndexByte(w.buf.Bytes(), '\n')
		if i < 0 {
			break
		}
		line := string(w.buf.Next(i + 1))
		w.fn(strings.TrimRight(line, "\r\n"))
	}
	return len(p), nil
}

func (w *lineWriter) Flush() {
	if w.buf.Len() > 0 {
		w.fn(w.buf.String())
		w.buf.Reset()
	}
}
