package token

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/MicahParks/jwkset"
)

// minHMACSecretBytes: RFC 7518 §3.2 requires a key at least as long as the
// hash output (256 bits for HS256).
const minHMACSecretBytes = 32

var (
	// errNoUsableKeys: a JWK Set held no key we can verify with.
	errNoUsableKeys = errors.New("no usable signing keys")
	// errNotSigningKey: a JWK meant for encryption, skipped quietly.
	errNotSigningKey = errors.New("not a signature key")
)

// readPEM returns the first PEM block of the file at path.
func readPEM(path string) (*pem.Block, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	return block, nil
}

// loadPEMPublicKey reads a PKIX "PUBLIC KEY", PKCS#1 "RSA PUBLIC KEY" or
// "CERTIFICATE" PEM file and returns its public key.
func loadPEMPublicKey(path string) (any, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	var key any
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
			key = cert.PublicKey
		}
	default:
		if strings.Contains(block.Type, "PRIVATE") {
			return nil, fmt.Errorf("PEM block %q is a private key; configure the public key", block.Type)
		}
		return nil, fmt.Errorf("unsupported PEM block %q", block.Type)
	}
	if err != nil {
		return nil, err
	}
	if !usablePublicKey(key) {
		return nil, fmt.Errorf("unsupported public key %T (need RSA >= %d bits, EC P-256/P-384 or Ed25519)", key, minRSABits)
	}
	return key, nil
}

// loadHMACSecret reads an HS256 secret. One trailing newline is dropped
// because `echo secret > file` is how such files are usually written.
func loadHMACSecret(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	data = []byte(strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r"))
	if len(data) < minHMACSecretBytes {
		return nil, fmt.Errorf("secret is %d bytes; HS256 needs at least %d", len(data), minHMACSecretBytes)
	}
	return data, nil
}

// loadStaticKeys reads the issuer's jwks_file and pem_keys. path prefixes
// errors with the config field ("issuers[0]").
func loadStaticKeys(path string, ic *IssuerConfig) ([]*verificationKey, error) {
	var keys []*verificationKey
	if ic.JWKSFile != "" {
		data, err := os.ReadFile(ic.JWKSFile)
		if err != nil {
			return nil, fmt.Errorf("%s.jwks_file: %w", path, err)
		}
		set, _, err := parseJWKS(data)
		if err != nil {
			return nil, fmt.Errorf("%s.jwks_file: %q: %w", path, ic.JWKSFile, err)
		}
		keys = append(keys, set...)
	}
	for i, pk := range ic.PEMKeys {
		key, err := loadPEMPublicKey(pk.File)
		if err != nil {
			return nil, fmt.Errorf("%s.pem_keys[%d].file: %q: %w", path, i, pk.File, err)
		}
		if !fitsAny(ic.Algorithms, key) {
			return nil, fmt.Errorf("%s.pem_keys[%d].file: %q: a %T fits none of the algorithms %v", path, i, pk.File, key, ic.Algorithms)
		}
		keys = append(keys, &verificationKey{kid: pk.KeyID, key: key})
	}
	return keys, nil
}

// parseJWKS parses a JWK Set with jwkset and keeps the keys we may verify
// with. Keys that do not qualify are skipped and reported in skipped; a set
// with no usable key at all is an error (the caller keeps its last good set).
func parseJWKS(data []byte) (keys []*verificationKey, skipped []error, err error) {
	var set jwkset.JWKSMarshal
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, nil, fmt.Errorf("decode JWK Set: %w", err)
	}
	for i, m := range set.Keys {
		k, err := jwkToKey(m)
		if err != nil {
			skipped = append(skipped, fmt.Errorf("keys[%d] (kid %q): %w", i, m.KID, err))
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, skipped, fmt.Errorf("%w among %d keys: %w", errNoUsableKeys, len(set.Keys), errors.Join(skipped...))
	}
	return keys, skipped, nil
}

// jwkToKey turns one JWK into a verification key, refusing anything that is
// not a public signature key: symmetric ("oct") keys are never taken from a
// JWK Set, since a published secret is no secret and would enable HS256
// forgeries.
func jwkToKey(m jwkset.JWKMarshal) (*verificationKey, error) {
	switch {
	case m.KTY == jwkset.KtyOct:
		return nil, errors.New("symmetric (oct) keys are not accepted from a JWK Set")
	case m.D != "" || m.P != "" || m.Q != "" || m.K != "":
		return nil, errors.New("contains private key material")
	case m.USE != "" && m.USE != jwkset.UseSig:
		return nil, fmt.Errorf("%w: use %q", errNotSigningKey, m.USE)
	case len(m.KEYOPS) > 0 && !slices.Contains(m.KEYOPS, jwkset.KeyOpsVerify):
		return nil, fmt.Errorf("%w: key_ops lacks verify", errNotSigningKey)
	case m.ALG != "" && (!supportedAlgorithm(m.ALG.String()) || m.ALG.String() == algHS256):
		return nil, fmt.Errorf("unsupported alg %q", m.ALG)
	}
	// Private material is refused above, so the default (public-only)
	// marshal options are exactly right.
	jwk, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
	if err != nil {
		return nil, err
	}
	k := &verificationKey{kid: m.KID, alg: m.ALG.String(), key: jwk.Key()}
	if !usablePublicKey(k.key) {
		return nil, fmt.Errorf("unsupported key %T (need RSA >= %d bits, EC P-256/P-384 or Ed25519)", k.key, minRSABits)
	}
	if k.alg != "" && !keyFits(k.alg, k.key) {
		return nil, fmt.Errorf("alg %q does not fit a %T", k.alg, k.key)
	}
	return k, nil
}
