package main

import (
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// kind describes one resource type: its inputs, how they default and validate, and how the
// resource is created. Everything else (diff, update, read) is generic over kinds.
type kind struct {
	token string
	// inputs are the input property names; a change to any of them replaces the resource,
	// except for those in inPlace, which upstream updates in the state only.
	inputs  []string
	inPlace map[string]bool
	// writeOnly inputs are used at create time but never stored in the outputs.
	writeOnly map[string]bool
	defaults  resource.PropertyMap
	// outputs are the computed properties, unknown during a preview.
	outputs []string
	// renewable resources carry readyForRenewal/validityEndTime/earlyRenewalHours.
	renewable bool
	validate  func(in props) []failure
	create    func(in props) (id string, outs resource.PropertyMap, err error)
}

type failure struct{ property, reason string }

var kinds = map[string]*kind{}

func register(k *kind) { kinds[k.token] = k }

func init() {
	register(privateKeyKind)
	register(selfSignedCertKind)
	register(certRequestKind)
	register(locallySignedCertKind)
}

// certInputs are shared by SelfSignedCert and LocallySignedCert.
var certInputs = []string{
	"allowedUses", "validityPeriodHours", "earlyRenewalHours", "isCaCertificate",
	"maxPathLength", "setSubjectKeyId",
}

var certOutputs = []string{"certPem", "validityStartTime", "validityEndTime", "readyForRenewal"}

var privateKeyKind = &kind{
	token:    "tls:index/privateKey:PrivateKey",
	inputs:   []string{"algorithm", "ecdsaCurve", "rsaBits"},
	defaults: resource.PropertyMap{"ecdsaCurve": str("P224"), "rsaBits": resource.NewNumberProperty(2048)},
	outputs: []string{"privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh", "publicKeyPem",
		"publicKeyOpenssh", "publicKeyFingerprintMd5", "publicKeyFingerprintSha256"},
	validate: func(in props) (fs []failure) {
		if !in.has("algorithm") {
			fs = append(fs, failure{"algorithm", "missing required property 'algorithm'"})
		} else if a := in.str("algorithm"); !in.unknown("algorithm") && a != algRSA && a != algECDSA && a != algED25519 {
			fs = append(fs, failure{"algorithm", fmt.Sprintf("unsupported algorithm %q; accepted values: RSA, ECDSA, ED25519", a)})
		}
		if c := in.str("ecdsaCurve"); !in.unknown("ecdsaCurve") && curves[c] == nil {
			fs = append(fs, failure{"ecdsaCurve", fmt.Sprintf("unsupported ECDSA curve %q; accepted values: P224, P256, P384, P521", c)})
		}
		if !in.unknown("rsaBits") {
			if bits, err := in.integer("rsaBits", 2048); err != nil || bits <= 0 {
				fs = append(fs, failure{"rsaBits", "rsaBits must be a positive whole number"})
			}
		}
		return fs
	},
	create: createPrivateKey,
}

var selfSignedCertKind = &kind{
	token: "tls:index/selfSignedCert:SelfSignedCert",
	inputs: append([]string{"privateKeyPem", "privateKeyPemWo", "privateKeyPemWoVersion", "subject",
		"dnsNames", "ipAddresses", "uris", "setAuthorityKeyId"}, certInputs...),
	inPlace:   map[string]bool{"earlyRenewalHours": true},
	writeOnly: map[string]bool{"privateKeyPemWo": true},
	defaults: resource.PropertyMap{"earlyRenewalHours": resource.NewNumberProperty(0),
		"isCaCertificate": boolean(false), "setSubjectKeyId": boolean(false), "setAuthorityKeyId": boolean(false)},
	outputs:   append([]string{"keyAlgorithm"}, certOutputs...),
	renewable: true,
	validate: func(in props) []failure {
		fs := validateKeyInput(in, "privateKeyPem")
		fs = append(fs, validateSANs(in)...)
		return append(fs, validateCertInputs(in)...)
	},
	create: createSelfSignedCert,
}

var certRequestKind = &kind{
	token: "tls:index/certRequest:CertRequest",
	inputs: []string{"privateKeyPem", "privateKeyPemWo", "privateKeyPemWoVersion", "subject",
		"dnsNames", "ipAddresses", "uris"},
	writeOnly: map[string]bool{"privateKeyPemWo": true},
	outputs:   []string{"certRequestPem", "keyAlgorithm"},
	validate: func(in props) []failure {
		return append(validateKeyInput(in, "privateKeyPem"), validateSANs(in)...)
	},
	create: createCertRequest,
}

var locallySignedCertKind = &kind{
	token: "tls:index/locallySignedCert:LocallySignedCert",
	inputs: append([]string{"certRequestPem", "caCertPem", "caPrivateKeyPem", "caPrivateKeyPemWo",
		"caPrivateKeyPemWoVersion"}, certInputs...),
	inPlace:   map[string]bool{"earlyRenewalHours": true},
	writeOnly: map[string]bool{"caPrivateKeyPemWo": true},
	defaults: resource.PropertyMap{"earlyRenewalHours": resource.NewNumberProperty(0),
		"isCaCertificate": boolean(false), "setSubjectKeyId": boolean(false)},
	outputs:   append([]string{"caKeyAlgorithm"}, certOutputs...),
	renewable: true,
	validate: func(in props) []failure {
		fs := validateKeyInput(in, "caPrivateKeyPem")
		for _, req := range []string{"certRequestPem", "caCertPem"} {
			if !in.has(req) {
				fs = append(fs, failure{req, fmt.Sprintf("missing required property '%s'", req)})
			}
		}
		return append(fs, validateCertInputs(in)...)
	},
	create: createLocallySignedCert,
}

// validateKeyInput enforces upstream's "exactly one of <key> or <key>Wo", and that a
// write-only key comes with its version (the only signal that it changed).
func validateKeyInput(in props, key string) (fs []failure) {
	wo := key + "Wo"
	switch {
	case in.has(key) && in.has(wo):
		fs = append(fs, failure{key, fmt.Sprintf("exactly one of '%s' or '%s' must be set, not both", key, wo)})
	case !in.has(key) && !in.has(wo):
		fs = append(fs, failure{key, fmt.Sprintf("exactly one of '%s' or '%s' must be set", key, wo)})
	case in.has(wo) && !in.has(wo+"Version"):
		fs = append(fs, failure{wo + "Version", fmt.Sprintf("'%sVersion' is required with '%s'", wo, wo)})
	}
	return fs
}

// keyInput returns whichever of the stored or write-only key the program set.
func keyInput(in props, key string) string {
	if in.has(key) {
		return in.str(key)
	}
	return in.str(key + "Wo")
}

func validateSANs(in props) (fs []failure) {
	if in.unknown("ipAddresses") || in.unknown("uris") {
		return nil
	}
	if _, _, _, err := sans(in); err != nil {
		prop := "ipAddresses"
		if strings.HasPrefix(err.Error(), "invalid URI") {
			prop = "uris"
		}
		fs = append(fs, failure{prop, err.Error()})
	}
	return fs
}

func validateCertInputs(in props) (fs []failure) {
	if !in.has("allowedUses") {
		fs = append(fs, failure{"allowedUses", "missing required property 'allowedUses'"})
	} else if !in.unknown("allowedUses") {
		for _, use := range in.strs("allowedUses") {
			if err := checkUse(use); err != nil {
				fs = append(fs, failure{"allowedUses", err.Error()})
			}
		}
	}
	if !in.has("validityPeriodHours") {
		fs = append(fs, failure{"validityPeriodHours", "missing required property 'validityPeriodHours'"})
	}
	for key, min := range map[string]int64{"validityPeriodHours": 0, "earlyRenewalHours": 0, "maxPathLength": -1} {
		if in.unknown(key) {
			continue
		}
		if v, err := in.integer(key, min); err != nil || v < min {
			fs = append(fs, failure{key, fmt.Sprintf("%s must be a whole number of at least %d", key, min)})
		}
	}
	return fs
}

func createPrivateKey(in props) (string, resource.PropertyMap, error) {
	bits, _ := in.integer("rsaBits", 2048)
	key, err := generateKey(in.str("algorithm"), in.str("ecdsaCurve"), int(bits))
	if err != nil {
		return "", nil, err
	}
	keyPEM, err := privateKeyPEM(key)
	if err != nil {
		return "", nil, err
	}
	pkcs8, err := privateKeyPKCS8PEM(key)
	if err != nil {
		return "", nil, err
	}
	pubPEM, id, err := publicKeyPEM(key.Public())
	if err != nil {
		return "", nil, err
	}
	outs := resource.PropertyMap{
		"privateKeyPem":      secret(keyPEM),
		"privateKeyPemPkcs8": secret(pkcs8),
		"publicKeyPem":       str(pubPEM),
		// Upstream leaves the OpenSSH forms empty where OpenSSH has no encoding (ECDSA P-224).
		"privateKeyOpenssh":          secret(""),
		"publicKeyOpenssh":           str(""),
		"publicKeyFingerprintMd5":    str(""),
		"publicKeyFingerprintSha256": str(""),
	}
	if typ, wire, ok := sshPublicKey(key.Public()); ok {
		outs["publicKeyOpenssh"] = str(sshAuthorizedKey(typ, wire))
		outs["publicKeyFingerprintMd5"] = str(sshFingerprintMD5(wire))
		outs["publicKeyFingerprintSha256"] = str(sshFingerprintSHA256(wire))
	}
	if text, ok := sshPrivateKeyPEM(key); ok {
		outs["privateKeyOpenssh"] = secret(text)
	}
	return id, outs, nil
}

func createSelfSignedCert(in props) (string, resource.PropertyMap, error) {
	key, alg, err := parsePrivateKeyPEM(keyInput(in, "privateKeyPem"))
	if err != nil {
		return "", nil, err
	}
	dns, ips, uris, err := sans(in)
	if err != nil {
		return "", nil, err
	}
	cert := &x509.Certificate{
		BasicConstraintsValid: true,
		Subject:               subjectName(in.object("subject")),
		DNSNames:              dns,
		IPAddresses:           ips,
		URIs:                  uris,
	}
	c, err := createCertificate(in, cert, cert, key.Public(), key)
	if err != nil {
		return "", nil, err
	}
	return c.serial, certOutputsOf(c, "keyAlgorithm", alg), nil
}

func createCertRequest(in props) (string, resource.PropertyMap, error) {
	key, alg, err := parsePrivateKeyPEM(keyInput(in, "privateKeyPem"))
	if err != nil {
		return "", nil, err
	}
	dns, ips, uris, err := sans(in)
	if err != nil {
		return "", nil, err
	}
	req := &x509.CertificateRequest{
		Subject:     subjectName(in.object("subject")),
		DNSNames:    dns,
		IPAddresses: ips,
		URIs:        uris,
	}
	der, err := x509.CreateCertificateRequest(nil, req, key)
	if err != nil {
		return "", nil, fmt.Errorf("error creating certificate request: %w", err)
	}
	return hashForState(der), resource.PropertyMap{
		"certRequestPem": str(pemString("CERTIFICATE REQUEST", der)),
		"keyAlgorithm":   str(alg),
	}, nil
}

func createLocallySignedCert(in props) (string, resource.PropertyMap, error) {
	reqDER, err := parsePEM(in.str("certRequestPem"), "CERTIFICATE REQUEST")
	if err != nil {
		return "", nil, err
	}
	req, err := x509.ParseCertificateRequest(reqDER)
	if err != nil {
		return "", nil, fmt.Errorf("failed to parse certificate request: %w", err)
	}
	caKey, alg, err := parsePrivateKeyPEM(keyInput(in, "caPrivateKeyPem"))
	if err != nil {
		return "", nil, fmt.Errorf("failed to parse CA private key PEM: %w", err)
	}
	caDER, err := parsePEM(in.str("caCertPem"), "CERTIFICATE")
	if err != nil {
		return "", nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return "", nil, fmt.Errorf("failed to parse CA certificate: %w", err)
	}
	// The subject and SANs come from the request, as upstream: the CA signs what was asked for.
	cert := &x509.Certificate{
		BasicConstraintsValid: true,
		Subject:               req.Subject,
		DNSNames:              req.DNSNames,
		IPAddresses:           req.IPAddresses,
		URIs:                  req.URIs,
	}
	c, err := createCertificate(in, cert, ca, req.PublicKey, caKey)
	if err != nil {
		return "", nil, err
	}
	return c.serial, certOutputsOf(c, "caKeyAlgorithm", alg), nil
}

func certOutputsOf(c *issued, algKey, alg string) resource.PropertyMap {
	return resource.PropertyMap{
		"certPem":                    str(c.certPEM),
		"validityStartTime":          str(c.start),
		"validityEndTime":            str(c.end),
		"readyForRenewal":            boolean(false),
		resource.PropertyKey(algKey): str(alg),
	}
}
