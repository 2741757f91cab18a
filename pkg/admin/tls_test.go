package admin

import (
	"crypto/tls"
	"testing"

	"google.golang.org/grpc/codes"

	authzv1 "github.com/martyedge/security/proto/marty/authz/v1"
)

// TestMTLS serves the API with ServerCredentials and checks who gets in:
// only clients with a certificate from the client CA, and of those only
// the allowlisted ones; with a token file too, both are required.
func TestMTLS(t *testing.T) {
	serverCA, clientCA, rogueCA := newPKI(t, "server CA"), newPKI(t, "client CA"), newPKI(t, "rogue CA")
	certFile, keyFile := serverCA.writeKeyPair(t, "server", serverCA.issue(t, true, "admin.test", ""))

	allowedURI := "spiffe://cluster.test/ns/login/sa/login"
	login := clientCA.issue(t, false, "login", allowedURI)
	ops := clientCA.issue(t, false, "ops-cli", "")
	stranger := clientCA.issue(t, false, "stranger", "spiffe://cluster.test/ns/other/sa/other")
	rogue := rogueCA.issue(t, false, "login", allowedURI)

	tlsCfg := &TLSConfig{
		CertFile: certFile, KeyFile: keyFile, ClientCAFile: clientCA.caFile(t),
		AllowedURIs: []string{allowedURI}, AllowedCommonNames: []string{"ops-cli"},
	}
	creds, err := ServerCredentials(*tlsCfg)
	if err != nil {
		t.Fatalf("ServerCredentials() = %v", err)
	}
	certOnly := serve(t, Config{Auth: AuthConfig{TLS: tlsCfg}}, creds, false)
	both := serve(t, Config{Auth: AuthConfig{TLS: tlsCfg, TokenFile: writeFile(t, "admin-token", []byte(testAdminToken))}}, creds, false)

	tests := []struct {
		name   string
		h      *harness
		cert   *tls.Certificate
		bearer string
		want   codes.Code
	}{
		// The handshake refuses these, so the client sees the connection fail.
		{"no client certificate", certOnly, nil, "", codes.Unavailable},
		{"certificate from another CA", certOnly, &rogue, "", codes.Unavailable},
		{"allowlisted URI SAN", certOnly, &login, "", codes.OK},
		{"allowlisted common name", certOnly, &ops, "", codes.OK},
		{"valid certificate outside the allowlist", certOnly, &stranger, "", codes.PermissionDenied},
		{"both required: certificate without token", both, &login, "", codes.Unauthenticated},
		{"both required: certificate and wrong token", both, &login, "Bearer " + testAdminToken[1:] + "0", codes.Unauthenticated},
		{"both required: certificate and token", both, &login, "Bearer " + testAdminToken, codes.OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.h.client(t, clientTLS(serverCA, tt.cert), tt.bearer)
			_, err := c.ListSessions(t.Context(), &authzv1.ListSessionsRequest{Subject: "alice"})
			wantCode(t, err, tt.want)
		})
	}

	// A server configured for mTLS but started without ServerCredentials
	// refuses every call rather than serving it open.
	t.Run("mTLS configured, plaintext server", func(t *testing.T) {
		h := serve(t, Config{Auth: AuthConfig{TLS: tlsCfg}}, nil, false)
		_, err := h.client(t, nil, "").ListSessions(t.Context(), &authzv1.ListSessionsRequest{Subject: "alice"})
		wantCode(t, err, codes.Unauthenticated)
	})
}

func TestServerCredentialsErrors(t *testing.T) {
	ca := newPKI(t, "ca")
	certFile, keyFile := ca.writeKeyPair(t, "server", ca.issue(t, true, "s", ""))
	tests := []struct {
		name string
		cfg  TLSConfig
		want string
	}{
		{"missing key pair", TLSConfig{CertFile: "/nonexistent.crt", KeyFile: keyFile, ClientCAFile: ca.caFile(t)}, "auth.tls.cert_file/key_file"},
		{"missing client CA", TLSConfig{CertFile: certFile, KeyFile: keyFile, ClientCAFile: "/nonexistent.pem"}, "auth.tls.client_ca_file"},
		{"client CA without certificates", TLSConfig{CertFile: certFile, KeyFile: keyFile, ClientCAFile: writeFile(t, "empty.pem", []byte("nothing"))}, "no PEM certificates"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ServerCredentials(tt.cfg)
			if err == nil || !containsAll(err.Error(), tt.want) {
				t.Errorf("ServerCredentials() = %v, want %q", err, tt.want)
			}
		})
	}
}
