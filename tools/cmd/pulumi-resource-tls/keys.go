package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// Names as the Terraform provider spells them; they are also the keyAlgorithm outputs.
const (
	algRSA     = "RSA"
	algECDSA   = "ECDSA"
	algED25519 = "ED25519"
)

var curves = map[string]elliptic.Curve{
	"P224": elliptic.P224(),
	"P256": elliptic.P256(),
	"P384": elliptic.P384(),
	"P521": elliptic.P521(),
}

func generateKey(algorithm, curve string, rsaBits int) (crypto.Signer, error) {
	switch algorithm {
	case algRSA:
		return rsa.GenerateKey(rand.Reader, rsaBits)
	case algECDSA:
		c, ok := curves[curve]
		if !ok {
			return nil, fmt.Errorf("unsupported ECDSA curve %q", curve)
		}
		return ecdsa.GenerateKey(c, rand.Reader)
	case algED25519:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	}
	return nil, fmt.Errorf("unsupported algorithm %q", algorithm)
}

func pemString(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

// privateKeyPEM uses each algorithm's traditional encoding, as upstream does: PKCS#1 for RSA,
// SEC 1 for ECDSA and PKCS#8 for ED25519 (which has no other).
func privateKeyPEM(key crypto.Signer) (string, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return pemString("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k)), nil
	case *ecdsa.PrivateKey:
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return "", err
		}
		return pemString("EC PRIVATE KEY", der), nil
	}
	return privateKeyPKCS8PEM(key)
}

func privateKeyPKCS8PEM(key crypto.Signer) (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", err
	}
	return pemString("PRIVATE KEY", der), nil
}

// publicKeyPEM returns the PKIX PEM and the resource id upstream derives from it: the SHA-1 of
// the DER bytes, in hex.
func publicKeyPEM(pub crypto.PublicKey) (pemText, id string, err error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", "", err
	}
	return pemString("PUBLIC KEY", der), hashForState(der), nil
}

// hashForState is upstream's id function: hex SHA-1 of the (space-trimmed) bytes.
func hashForState(b []byte) string {
	sum := sha1.Sum([]byte(strings.TrimSpace(string(b))))
	return hex.EncodeToString(sum[:])
}

// parsePrivateKeyPEM accepts the PEM encodings this provider (and upstream) produce.
func parsePrivateKeyPEM(text string) (crypto.Signer, string, error) {
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return nil, "", errors.New("failed to decode PEM block containing a private key")
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, "", fmt.Errorf("unsupported private key PEM type %q", block.Type)
	}
	if err != nil {
		return nil, "", fmt.Errorf("failed to parse private key: %w", err)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return k, algRSA, nil
	case *ecdsa.PrivateKey:
		return k, algECDSA, nil
	case ed25519.PrivateKey:
		return k, algED25519, nil
	}
	return nil, "", fmt.Errorf("unsupported private key type %T", key)
}

// parsePEM decodes a single PEM block of the given type.
func parsePEM(text, typ string) ([]byte, error) {
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return nil, fmt.Errorf("failed to decode PEM of expected type %q", typ)
	}
	if block.Type != typ {
		return nil, fmt.Errorf("invalid PEM type: expected %q, got %q", typ, block.Type)
	}
	return block.Bytes, nil
}
