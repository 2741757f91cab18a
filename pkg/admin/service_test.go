package admin

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/martyedge/security/pkg/session"
	"github.com/martyedge/security/pkg/token"
	authzv1 "github.com/martyedge/security/proto/marty/authz/v1"
)

func TestBearerAuthentication(t *testing.T) {
	h := serve(t, Config{}, nil, false)
	tests := []struct {
		name   string
		bearer string // the whole authorization value; "" sends none
		want   codes.Code
	}{
		{"no credentials", "", codes.Unauthenticated},
		{"wrong token", "Bearer " + testAdminToken[:63] + "X", codes.Unauthenticated},
		{"token prefix", "Bearer " + testAdminToken[:32], codes.Unauthenticated},
		{"wrong scheme", "Basic " + testAdminToken, codes.Unauthenticated},
		{"scheme only", "Bearer ", codes.Unauthenticated},
		{"right token", "Bearer " + testAdminToken, codes.OK},
		{"scheme is case-insensitive", "bearer " + testAdminToken, codes.OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.client(t, nil, tt.bearer).ListSessions(t.Context(), &authzv1.ListSessionsRequest{Subject: "alice"})
			wantCode(t, err, tt.want)
		})
	}
}

// TestInterceptorRequired: a server that registers the service without
// its interceptor refuses every call instead of serving it open.
func TestInterceptorRequired(t *testing.T) {
	h := serve(t, Config{}, nil, true)
	_, err := h.client(t, nil, "Bearer "+testAdminToken).ListSessions(t.Context(), &authzv1.ListSessionsRequest{Subject: "alice"})
	wantCode(t, err, codes.Unauthenticated)
}

func TestCreateSession(t *testing.T) {
	tests := []struct {
		name     string
		lifetime time.Duration // 0: the default (12h)
		idle     time.Duration // 0: the default (30m)
		wantExp  time.Duration // token exp - now
	}{
		{"token TTL below the session's lifetime", 0, 0, token.DefaultIssuedTokenTTL},
		{"session ends before the token TTL", 5 * time.Minute, time.Minute, 5 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := serve(t, Config{}, nil, false)
			c := h.client(t, nil, "Bearer "+testAdminToken)
			req := &authzv1.CreateSessionRequest{
				Subject: "alice", Roles: []string{"developer", "viewer"}, Tenant: "acme",
				Attributes: map[string]string{"client_ip": "192.0.2.1"},
			}
			if tt.lifetime != 0 {
				req.Lifetime = durationpb.New(tt.lifetime)
			}
			if tt.idle != 0 {
				req.IdleTimeout = durationpb.New(tt.idle)
			}
			resp, err := c.CreateSession(t.Context(), req)
			if err != nil {
				t.Fatalf("CreateSession() = %v", err)
			}
			s := resp.GetSession()
			wantLifetime, wantIdle := cmpOr(tt.lifetime, DefaultSessionLifetime), cmpOr(tt.idle, DefaultSessionIdleTimeout)
			if tag, ok := session.TagOf(s.GetId()); !ok || tag != session.Tag("alice") {
				t.Errorf("session id %q is not a session id of alice", s.GetId())
			}
			if s.GetSubject() != "alice" || s.GetTenant() != "acme" || !slices.Equal(s.GetRoles(), req.Roles) ||
				s.GetAttributes()["client_ip"] != "192.0.2.1" ||
				!s.GetCreateTime().AsTime().Equal(testNow) || !s.GetLastSeenTime().AsTime().Equal(testNow) ||
				!s.GetExpireTime().AsTime().Equal(testNow.Add(wantLifetime)) || s.GetIdleTimeout().AsDuration() != wantIdle {
				t.Errorf("session = %v", s)
			}

			at := resp.GetAccessToken()
			if at.GetTokenType() != "Bearer" || at.GetKeyId() != "k1" || at.GetTokenId() == "" ||
				!at.GetIssueTime().AsTime().Equal(testNow) || !at.GetExpireTime().AsTime().Equal(testNow.Add(tt.wantExp)) {
				t.Errorf("access token = %v", at)
			}
			id, err := h.verifier(t).Verify(t.Context(), at.GetToken())
			if err != nil {
				t.Fatalf("Verify() = %v", err)
			}
			if id.Subject != "alice" || id.Tenant != "acme" || id.SessionID != s.GetId() || id.TokenID != at.GetTokenId() ||
				!slices.Equal(id.Roles, req.Roles) || id.Issuer != testIssuer || !id.ExpiresAt.Equal(testNow.Add(tt.wantExp)) {
				t.Errorf("identity = %+v", id)
			}

			got, err := c.GetSession(t.Context(), &authzv1.GetSessionRequest{SessionId: s.GetId()})
			if err != nil {
				t.Fatalf("GetSession() = %v", err)
			}
			if got.GetSession().GetId() != s.GetId() || got.GetSession().GetSubject() != "alice" {
				t.Errorf("GetSession() = %v", got.GetSession())
			}
		})
	}
}

func cmpOr(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

func TestRefreshSession(t *testing.T) {
	h := serve(t, Config{}, nil, false)
	c := h.client(t, nil, "Bearer "+testAdminToken)
	created, err := c.CreateSession(t.Context(), &authzv1.CreateSessionRequest{
		Subject: "alice", Roles: []string{"viewer"}, IdleTimeout: durationpb.New(20 * time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	id := created.GetSession().GetId()

	// Within the idle timeout: a new token, and the session slides.
	h.clock.Advance(15 * time.Minute)
	refreshed, err := c.RefreshSession(t.Context(), &authzv1.RefreshSessionRequest{SessionId: id})
	if err != nil {
		t.Fatalf("RefreshSession() = %v", err)
	}
	now := testNow.Add(15 * time.Minute)
	at := refreshed.GetAccessToken()
	if at.GetTokenId() == created.GetAccessToken().GetTokenId() || !at.GetIssueTime().AsTime().Equal(now) ||
		!at.GetExpireTime().AsTime().Equal(now.Add(token.DefaultIssuedTokenTTL)) {
		t.Errorf("refreshed token = %v", at)
	}
	if !refreshed.GetSession().GetLastSeenTime().AsTime().Equal(now) {
		t.Errorf("last seen = %v, want %v", refreshed.GetSession().GetLastSeenTime().AsTime(), now)
	}
	idn, err := h.verifier(t).Verify(t.Context(), at.GetToken())
	if err != nil || idn.SessionID != id || idn.TokenID != at.GetTokenId() {
		t.Fatalf("Verify(refreshed) = %+v, %v", idn, err)
	}

	// 15 minutes after creation the session would have been idle-expired
	// at 20 without the refresh; at 30 (15 after the refresh) it is live.
	h.clock.Advance(15 * time.Minute)
	if _, err := c.RefreshSession(t.Context(), &authzv1.RefreshSessionRequest{SessionId: id}); err != nil {
		t.Fatalf("RefreshSession() within the slid idle timeout = %v", err)
	}
	// Idle for longer than the timeout: gone.
	h.clock.Advance(21 * time.Minute)
	_, err = c.RefreshSession(t.Context(), &authzv1.RefreshSessionRequest{SessionId: id})
	wantCode(t, err, codes.NotFound)
}

func TestSetSessionRoles(t *testing.T) {
	h := serve(t, Config{}, nil, false)
	c := h.client(t, nil, "Bearer "+testAdminToken)
	created, err := c.CreateSession(t.Context(), &authzv1.CreateSessionRequest{Subject: "alice", Roles: []string{"viewer"}})
	if err != nil {
		t.Fatal(err)
	}
	id := created.GetSession().GetId()
	set, err := c.SetSessionRoles(t.Context(), &authzv1.SetSessionRolesRequest{SessionId: id, Roles: []string{"admin", "ops"}})
	if err != nil {
		t.Fatalf("SetSessionRoles() = %v", err)
	}
	if !slices.Equal(set.GetSession().GetRoles(), []string{"admin", "ops"}) {
		t.Errorf("roles after set = %v", set.GetSession().GetRoles())
	}
	refreshed, err := c.RefreshSession(t.Context(), &authzv1.RefreshSessionRequest{SessionId: id})
	if err != nil {
		t.Fatal(err)
	}
	idn, err := h.verifier(t).Verify(t.Context(), refreshed.GetAccessToken().GetToken())
	if err != nil || !slices.Equal(idn.Roles, []string{"admin", "ops"}) {
		t.Errorf("refreshed token roles = %+v, %v", idn, err)
	}
	// Removing every role is allowed.
	set, err = c.SetSessionRoles(t.Context(), &authzv1.SetSessionRolesRequest{SessionId: id})
	if err != nil || len(set.GetSession().GetRoles()) != 0 {
		t.Errorf("SetSessionRoles(none) = %v, %v", set.GetSession(), err)
	}
	_, err = c.SetSessionRoles(t.Context(), &authzv1.SetSessionRolesRequest{SessionId: session.NewID("alice"), Roles: []string{"x"}})
	wantCode(t, err, codes.NotFound)
}

func TestRevoke(t *testing.T) {
	h := serve(t, Config{}, nil, false)
	c := h.client(t, nil, "Bearer "+testAdminToken)
	create := func(subject string) string {
		t.Helper()
		resp, err := c.CreateSession(t.Context(), &authzv1.CreateSessionRequest{Subject: subject})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetSession().GetId()
	}
	one, two, three, bob := create("alice"), create("alice"), create("alice"), create("bob")

	if _, err := c.RevokeSession(t.Context(), &authzv1.RevokeSessionRequest{SessionId: one}); err != nil {
		t.Fatalf("RevokeSession() = %v", err)
	}
	for name, call := range map[string]func() error{
		"get": func() error {
			_, err := c.GetSession(t.Context(), &authzv1.GetSessionRequest{SessionId: one})
			return err
		},
		"refresh": func() error {
			_, err := c.RefreshSession(t.Context(), &authzv1.RefreshSessionRequest{SessionId: one})
			return err
		},
	} {
		t.Run(name+" after revoke", func(t *testing.T) { wantCode(t, call(), codes.NotFound) })
	}
	// Idempotent.
	if _, err := c.RevokeSession(t.Context(), &authzv1.RevokeSessionRequest{SessionId: one}); err != nil {
		t.Errorf("RevokeSession() again = %v", err)
	}

	h.clock.Advance(time.Minute)
	resp, err := c.RevokeSubject(t.Context(), &authzv1.RevokeSubjectRequest{Subject: "alice"})
	if err != nil {
		t.Fatalf("RevokeSubject() = %v", err)
	}
	if resp.GetRevokedSessions() != 2 || !resp.GetNotBeforeTime().AsTime().Equal(testNow.Add(time.Minute)) {
		t.Errorf("RevokeSubject() = %v, want 2 sessions and not-before now", resp)
	}
	for _, id := range []string{two, three} {
		_, err := c.GetSession(t.Context(), &authzv1.GetSessionRequest{SessionId: id})
		wantCode(t, err, codes.NotFound)
	}
	st, err := h.store.Lookup(t.Context(), session.Query{Subject: "alice", Now: h.clock.Now()})
	if err != nil || !st.NotBefore.Equal(testNow.Add(time.Minute)) {
		t.Errorf("store not-before = %v, %v", st.NotBefore, err)
	}
	// The not-before outlives every token issued before it.
	h.clock.Advance(token.DefaultIssuedTokenTTL + time.Minute)
	if st, _ := h.store.Lookup(t.Context(), session.Query{Subject: "alice", Now: h.clock.Now()}); st.NotBefore.IsZero() {
		t.Error("not-before dropped before the tokens it revokes have expired")
	}
	if _, err := c.GetSession(t.Context(), &authzv1.GetSessionRequest{SessionId: bob}); err != nil {
		t.Errorf("another subject's session: %v", err)
	}
	// A new login after the revocation works and can be refreshed.
	fresh := create("alice")
	if _, err := c.RefreshSession(t.Context(), &authzv1.RefreshSessionRequest{SessionId: fresh}); err != nil {
		t.Errorf("RefreshSession() of a session created after RevokeSubject = %v", err)
	}
}

func TestListSessions(t *testing.T) {
	h := serve(t, Config{}, nil, false)
	c := h.client(t, nil, "Bearer "+testAdminToken)
	var want []string
	for _, lifetime := range []time.Duration{3 * time.Hour, time.Hour, 2 * time.Hour} {
		resp, err := c.CreateSession(t.Context(), &authzv1.CreateSessionRequest{Subject: "alice", Lifetime: durationpb.New(lifetime)})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, resp.GetSession().GetId())
	}
	want = []string{want[1], want[2], want[0]} // by expiry
	list, err := c.ListSessions(t.Context(), &authzv1.ListSessionsRequest{Subject: "alice"})
	if err != nil {
		t.Fatalf("ListSessions() = %v", err)
	}
	var got []string
	for _, s := range list.GetSessions() {
		got = append(got, s.GetId())
	}
	if !slices.Equal(got, want) {
		t.Errorf("ListSessions() ids = %v, want by expiry %v", got, want)
	}
	other, err := c.ListSessions(t.Context(), &authzv1.ListSessionsRequest{Subject: "bob"})
	if err != nil || len(other.GetSessions()) != 0 {
		t.Errorf("ListSessions(bob) = %v, %v", other.GetSessions(), err)
	}
	h.clock.Advance(90 * time.Minute) // the 1h session has ended (and the idle timeout too)
	list, err = c.ListSessions(t.Context(), &authzv1.ListSessionsRequest{Subject: "alice"})
	if err != nil || len(list.GetSessions()) != 0 {
		t.Errorf("ListSessions() after the idle timeout = %d sessions, %v", len(list.GetSessions()), err)
	}
}

func TestInvalidArguments(t *testing.T) {
	h := serve(t, Config{}, nil, false)
	c := h.client(t, nil, "Bearer "+testAdminToken)
	tooMany := make(map[string]string, maxAttributes+1)
	for i := range maxAttributes + 1 {
		tooMany[string(rune('a'+i%26))+string(rune('a'+i/26))] = "v"
	}
	tests := []struct {
		name       string
		call       func() error
		wantFields []string
	}{
		{"create without subject", func() error {
			_, err := c.CreateSession(t.Context(), &authzv1.CreateSessionRequest{})
			return err
		}, []string{"subject"}},
		{"create with bad values", func() error {
			_, err := c.CreateSession(t.Context(), &authzv1.CreateSessionRequest{
				Subject: "alice\n", Tenant: "\x00", Roles: []string{"ok", "has space"},
				Lifetime: durationpb.New(DefaultSessionMaxLifetime + time.Hour), IdleTimeout: durationpb.New(-time.Minute),
				Attributes: map[string]string{"ip": "1\r\n"},
			})
			return err
		}, []string{"subject", "tenant", "roles[1]", "lifetime", "idle_timeout", `attributes["ip"]`}},
		{"create with too many attributes", func() error {
			_, err := c.CreateSession(t.Context(), &authzv1.CreateSessionRequest{Subject: "a", Attributes: tooMany})
			return err
		}, []string{"attributes"}},
		{"create with a lifetime under a minute", func() error {
			_, err := c.CreateSession(t.Context(), &authzv1.CreateSessionRequest{Subject: "a", Lifetime: durationpb.New(time.Second)})
			return err
		}, []string{"lifetime"}},
		{"refresh without id", func() error {
			_, err := c.RefreshSession(t.Context(), &authzv1.RefreshSessionRequest{})
			return err
		}, []string{"session_id"}},
		{"get with a malformed id", func() error {
			_, err := c.GetSession(t.Context(), &authzv1.GetSessionRequest{SessionId: "not-an-id"})
			return err
		}, []string{"session_id"}},
		{"revoke with a malformed id", func() error {
			_, err := c.RevokeSession(t.Context(), &authzv1.RevokeSessionRequest{SessionId: "x.y"})
			return err
		}, []string{"session_id"}},
		{"revoke subject without subject", func() error {
			_, err := c.RevokeSubject(t.Context(), &authzv1.RevokeSubjectRequest{})
			return err
		}, []string{"subject"}},
		{"list without subject", func() error {
			_, err := c.ListSessions(t.Context(), &authzv1.ListSessionsRequest{})
			return err
		}, []string{"subject"}},
		{"set roles with bad id and role", func() error {
			_, err := c.SetSessionRoles(t.Context(), &authzv1.SetSessionRolesRequest{SessionId: "x", Roles: []string{"a,b"}})
			return err
		}, []string{"session_id", "roles[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			wantCode(t, err, codes.InvalidArgument)
			if got := violatedFields(err); !slices.Equal(got, tt.wantFields) {
				t.Errorf("violated fields = %v, want %v (%v)", got, tt.wantFields, err)
			}
			if !containsAll(err.Error(), tt.wantFields...) {
				t.Errorf("message %q does not name every field", err)
			}
		})
	}
	if h.store.Len() != 0 {
		t.Errorf("invalid requests stored %d sessions", h.store.Len())
	}
}

func TestUnknownSession(t *testing.T) {
	h := serve(t, Config{}, nil, false)
	c := h.client(t, nil, "Bearer "+testAdminToken)
	_, err := c.GetSession(t.Context(), &authzv1.GetSessionRequest{SessionId: session.NewID("alice")})
	wantCode(t, err, codes.NotFound)
	_, err = c.RefreshSession(t.Context(), &authzv1.RefreshSessionRequest{SessionId: session.NewID("alice")})
	wantCode(t, err, codes.NotFound)
}

// TestStoreUnavailable: a store that cannot answer (here: closed, which
// the memory store reports as ErrUnavailable) is UNAVAILABLE, not INTERNAL.
func TestStoreUnavailable(t *testing.T) {
	h := serve(t, Config{}, nil, false)
	c := h.client(t, nil, "Bearer "+testAdminToken)
	if err := h.store.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateSession(t.Context(), &authzv1.CreateSessionRequest{Subject: "alice"})
	wantCode(t, err, codes.Unavailable)
	_, err = c.ListSessions(t.Context(), &authzv1.ListSessionsRequest{Subject: "alice"})
	wantCode(t, err, codes.Unavailable)
}

// TestKeyRotation: after a new active key is added, tokens signed by the
// old key still verify against the published JWKS and new tokens carry
// the new kid.
func TestKeyRotation(t *testing.T) {
	h := serve(t, Config{}, nil, false)
	c := h.client(t, nil, "Bearer "+testAdminToken)
	before, err := c.CreateSession(t.Context(), &authzv1.CreateSessionRequest{Subject: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.ring.Add(token.SigningKey{KeyID: "k2", Key: key}, true); err != nil {
		t.Fatal(err)
	}
	after, err := c.RefreshSession(t.Context(), &authzv1.RefreshSessionRequest{SessionId: before.GetSession().GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if before.GetAccessToken().GetKeyId() != "k1" || after.GetAccessToken().GetKeyId() != "k2" {
		t.Fatalf("kids = %q then %q, want k1 then k2", before.GetAccessToken().GetKeyId(), after.GetAccessToken().GetKeyId())
	}
	v := h.verifier(t)
	for name, tok := range map[string]string{"old key": before.GetAccessToken().GetToken(), "new key": after.GetAccessToken().GetToken()} {
		if _, err := v.Verify(t.Context(), tok); err != nil {
			t.Errorf("Verify(%s token) = %v", name, err)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	store := session.NewMemoryStore()
	t.Cleanup(func() { _ = store.Close() })
	ring := newRing(t)
	tests := []struct {
		name  string
		cfg   Config
		store Store
		ring  *token.KeyRing
		want  string
	}{
		{"no authentication", Config{}, store, ring, "auth: at least one of token_file or tls is required"},
		{"short admin token", Config{Auth: AuthConfig{TokenFile: writeFile(t, "t", []byte("short\n"))}}, store, ring, "at least 32 are required"},
		{"missing token file", Config{Auth: AuthConfig{TokenFile: "/nonexistent/token"}}, store, ring, "auth.token_file"},
		{"no store", Config{Auth: AuthConfig{TokenFile: writeFile(t, "t", []byte(testAdminToken))}}, nil, ring, "store"},
		{"no ring", Config{Auth: AuthConfig{TokenFile: writeFile(t, "t", []byte(testAdminToken))}}, store, nil, "key ring"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, tt.store, tt.ring)
			if err == nil || !containsAll(err.Error(), tt.want) {
				t.Errorf("New() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestServicePrefix(t *testing.T) {
	if want := "/" + authzv1.SessionService_ServiceDesc.ServiceName + "/"; servicePrefix != want {
		t.Errorf("servicePrefix = %q, want %q", servicePrefix, want)
	}
}
