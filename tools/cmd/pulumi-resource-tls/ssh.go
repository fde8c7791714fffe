package main

// OpenSSH encodings (RFC 4253 wire format, authorized_keys lines, fingerprints and the
// "openssh-key-v1" private key format), written against the standard library so that the
// plugin needs no module beyond what tools/go.mod already pins directly. The output matches
// golang.org/x/crypto/ssh, which upstream uses.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/big"
	"strings"
)

type sshBuf []byte

func (b *sshBuf) u32(v uint32) { *b = binary.BigEndian.AppendUint32(*b, v) }
func (b *sshBuf) bytes(v []byte) {
	b.u32(uint32(len(v)))
	*b = append(*b, v...)
}
func (b *sshBuf) str(v string) { b.bytes([]byte(v)) }

// mpint is a two's complement big-endian integer; positive values with the top bit set get a
// leading zero byte.
func (b *sshBuf) mpint(v *big.Int) {
	raw := v.Bytes()
	if len(raw) > 0 && raw[0]&0x80 != 0 {
		raw = append([]byte{0}, raw...)
	}
	b.bytes(raw)
}

// sshCurveName maps key sizes to OpenSSH's ECDSA identifiers; P-224 has none, which is why
// upstream leaves the OpenSSH outputs empty for it.
func sshCurveName(k *ecdsa.PublicKey) (string, bool) {
	switch k.Curve.Params().BitSize {
	case 256:
		return "nistp256", true
	case 384:
		return "nistp384", true
	case 521:
		return "nistp521", true
	}
	return "", false
}

// sshPublicKey returns the key type and wire encoding; ok is false for unsupported keys.
func sshPublicKey(pub crypto.PublicKey) (typ string, wire []byte, ok bool) {
	var b sshBuf
	switch k := pub.(type) {
	case *rsa.PublicKey:
		typ = "ssh-rsa"
		b.str(typ)
		b.mpint(big.NewInt(int64(k.E)))
		b.mpint(k.N)
	case *ecdsa.PublicKey:
		curve, supported := sshCurveName(k)
		if !supported {
			return "", nil, false
		}
		point, err := k.Bytes()
		if err != nil {
			return "", nil, false
		}
		typ = "ecdsa-sha2-" + curve
		b.str(typ)
		b.str(curve)
		b.bytes(point)
	case ed25519.PublicKey:
		typ = "ssh-ed25519"
		b.str(typ)
		b.bytes(k)
	default:
		return "", nil, false
	}
	return typ, b, true
}

// sshAuthorizedKey is one authorized_keys line, with the trailing newline x/crypto/ssh adds.
func sshAuthorizedKey(typ string, wire []byte) string {
	return typ + " " + base64.StdEncoding.EncodeToString(wire) + "\n"
}

func sshFingerprintMD5(wire []byte) string {
	sum := md5.Sum(wire)
	parts := make([]string, len(sum))
	for i, c := range sum {
		parts[i] = fmt.Sprintf("%02x", c)
	}
	return strings.Join(parts, ":")
}

func sshFingerprintSHA256(wire []byte) string {
	sum := sha256.Sum256(wire)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// sshPrivateKeyPEM encodes an unencrypted "OPENSSH PRIVATE KEY"; ok is false for keys OpenSSH
// does not support.
func sshPrivateKeyPEM(key crypto.Signer) (string, bool) {
	typ, pubWire, ok := sshPublicKey(key.Public())
	if !ok {
		return "", false
	}
	var priv sshBuf
	check := make([]byte, 4)
	if _, err := rand.Read(check); err != nil {
		return "", false
	}
	priv = append(priv, check...)
	priv = append(priv, check...)
	priv.str(typ)
	switch k := key.(type) {
	case *rsa.PrivateKey:
		k.Precompute()
		priv.mpint(k.N)
		priv.mpint(big.NewInt(int64(k.E)))
		priv.mpint(k.D)
		priv.mpint(k.Precomputed.Qinv)
		priv.mpint(k.Primes[0])
		priv.mpint(k.Primes[1])
	case *ecdsa.PrivateKey:
		curve, _ := sshCurveName(&k.PublicKey)
		point, err := k.PublicKey.Bytes()
		if err != nil {
			return "", false
		}
		d, err := k.Bytes()
		if err != nil {
			return "", false
		}
		priv.str(curve)
		priv.bytes(point)
		priv.mpint(new(big.Int).SetBytes(d))
	case ed25519.PrivateKey:
		priv.bytes(k.Public().(ed25519.PublicKey))
		priv.bytes(k) // seed followed by public key, 64 bytes
	default:
		return "", false
	}
	priv.str("") // comment
	for i := byte(1); len(priv)%8 != 0; i++ {
		priv = append(priv, i)
	}

	out := sshBuf("openssh-key-v1\x00")
	out.str("none") // cipher
	out.str("none") // kdf
	out.str("")     // kdf options
	out.u32(1)      // number of keys
	out.bytes(pubWire)
	out.bytes(priv)
	return pemString("OPENSSH PRIVATE KEY", out), true
}
