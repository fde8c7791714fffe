// Package push copies a verified image archive into site registries over HTTPS and reads its digest back.
package push

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"onprem-k8s/tools/images/internal/archive"
	"onprem-k8s/tools/images/internal/refs"
)

// Options says where to push and how to authenticate.
type Options struct {
	Hosts    []string // HOST:PORT of each registry
	CAFile   string   // PEM bundle the registries' certificates chain to; the system roots when empty
	Username string   // basic auth; anonymous when empty
	Password string
}

// Result is one registry's push.
type Result struct {
	Host    string
	Digest  string
	Bytes   int64
	Seconds float64
}

// httpsOnly sends every request over HTTPS: ggcr picks plain HTTP for private and loopback registry addresses,
// which site registries are, so the scheme is forced here rather than trusted to that guess.
type httpsOnly struct{ next http.RoundTripper }

func (t httpsOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" {
		req = req.Clone(req.Context())
		req.URL.Scheme = "https"
	}
	return t.next.RoundTrip(req)
}

// Transport is an HTTPS-only transport trusting the PEM file caFile (the system roots when empty).
func Transport(caFile string) (http.RoundTripper, error) {
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("--ca: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca %s: no PEM certificate in it", caFile)
		}
		base.TLSClientConfig.RootCAs = pool
	}
	return httpsOnly{base}, nil
}

// Push verifies the archive (every blob, and its manifest digest against want) before anything is sent, then
// pushes it to HOST:PORT/<repository path of upstream>:<tag> on each host and checks the digest each registry
// reports for that tag. report is called after each verified push.
func Push(file, upstream, want string, o Options, report func(Result)) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("push %s: "+format, append([]any{upstream}, args...)...)
	}
	targets := make([]name.Tag, 0, len(o.Hosts))
	for _, h := range o.Hosts {
		t, err := refs.Mirror(upstream, h)
		if err != nil {
			return fail("%v", err)
		}
		targets = append(targets, t)
	}
	if len(targets) == 0 {
		return fail("no registry in --to")
	}
	a, err := archive.Open(file)
	if err != nil {
		return fail("%v", err)
	}
	defer a.Close()
	if a.Digest.String() != want {
		return fail("%s: the archive's image is %s, not the expected %s", file, a.Digest, want)
	}
	tr, err := Transport(o.CAFile)
	if err != nil {
		return fail("%v", err)
	}
	auth := authn.Anonymous
	if o.Username != "" {
		auth = authn.FromConfig(authn.AuthConfig{Username: o.Username, Password: o.Password})
	}
	ctx := context.Background()
	opts := []remote.Option{remote.WithTransport(tr), remote.WithAuth(auth), remote.WithContext(ctx)}
	for i, t := range targets {
		host := o.Hosts[i]
		start := time.Now()
		if err := remote.Write(t, a.Image, opts...); err != nil {
			return fail("to %s: %v", host, err)
		}
		desc, err := remote.Head(t, opts...)
		if err != nil {
			return fail("to %s: reading the digest back: %v", host, err)
		}
		if desc.Digest != a.Digest {
			return fail("to %s: the registry reports %s for %s, not the pushed %s", host, desc.Digest, t, a.Digest)
		}
		report(Result{Host: host, Digest: a.Digest.String(), Bytes: a.Size, Seconds: time.Since(start).Seconds()})
	}
	return nil
}
