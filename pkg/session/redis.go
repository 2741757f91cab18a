package session

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisStore keeps sessions in Redis (single node, Sentinel or Cluster),
// shared by every replica. The key layout is in the package doc. It is safe
// for concurrent use; go-redis reconnects on its own when Redis comes back.
//
// Every error that means Redis could not answer (network, timeout, closed
// store, a reply we cannot decode) wraps ErrUnavailable and keeps its cause
// for errors.Is/As (context.DeadlineExceeded, *net.OpError, ...).
type RedisStore struct {
	client  redis.UniversalClient
	prefix  string
	opts    options
	scripts scripts

	closeOnce sync.Once
	closeErr  error
}

// NewRedisStore validates cfg (a copy: cfg itself is not modified), reads
// the password and CA files, connects, and loads the scripts on every
// master. It fails if Redis does not answer within ctx, so that a wrong
// address is found at start-up rather than at the first Check.
func NewRedisStore(ctx context.Context, cfg RedisConfig, opts ...Option) (*RedisStore, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	uo, err := cfg.UniversalOptions()
	if err != nil {
		return nil, err
	}
	r := &RedisStore{
		client:  redis.NewUniversalClient(uo),
		prefix:  cfg.KeyPrefix,
		opts:    newOptions(opts),
		scripts: newScripts(),
	}
	if err := r.load(ctx); err != nil {
		_ = r.client.Close()
		return nil, err
	}
	return r, nil
}

// load checks the connection and caches the scripts (on every master of a
// Cluster), so that the first Lookups need no NOSCRIPT fallback.
func (r *RedisStore) load(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return unavailable("connect", err)
	}
	for _, s := range r.scripts.all() {
		if err := s.Load(ctx, r.client).Err(); err != nil {
			return unavailable("load scripts", err)
		}
	}
	return nil
}

// Keys. The tag is in braces so that Redis Cluster hashes only it.

func (r *RedisStore) tagged(tag string) string        { return r.prefix + ":{" + tag + "}:" }
func (r *RedisStore) sessionPrefix(tag string) string { return r.tagged(tag) + "s:" }
func (r *RedisStore) sessionKey(tag, id string) string {
	return r.sessionPrefix(tag) + id
}
func (r *RedisStore) indexKey(tag string) string     { return r.tagged(tag) + "idx" }
func (r *RedisStore) notBeforeKey(tag string) string { return r.tagged(tag) + "nbf" }
func (r *RedisStore) tokenKey(tag, jti string) string {
	return r.tagged(tag) + "jti:" + jti
}

func msArg(t time.Time) int64 { return t.UnixMilli() }

// Create stores a new session; see MemoryStore.Create for the rules.
func (r *RedisStore) Create(ctx context.Context, s *Session) error {
	if err := prepare(s); err != nil {
		return err
	}
	e, err := encode(s)
	if err != nil {
		return err
	}
	tag := Tag(s.Subject)
	keys := []string{r.sessionKey(tag, s.ID), r.indexKey(tag)}
	ok, err := r.scripts.create.Run(ctx, r.client, keys,
		msArg(r.opts.now()), s.ID, s.Subject, e.created, e.seen, e.idle, e.exp,
		e.roles, s.Tenant, e.attrs, e.deadline).Int()
	if err != nil {
		return unavailable("create", err)
	}
	if ok == 0 {
		return invalid("session id already in use")
	}
	return nil
}

// Get returns the session id names if it is live at now, without touching
// it; ErrNotFound otherwise. It is one HGETALL.
func (r *RedisStore) Get(ctx context.Context, id string, now time.Time) (*Session, error) {
	tag, err := checkID(id)
	if err != nil {
		return nil, err
	}
	if err := checkNow(now); err != nil {
		return nil, err
	}
	h, err := r.client.HGetAll(ctx, r.sessionKey(tag, id)).Result()
	if err != nil {
		return nil, unavailable("get", err)
	}
	if len(h) == 0 {
		return nil, ErrNotFound
	}
	s, err := decodeHash(id, h)
	if err != nil {
		return nil, err
	}
	// The tag only routes: a hash whose subject does not own the tag (a
	// collision, a planted key) is not the session this id names.
	if Tag(s.Subject) != tag || !s.Live(ms(now)) {
		return nil, ErrNotFound
	}
	return s, nil
}

// Lookup answers a Check in one EVALSHA; see MemoryStore.Lookup for what
// it returns. A session id whose tag is not q.Subject's is not even read:
// it names another subject's session (and, in a Cluster, another slot).
func (r *RedisStore) Lookup(ctx context.Context, q Query) (Status, error) {
	if err := checkQuery(q); err != nil {
		return Status{}, err
	}
	tag := Tag(q.Subject)
	keys := make([]string, 2, 4)
	keys[0], keys[1] = r.notBeforeKey(tag), r.indexKey(tag)
	sid := ""
	if t, ok := TagOf(q.SessionID); ok && t == tag {
		sid = q.SessionID
		keys = append(keys, r.sessionKey(tag, sid))
	}
	hasJTI := "0"
	if q.TokenID != "" && len(q.TokenID) <= maxTokenIDLen {
		hasJTI = "1"
		keys = append(keys, r.tokenKey(tag, q.TokenID))
	}
	res, err := r.scripts.lookup.Run(ctx, r.client, keys,
		msArg(ms(q.Now)), q.Subject, r.opts.touch.Milliseconds(), sid, hasJTI).Slice()
	if err != nil {
		return Status{}, unavailable("lookup", err)
	}
	return decodeStatus(sid, res)
}

func decodeStatus(sid string, res []any) (Status, error) {
	var st Status
	if len(res) != 3 {
		return st, corrupt("lookup returned %d values", len(res))
	}
	if nbf, _ := res[0].(string); nbf != "" {
		v, err := strconv.ParseInt(nbf, 10, 64)
		if err != nil {
			return st, corrupt("not-before: %v", err)
		}
		st.NotBefore = time.UnixMilli(v)
	}
	denied, _ := res[1].(int64)
	st.TokenDenied = denied == 1
	if fields, _ := res[2].([]any); len(fields) > 0 {
		s, err := decode(sid, fields)
		if err != nil {
			return st, err
		}
		st.Session = s
	}
	return st, nil
}

// SetRoles replaces the roles of a live session; ErrNotFound if it is not
// live at now.
func (r *RedisStore) SetRoles(ctx context.Context, id string, roles []string, now time.Time) error {
	tag, err := checkID(id)
	if err != nil {
		return err
	}
	if err := checkNow(now); err != nil {
		return err
	}
	if err := checkRoles(roles); err != nil {
		return err
	}
	keys := []string{r.sessionKey(tag, id), r.indexKey(tag)}
	ok, err := r.scripts.setRoles.Run(ctx, r.client, keys, msArg(ms(now)), encodeRoles(roles)).Int()
	if err != nil {
		return unavailable("set roles", err)
	}
	if ok == 0 {
		return ErrNotFound
	}
	return nil
}

// Revoke deletes one session. Revoking a session that does not exist is
// not an error.
func (r *RedisStore) Revoke(ctx context.Context, id string) error {
	tag, err := checkID(id)
	if err != nil {
		return err
	}
	keys := []string{r.sessionKey(tag, id), r.indexKey(tag)}
	if err := r.scripts.revoke.Run(ctx, r.client, keys, msArg(r.opts.now()), id).Err(); err != nil {
		return unavailable("revoke", err)
	}
	return nil
}

// RevokeSubject deletes every session of subject and sets its not-before;
// see MemoryStore.RevokeSubject. If go-redis retries it after a lost reply,
// the count is that of the retry (0).
func (r *RedisStore) RevokeSubject(ctx context.Context, subject string, at time.Time, keep time.Duration) (int, error) {
	if err := checkRevokeSubject(subject, at, keep); err != nil {
		return 0, err
	}
	at = ms(at)
	// Not-before matters until the last token issued before at expires,
	// at+keep: the TTL runs to then by the store's clock, as the
	// denylist's does.
	ttl := at.Add(keep).Sub(r.opts.now()).Milliseconds()
	tag := Tag(subject)
	keys := []string{r.indexKey(tag), r.notBeforeKey(tag)}
	n, err := r.scripts.revokeSubject.Run(ctx, r.client, keys,
		r.sessionPrefix(tag), msArg(at), ttl).Int()
	if err != nil {
		return 0, unavailable("revoke subject", err)
	}
	return n, nil
}

// DenyToken denylists the token jti of subject until its expiry, with a
// TTL that ends then by the store's clock. A token that has already expired
// needs no entry.
func (r *RedisStore) DenyToken(ctx context.Context, subject, jti string, until time.Time) error {
	if err := checkSubject(subject); err != nil {
		return err
	}
	if err := checkTokenID(jti); err != nil {
		return err
	}
	if err := checkNow(until); err != nil {
		return err
	}
	until = ms(until)
	ttl := until.Sub(r.opts.now())
	if ttl < time.Millisecond {
		return nil
	}
	key := r.tokenKey(Tag(subject), jti)
	if err := r.client.Set(ctx, key, msArg(until), ttl).Err(); err != nil {
		return unavailable("deny token", err)
	}
	return nil
}

// List returns the live sessions of subject, oldest first, in one script.
func (r *RedisStore) List(ctx context.Context, subject string, now time.Time) ([]*Session, error) {
	if err := checkSubject(subject); err != nil {
		return nil, err
	}
	if err := checkNow(now); err != nil {
		return nil, err
	}
	now = ms(now)
	tag := Tag(subject)
	res, err := r.scripts.list.Run(ctx, r.client, []string{r.indexKey(tag)},
		msArg(now), r.sessionPrefix(tag)).Slice()
	if err != nil {
		return nil, unavailable("list", err)
	}
	const stride = 1 + sessionFields
	if len(res)%stride != 0 {
		return nil, corrupt("list returned %d values", len(res))
	}
	out := make([]*Session, 0, len(res)/stride)
	for i := 0; i < len(res); i += stride {
		id, _ := res[i].(string)
		s, err := decode(id, res[i+1:i+stride])
		if err != nil {
			return nil, err
		}
		if s.Subject == subject && s.Live(now) {
			out = append(out, s)
		}
	}
	sortSessions(out)
	return out, nil
}

// Ping reports whether Redis answers (for readiness).
func (r *RedisStore) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return unavailable("ping", err)
	}
	return nil
}

// Close closes the connections; later calls fail with ErrUnavailable.
// Close is idempotent.
func (r *RedisStore) Close() error {
	r.closeOnce.Do(func() {
		if err := r.client.Close(); err != nil {
			r.closeErr = fmt.Errorf("close redis session store: %w", err)
		}
	})
	return r.closeErr
}
