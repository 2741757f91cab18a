package admin

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"google.golang.org/grpc/credentials"
)

// ServerCredentials builds the admin server's transport credentials from
// cfg: its certificate and key, and the CA bundle client certificates must
// chain to. The handshake requires and verifies a client certificate
// (tls.RequireAndVerifyClientCert), so a client without one never reaches
// a method; the allowlist is applied by UnaryInterceptor. TLS 1.3 only:
// the admin API's clients are our own tools. Files are read once.
func ServerCredentials(cfg TLSConfig) (credentials.TransportCredentials, error) {
	cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("auth.tls.cert_file/key_file: %w", err)
	}
	pem, err := os.ReadFile(cfg.ClientCAFile)
	if err != nil {
		return nil, fmt.Errorf("auth.tls.client_ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("auth.tls.client_ca_file: %q: %w", cfg.ClientCAFile, errNoCertificates)
	}
	return credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS13,
	}), nil
}

// errNoCertificates: a CA file held no PEM certificate.
var errNoCertificates = errors.New("no PEM certificates found")
