package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"onprem-k8s/tools/cmd/internal/propmap"
	"onprem-k8s/tools/cmd/internal/propmap/propmaptest"
)

// The tests drive the provider through its RPC methods, with properties marshaled the way the
// engine sends them, so secrets and unknowns take the same path as in a real deployment.

const (
	urnKey  = "urn:pulumi:dev::tlstest::tls:index/privateKey:PrivateKey::k"
	urnSelf = "urn:pulumi:dev::tlstest::tls:index/selfSignedCert:SelfSignedCert::ca"
	urnCSR  = "urn:pulumi:dev::tlstest::tls:index/certRequest:CertRequest::csr"
	urnCert = "urn:pulumi:dev::tlstest::tls:index/locallySignedCert:LocallySignedCert::server"
)

func strs(v ...string) resource.PropertyValue {
	arr := make([]resource.PropertyValue, len(v))
	for i, s := range v {
		arr[i] = str(s)
	}
	return resource.NewArrayProperty(arr)
}

func num(n float64) resource.PropertyValue { return resource.NewNumberProperty(n) }

// check runs Check and fails the test on any failure.
func check(t *testing.T, p *provider, urn string, news resource.PropertyMap) resource.PropertyMap {
	t.Helper()
	resp, err := p.Check(context.Background(), &pulumirpc.CheckRequest{Urn: urn, News: propmaptest.MustMarshal(t, news)})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Failures) > 0 {
		t.Fatalf("check failures: %v", resp.Failures)
	}
	in, err := propmap.Unmarshal(resp.Inputs)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// create runs Check then Create and returns the id and state.
func create(t *testing.T, p *provider, urn string, news resource.PropertyMap) (string, resource.PropertyMap) {
	t.Helper()
	in := check(t, p, urn, news)
	resp, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Properties: propmaptest.MustMarshal(t, in)})
	if err != nil {
		t.Fatal(err)
	}
	state, err := propmap.Unmarshal(resp.Properties)
	if err != nil {
		t.Fatal(err)
	}
	return resp.Id, state
}

func diff(t *testing.T, p *provider, urn string, olds, news resource.PropertyMap) *pulumirpc.DiffResponse {
	t.Helper()
	in := check(t, p, urn, news)
	resp, err := p.Diff(context.Background(), &pulumirpc.DiffRequest{Urn: urn, Olds: propmaptest.MustMarshal(t, olds), News: propmaptest.MustMarshal(t, in)})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func parseCert(t *testing.T, state resource.PropertyMap) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode([]byte(props(state).str("certPem")))
	if block == nil {
		t.Fatal("certPem is not PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// pki builds a CA and a server certificate the way the project's program does.
type pki struct {
	caKey, ca, serverKey, csr, server resource.PropertyMap
	caInputs, serverInputs            resource.PropertyMap
	caCert, serverCert                *x509.Certificate
}

func buildPKI(t *testing.T, p *provider) *pki {
	var k pki
	_, k.caKey = create(t, p, urnKey, resource.PropertyMap{"algorithm": str("RSA")})
	_, k.serverKey = create(t, p, urnKey, resource.PropertyMap{"algorithm": str("ECDSA"), "ecdsaCurve": str("P256")})

	k.caInputs = resource.PropertyMap{
		"privateKeyPem":       k.caKey["privateKeyPem"], // arrives secret, as from the SDK
		"subject":             resource.NewObjectProperty(resource.PropertyMap{"commonName": str("test CA"), "organization": str("onprem-k8s")}),
		"isCaCertificate":     boolean(true),
		"validityPeriodHours": num(87600),
		"allowedUses":         strs("cert_signing", "crl_signing", "digital_signature"),
	}
	_, k.ca = create(t, p, urnSelf, k.caInputs)

	_, k.csr = create(t, p, urnCSR, resource.PropertyMap{
		"privateKeyPem": k.serverKey["privateKeyPem"],
		"subject":       resource.NewObjectProperty(resource.PropertyMap{"commonName": str("apiserver")}),
		"dnsNames":      strs("localhost", "kubernetes.default"),
		"ipAddresses":   strs("127.0.0.1", "10.96.0.1"),
	})

	k.serverInputs = resource.PropertyMap{
		"certRequestPem":      k.csr["certRequestPem"],
		"caPrivateKeyPem":     k.caKey["privateKeyPem"],
		"caCertPem":           k.ca["certPem"],
		"validityPeriodHours": num(24),
		"allowedUses":         strs("digital_signature", "key_encipherment", "server_auth", "client_auth"),
	}
	_, k.server = create(t, p, urnCert, k.serverInputs)
	k.caCert, k.serverCert = parseCert(t, k.ca), parseCert(t, k.server)
	return &k
}

func TestChainVerifiesWithSANsAndUsages(t *testing.T) {
	k := buildPKI(t, newProvider())

	if !k.caCert.IsCA || k.caCert.KeyUsage&x509.KeyUsageCertSign == 0 || k.caCert.Subject.CommonName != "test CA" {
		t.Fatalf("CA certificate: isCA=%v usage=%v subject=%v", k.caCert.IsCA, k.caCert.KeyUsage, k.caCert.Subject)
	}
	roots := x509.NewCertPool()
	roots.AddCert(k.caCert)
	for _, host := range []string{"localhost", "kubernetes.default", "127.0.0.1", "10.96.0.1"} {
		_, err := k.serverCert.Verify(x509.VerifyOptions{
			Roots: roots, DNSName: host,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
		if err != nil {
			t.Errorf("verify for %s: %v", host, err)
		}
	}
	if err := k.serverCert.VerifyHostname("example.com"); err == nil {
		t.Error("certificate unexpectedly valid for example.com")
	}
	if !slices.Equal(k.serverCert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}) {
		t.Errorf("ext key usages = %v", k.serverCert.ExtKeyUsage)
	}
	if want := x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment; k.serverCert.KeyUsage != want {
		t.Errorf("key usage = %v, want %v", k.serverCert.KeyUsage, want)
	}
	if k.serverCert.IsCA {
		t.Error("server certificate is a CA")
	}
	if !slices.ContainsFunc(k.serverCert.IPAddresses, func(ip net.IP) bool { return ip.Equal(net.ParseIP("127.0.0.1")) }) {
		t.Errorf("IP SANs = %v", k.serverCert.IPAddresses)
	}
	if k.serverCert.Subject.CommonName != "apiserver" || k.serverCert.Issuer.CommonName != "test CA" {
		t.Errorf("subject %v issuer %v", k.serverCert.Subject, k.serverCert.Issuer)
	}

	// Validity: 24 hours from now, and the state's times describe the certificate.
	if d := k.serverCert.NotAfter.Sub(k.serverCert.NotBefore); d != 24*time.Hour {
		t.Errorf("validity period = %v", d)
	}
	if time.Since(k.serverCert.NotBefore) > time.Minute || time.Until(k.serverCert.NotBefore) > time.Second {
		t.Errorf("NotBefore = %v, not now", k.serverCert.NotBefore)
	}
	end, err := time.Parse(time.RFC3339, props(k.server).str("validityEndTime"))
	if err != nil || end.Truncate(time.Second).Sub(k.serverCert.NotAfter) != 0 {
		t.Errorf("validityEndTime %q vs NotAfter %v (%v)", props(k.server).str("validityEndTime"), k.serverCert.NotAfter, err)
	}
	if props(k.server).boolean("readyForRenewal") || !props(k.server).has("readyForRenewal") {
		t.Error("readyForRenewal should be a known false")
	}
	if got := props(k.server).str("caKeyAlgorithm"); got != "RSA" {
		t.Errorf("caKeyAlgorithm = %q", got)
	}
	if got := props(k.csr).str("keyAlgorithm"); got != "ECDSA" {
		t.Errorf("keyAlgorithm = %q", got)
	}
	if props(k.ca).boolean("setAuthorityKeyId") || props(k.ca).str("keyAlgorithm") != "RSA" {
		t.Errorf("CA state defaults/outputs wrong: %v", k.ca)
	}
}

func TestSecretsStaySecret(t *testing.T) {
	k := buildPKI(t, newProvider())
	for _, key := range []resource.PropertyKey{"privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"} {
		if !k.caKey[key].IsSecret() {
			t.Errorf("PrivateKey.%s is not secret", key)
		}
	}
	for _, key := range []resource.PropertyKey{"publicKeyPem", "publicKeyOpenssh", "publicKeyFingerprintSha256"} {
		if k.caKey[key].IsSecret() || props(k.caKey).str(string(key)) == "" {
			t.Errorf("PrivateKey.%s should be a plain, non-empty string", key)
		}
	}
	if !k.ca["privateKeyPem"].IsSecret() || !k.server["caPrivateKeyPem"].IsSecret() || !k.csr["privateKeyPem"].IsSecret() {
		t.Error("secret key inputs lost their secret marking in the state")
	}
	if k.server["certPem"].IsSecret() {
		t.Error("certPem should not be secret")
	}
	if !strings.HasPrefix(props(k.caKey).str("privateKeyPem"), "-----BEGIN RSA PRIVATE KEY-----") ||
		!strings.HasPrefix(props(k.serverKey).str("privateKeyPem"), "-----BEGIN EC PRIVATE KEY-----") ||
		!strings.HasPrefix(props(k.serverKey).str("privateKeyPemPkcs8"), "-----BEGIN PRIVATE KEY-----") {
		t.Error("private key PEM types differ from upstream")
	}
}

func TestDiff(t *testing.T) {
	p := newProvider()
	k := buildPKI(t, p)

	if d := diff(t, p, urnCert, k.server, k.serverInputs); d.Changes != pulumirpc.DiffResponse_DIFF_NONE {
		t.Errorf("unchanged inputs: %v", d)
	}
	// A secret-wrapped value that is otherwise equal is not a change.
	plainKey := k.serverInputs.Copy()
	plainKey["caPrivateKeyPem"] = str(props(k.serverInputs).str("caPrivateKeyPem"))
	if d := diff(t, p, urnCert, k.server, plainKey); d.Changes != pulumirpc.DiffResponse_DIFF_NONE {
		t.Errorf("secretness change: %v", d)
	}

	longer := k.serverInputs.Copy()
	longer["validityPeriodHours"] = num(48)
	d := diff(t, p, urnCert, k.server, longer)
	if d.Changes != pulumirpc.DiffResponse_DIFF_SOME || !slices.Equal(d.Replaces, []string{"validityPeriodHours"}) {
		t.Errorf("validityPeriodHours change: %v", d)
	}
	if d.DetailedDiff["validityPeriodHours"].GetKind() != pulumirpc.PropertyDiff_UPDATE_REPLACE {
		t.Errorf("detailed diff: %v", d.DetailedDiff)
	}

	sans := resource.PropertyMap{"privateKeyPem": k.serverKey["privateKeyPem"], "dnsNames": strs("other")}
	if d := diff(t, p, urnCSR, k.csr, sans); !slices.Contains(d.Replaces, "dnsNames") || !slices.Contains(d.Replaces, "ipAddresses") {
		t.Errorf("SAN change: %v", d)
	}

	keyChange := resource.PropertyMap{"algorithm": str("RSA"), "rsaBits": num(4096)}
	if d := diff(t, p, urnKey, k.caKey, keyChange); !slices.Equal(d.Replaces, []string{"rsaBits"}) {
		t.Errorf("rsaBits change: %v", d)
	}

	// Unknown during preview: must be treated as a replacement.
	unknown := k.serverInputs.Copy()
	unknown["caCertPem"] = propmap.Unknown()
	if d := diff(t, p, urnCert, k.server, unknown); !slices.Equal(d.Replaces, []string{"caCertPem"}) {
		t.Errorf("unknown input: %v", d)
	}

	// earlyRenewalHours alone updates in place, as upstream.
	early := k.serverInputs.Copy()
	early["earlyRenewalHours"] = num(2)
	d = diff(t, p, urnCert, k.server, early)
	if d.Changes != pulumirpc.DiffResponse_DIFF_SOME || len(d.Replaces) != 0 {
		t.Errorf("earlyRenewalHours change: %v", d)
	}
}

func TestEarlyRenewal(t *testing.T) {
	p := newProvider()
	k := buildPKI(t, p)
	defer func() { now = time.Now }()

	// 23 hours into a 24-hour certificate, with 2 hours of early renewal.
	now = func() time.Time { return time.Now().Add(23 * time.Hour) }
	early := k.serverInputs.Copy()
	early["earlyRenewalHours"] = num(2)
	d := diff(t, p, urnCert, k.server, early)
	if !slices.Contains(d.Replaces, "readyForRenewal") {
		t.Errorf("inside the renewal window: %v", d)
	}
	if d := diff(t, p, urnCert, k.server, k.serverInputs); len(d.Replaces) != 0 {
		t.Errorf("outside the renewal window: %v", d)
	}

	// Read (refresh) flips readyForRenewal once the window is reached.
	now = func() time.Time { return time.Now().Add(25 * time.Hour) }
	resp, err := p.Read(context.Background(), &pulumirpc.ReadRequest{Id: "1", Urn: urnCert, Properties: propmaptest.MustMarshal(t, k.server)})
	if err != nil {
		t.Fatal(err)
	}
	state, _ := propmap.Unmarshal(resp.Properties)
	if !props(state).boolean("readyForRenewal") || !state["caPrivateKeyPem"].IsSecret() {
		t.Errorf("after read: readyForRenewal=%v", state["readyForRenewal"])
	}
}

func TestPreviewReturnsUnknowns(t *testing.T) {
	p := newProvider()
	in := resource.PropertyMap{
		"privateKeyPem":       resource.MakeSecret(propmap.Unknown()),
		"subject":             resource.NewObjectProperty(resource.PropertyMap{"commonName": str("x")}),
		"validityPeriodHours": num(1),
		"allowedUses":         strs("server_auth"),
	}
	checked := check(t, p, urnSelf, in)
	resp, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: urnSelf, Properties: propmaptest.MustMarshal(t, checked), Preview: true})
	if err != nil {
		t.Fatal(err)
	}
	state, _ := propmap.Unmarshal(resp.Properties)
	for _, key := range []resource.PropertyKey{"certPem", "validityEndTime", "keyAlgorithm"} {
		if !state[key].IsComputed() {
			t.Errorf("%s = %v, want unknown", key, state[key])
		}
	}
	if !state["privateKeyPem"].ContainsUnknowns() {
		t.Error("unknown input lost")
	}
}

func TestCheckDefaultsAndValidation(t *testing.T) {
	p := newProvider()
	in := check(t, p, urnKey, resource.PropertyMap{"algorithm": str("ECDSA")})
	if props(in).str("ecdsaCurve") != "P224" {
		t.Errorf("ecdsaCurve default = %v", in["ecdsaCurve"])
	}
	if n, _ := props(in).integer("rsaBits", 0); n != 2048 {
		t.Errorf("rsaBits default = %v", n)
	}

	bad := func(urn string, news resource.PropertyMap, want string) {
		t.Helper()
		resp, err := p.Check(context.Background(), &pulumirpc.CheckRequest{Urn: urn, News: propmaptest.MustMarshal(t, news)})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range resp.Failures {
			if strings.Contains(f.Reason, want) {
				return
			}
		}
		t.Errorf("no failure mentioning %q: %v", want, resp.Failures)
	}
	bad(urnKey, resource.PropertyMap{"algorithm": str("DSA")}, "unsupported algorithm")
	bad(urnSelf, resource.PropertyMap{"privateKeyPem": str("x"), "validityPeriodHours": num(1),
		"allowedUses": strs("certSigning")}, `did you mean "cert_signing"`)
	bad(urnCSR, resource.PropertyMap{"privateKeyPem": str("x"), "ipAddresses": strs("not-an-ip")}, "invalid IP address")
	bad(urnCert, resource.PropertyMap{"validityPeriodHours": num(1), "allowedUses": strs()}, "caPrivateKeyPem")
}

func TestPrivateKeyFormats(t *testing.T) {
	p := newProvider()
	for _, tc := range []struct{ alg, curve, sshType string }{
		{"RSA", "", "ssh-rsa"},
		{"ECDSA", "P384", "ecdsa-sha2-nistp384"},
		{"ED25519", "", "ssh-ed25519"},
		{"ECDSA", "P224", ""},
	} {
		news := resource.PropertyMap{"algorithm": str(tc.alg)}
		if tc.curve != "" {
			news["ecdsaCurve"] = str(tc.curve)
		}
		id, state := create(t, p, urnKey, news)
		s := props(state)
		if id == "" || s.str("id") != id {
			t.Errorf("%s: id %q / %q", tc.alg, id, s.str("id"))
		}
		key, alg, err := parsePrivateKeyPEM(s.str("privateKeyPem"))
		if err != nil || alg != tc.alg {
			t.Fatalf("%s: parse privateKeyPem: %v %v", tc.alg, alg, err)
		}
		if _, _, err := parsePrivateKeyPEM(s.str("privateKeyPemPkcs8")); err != nil {
			t.Errorf("%s: parse pkcs8: %v", tc.alg, err)
		}
		pubPEM, _, _ := publicKeyPEM(key.Public())
		if s.str("publicKeyPem") != pubPEM {
			t.Errorf("%s: publicKeyPem does not match the private key", tc.alg)
		}
		if tc.sshType == "" {
			if s.str("publicKeyOpenssh") != "" || s.str("privateKeyOpenssh") != "" {
				t.Errorf("%s %s: OpenSSH outputs should be empty", tc.alg, tc.curve)
			}
			continue
		}
		if !strings.HasPrefix(s.str("publicKeyOpenssh"), tc.sshType+" ") || !strings.HasSuffix(s.str("publicKeyOpenssh"), "\n") {
			t.Errorf("%s: publicKeyOpenssh = %q", tc.alg, s.str("publicKeyOpenssh"))
		}
		sshKeygenAgrees(t, s)
	}
}

func TestSchemaNamesEveryResource(t *testing.T) {
	resp, err := newProvider().GetSchema(context.Background(), &pulumirpc.GetSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Version   string
		Resources map[string]struct {
			Properties map[string]struct{ Secret bool }
		}
	}
	if err := json.Unmarshal([]byte(resp.Schema), &schema); err != nil {
		t.Fatal(err)
	}
	if schema.Version != version || len(schema.Resources) != len(kinds) {
		t.Fatalf("schema version %q, %d resources", schema.Version, len(schema.Resources))
	}
	if !schema.Resources[privateKeyKind.token].Properties["privateKeyPem"].Secret {
		t.Error("privateKeyPem not marked secret in the schema")
	}
}
