package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode"
)

// allowedUses values are Terraform's (snake_case), not the camelCase the SDK's doc comments
// show: the bridged provider passes the strings through unchanged, so only these are valid.
var keyUsages = map[string]x509.KeyUsage{
	"digital_signature":  x509.KeyUsageDigitalSignature,
	"content_commitment": x509.KeyUsageContentCommitment,
	"key_encipherment":   x509.KeyUsageKeyEncipherment,
	"data_encipherment":  x509.KeyUsageDataEncipherment,
	"key_agreement":      x509.KeyUsageKeyAgreement,
	"cert_signing":       x509.KeyUsageCertSign,
	"crl_signing":        x509.KeyUsageCRLSign,
	"encipher_only":      x509.KeyUsageEncipherOnly,
	"decipher_only":      x509.KeyUsageDecipherOnly,
}

var extKeyUsages = map[string]x509.ExtKeyUsage{
	"any_extended":                      x509.ExtKeyUsageAny,
	"server_auth":                       x509.ExtKeyUsageServerAuth,
	"client_auth":                       x509.ExtKeyUsageClientAuth,
	"code_signing":                      x509.ExtKeyUsageCodeSigning,
	"email_protection":                  x509.ExtKeyUsageEmailProtection,
	"ipsec_end_system":                  x509.ExtKeyUsageIPSECEndSystem,
	"ipsec_tunnel":                      x509.ExtKeyUsageIPSECTunnel,
	"ipsec_user":                        x509.ExtKeyUsageIPSECUser,
	"timestamping":                      x509.ExtKeyUsageTimeStamping,
	"ocsp_signing":                      x509.ExtKeyUsageOCSPSigning,
	"microsoft_server_gated_crypto":     x509.ExtKeyUsageMicrosoftServerGatedCrypto,
	"netscape_server_gated_crypto":      x509.ExtKeyUsageNetscapeServerGatedCrypto,
	"microsoft_commercial_code_signing": x509.ExtKeyUsageMicrosoftCommercialCodeSigning,
	"microsoft_kernel_code_signing":     x509.ExtKeyUsageMicrosoftKernelCodeSigning,
}

func supportedUses() []string {
	var all []string
	for k := range keyUsages {
		all = append(all, k)
	}
	for k := range extKeyUsages {
		all = append(all, k)
	}
	sort.Strings(all)
	return all
}

// checkUse explains an invalid allowedUses entry, pointing camelCase spellings (copied from
// the SDK docs) at the value that works.
func checkUse(use string) error {
	if _, ok := keyUsages[use]; ok {
		return nil
	}
	if _, ok := extKeyUsages[use]; ok {
		return nil
	}
	snake := toSnake(use)
	if _, ok := keyUsages[snake]; ok {
		return fmt.Errorf("unsupported allowed use %q (did you mean %q?)", use, snake)
	}
	if _, ok := extKeyUsages[snake]; ok {
		return fmt.Errorf("unsupported allowed use %q (did you mean %q?)", use, snake)
	}
	return fmt.Errorf("unsupported allowed use %q; accepted values: %s", use, strings.Join(supportedUses(), ", "))
}

func toSnake(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsUpper(r) {
			b.WriteByte('_')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

var oidEmailAddress = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}

// subjectName builds the distinguished name the way upstream does: single-valued attributes,
// street addresses as a list, and the e-mail address as an IA5String extra attribute.
func subjectName(s props) pkix.Name {
	var n pkix.Name
	one := func(key string) []string {
		if v := s.str(key); v != "" {
			return []string{v}
		}
		return nil
	}
	n.CommonName = s.str("commonName")
	n.Organization = one("organization")
	n.OrganizationalUnit = one("organizationalUnit")
	n.StreetAddress = s.strs("streetAddresses")
	n.Locality = one("locality")
	n.Province = one("province")
	n.Country = one("country")
	n.PostalCode = one("postalCode")
	n.SerialNumber = s.str("serialNumber")
	if email := s.str("emailAddress"); email != "" {
		n.ExtraNames = append(n.ExtraNames, pkix.AttributeTypeAndValue{
			Type:  oidEmailAddress,
			Value: asn1.RawValue{Tag: asn1.TagIA5String, Bytes: []byte(email)},
		})
	}
	return n
}

func isEmptyName(n pkix.Name) bool {
	return len(n.ToRDNSequence()) == 0 && len(n.ExtraNames) == 0
}

// sans parses dnsNames, ipAddresses and uris, shared by certificates and requests.
func sans(in props) (dns []string, ips []net.IP, uris []*url.URL, err error) {
	dns = in.strs("dnsNames")
	for _, s := range in.strs("ipAddresses") {
		ip := net.ParseIP(s)
		if ip == nil {
			return nil, nil, nil, fmt.Errorf("invalid IP address %q", s)
		}
		ips = append(ips, ip)
	}
	for _, s := range in.strs("uris") {
		u, perr := url.Parse(s)
		if perr != nil {
			return nil, nil, nil, fmt.Errorf("invalid URI %q: %v", s, perr)
		}
		uris = append(uris, u)
	}
	return dns, ips, uris, nil
}

// subjectKeyID hashes the public key as upstream does (RFC 5280 method 1 for RSA and ECDSA;
// for ED25519 upstream hashes an ASN.1 OCTET STRING), so ids match the official provider's.
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	var raw []byte
	var err error
	switch k := pub.(type) {
	case *rsa.PublicKey:
		raw, err = asn1.Marshal(*k)
	case *ecdsa.PublicKey:
		raw, err = k.Bytes()
	case ed25519.PublicKey:
		raw, err = asn1.Marshal(k)
	default:
		err = fmt.Errorf("unsupported public key type %T", pub)
	}
	if err != nil {
		return nil, err
	}
	sum := sha1.Sum(raw)
	return sum[:], nil
}

// now is replaced in tests to exercise early renewal.
var now = time.Now

// issued is what createCertificate stores in the state.
type issued struct {
	serial, certPEM, start, end string
}

// createCertificate fills in the parts of template that come from the shared certificate
// inputs (validity, usages, CA flags, key ids) and signs it with signer as parent.
func createCertificate(in props, template, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) (*issued, error) {
	hours, err := in.integer("validityPeriodHours", 0)
	if err != nil {
		return nil, err
	}
	template.NotBefore = now()
	template.NotAfter = template.NotBefore.Add(time.Duration(hours) * time.Hour)
	if template.SerialNumber, err = rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128)); err != nil {
		return nil, err
	}
	for _, use := range in.strs("allowedUses") {
		if u, ok := keyUsages[use]; ok {
			template.KeyUsage |= u
		}
		if u, ok := extKeyUsages[use]; ok {
			template.ExtKeyUsage = append(template.ExtKeyUsage, u)
		}
	}
	if in.boolean("isCaCertificate") {
		// RFC 5280 4.1.2.6: a CA certificate needs a non-empty subject.
		if isEmptyName(template.Subject) {
			return nil, errors.New("invalid certificate subject: must contain at least one distinguished name when creating a certificate authority (CA)")
		}
		template.IsCA = true
		if template.SubjectKeyId, err = subjectKeyID(pub); err != nil {
			return nil, err
		}
		maxPath, err := in.integer("maxPathLength", -1)
		if err != nil {
			return nil, err
		}
		if maxPath >= 0 {
			template.MaxPathLen = int(maxPath)
			template.MaxPathLenZero = maxPath == 0
		}
	}
	if in.boolean("setSubjectKeyId") {
		if template.SubjectKeyId, err = subjectKeyID(pub); err != nil {
			return nil, err
		}
	}
	if in.boolean("setAuthorityKeyId") {
		if len(parent.SubjectKeyId) == 0 {
			return nil, errors.New("invalid certificate authority: could not determine authority key identifier")
		}
		template.AuthorityKeyId = parent.SubjectKeyId
	}
	der, err := x509.CreateCertificate(rand.Reader, template, parent, pub, signer)
	if err != nil {
		return nil, fmt.Errorf("failed to create certificate: %w", err)
	}
	start, _ := template.NotBefore.MarshalText()
	end, _ := template.NotAfter.MarshalText()
	return &issued{
		serial:  template.SerialNumber.String(),
		certPEM: pemString("CERTIFICATE", der),
		start:   string(start),
		end:     string(end),
	}, nil
}

// readyForRenewal reports whether the certificate is within earlyRenewalHours of its end (or
// past it). Upstream flips ready_for_renewal to true on read and forces a replacement in plan.
func readyForRenewal(validityEnd string, earlyRenewalHours int64) bool {
	end, err := time.Parse(time.RFC3339, validityEnd)
	if err != nil {
		return false
	}
	return !end.Add(-time.Duration(earlyRenewalHours) * time.Hour).After(now())
}
