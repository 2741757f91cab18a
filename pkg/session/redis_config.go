package session

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Defaults filled in by RedisConfig.Validate. The timeouts are budgeted
// inside Envoy's 200 ms ext_authz timeout: a dial, one retry of a
// 50 ms exchange and the rest of the Check must all fit.
const (
	DefaultRedisKeyPrefix    = "marty"
	DefaultRedisDialTimeout  = 100 * time.Millisecond
	DefaultRedisReadTimeout  = 50 * time.Millisecond
	DefaultRedisWriteTimeout = 50 * time.Millisecond
	// DefaultRedisMaxRetries: one retry, so that a connection found dead
	// after a Redis restart costs a reconnect, not a failed Check.
	DefaultRedisMaxRetries = 1
)

// Bounds checked by Validate: they catch typos ("50" read as 50ns), not
// tune.
const (
	minRedisTimeout   = time.Millisecond
	maxRedisTimeout   = 10 * time.Second
	maxRedisRetries   = 5
	maxRedisKeyPrefix = 64
)

// RedisConfig configures the Redis store. pkg/config decodes it from
// "sessions.redis"; call Validate before use (NewRedisStore does).
//
// One address is a single node; MasterName set makes Addrs the Sentinels
// of that master; several addresses without MasterName are the seeds of a
// Redis Cluster.
type RedisConfig struct {
	// Addrs lists "host:port" addresses; at least one is required.
	Addrs []string `yaml:"addrs"`
	// MasterName is the Sentinel master name.
	MasterName string `yaml:"master_name"`
	// Username for Redis ACLs (AUTH username password).
	Username string `yaml:"username"`
	// PasswordFile holds the password (one line, trailing newline ignored).
	PasswordFile string `yaml:"password_file"`
	// SentinelUsername and SentinelPasswordFile authenticate to the
	// Sentinels themselves (with MasterName), when they require it.
	SentinelUsername     string `yaml:"sentinel_username"`
	SentinelPasswordFile string `yaml:"sentinel_password_file"`
	// DB is the database number (single node and Sentinel only).
	DB int `yaml:"db"`
	// KeyPrefix starts every key (default "marty"); no braces, spaces or
	// control characters.
	KeyPrefix string `yaml:"key_prefix"`
	// DialTimeout bounds establishing a connection (default 100ms).
	DialTimeout time.Duration `yaml:"dial_timeout"`
	// ReadTimeout bounds waiting for a reply (default 50ms).
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// WriteTimeout bounds sending a command (default 50ms).
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// PoolSize is the number of connections per node (0: go-redis's
	// default, 10 per CPU).
	PoolSize int `yaml:"pool_size"`
	// MaxRetries is how often a failed command is retried on another
	// connection (0: the default, 1; -1: never).
	MaxRetries int `yaml:"max_retries"`
	// TLS configures TLS to Redis.
	TLS RedisTLSConfig `yaml:"tls"`
}

// RedisTLSConfig configures TLS to Redis.
type RedisTLSConfig struct {
	// Enabled turns TLS on (TLS 1.2 or later, server certificate verified).
	Enabled bool `yaml:"enabled"`
	// CAFile is a PEM bundle of CAs to trust instead of the system roots.
	CAFile string `yaml:"ca_file"`
}

// FieldError is one invalid configuration field. Field is the path relative
// to RedisConfig, e.g. "addrs[1]".
type FieldError struct {
	Field string
	Msg   string
}

// Error returns "field: msg".
func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

type fieldErrors []error

func (fe *fieldErrors) add(field, format string, args ...any) {
	*fe = append(*fe, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
}

// Validate fills defaults in place and checks every field. Each problem is
// a *FieldError naming the field; several are joined with errors.Join.
// PasswordFile and TLS.CAFile are read by NewRedisStore, not here.
func (c *RedisConfig) Validate() error {
	var errs fieldErrors

	if len(c.Addrs) == 0 {
		errs.add("addrs", "at least one address is required")
	}
	for i, a := range c.Addrs {
		if err := checkAddr(a); err != nil {
			errs.add(fmt.Sprintf("addrs[%d]", i), "%v", err)
		}
	}
	if c.cluster() && c.DB != 0 {
		errs.add("db", "must be 0 with Redis Cluster (several addrs and no master_name), got %d", c.DB)
	}
	if c.MasterName == "" && c.SentinelUsername != "" {
		errs.add("sentinel_username", "only used with master_name (Sentinel)")
	}
	if c.MasterName == "" && c.SentinelPasswordFile != "" {
		errs.add("sentinel_password_file", "only used with master_name (Sentinel)")
	}
	if c.DB < 0 {
		errs.add("db", "must not be negative, got %d", c.DB)
	}
	if c.KeyPrefix == "" {
		c.KeyPrefix = DefaultRedisKeyPrefix
	}
	if len(c.KeyPrefix) > maxRedisKeyPrefix || strings.ContainsFunc(c.KeyPrefix, badPrefixRune) {
		errs.add("key_prefix", "must be at most %d characters without braces, spaces or control characters", maxRedisKeyPrefix)
	}
	timeout(&errs, "dial_timeout", &c.DialTimeout, DefaultRedisDialTimeout)
	timeout(&errs, "read_timeout", &c.ReadTimeout, DefaultRedisReadTimeout)
	timeout(&errs, "write_timeout", &c.WriteTimeout, DefaultRedisWriteTimeout)
	if c.PoolSize < 0 {
		errs.add("pool_size", "must not be negative, got %d", c.PoolSize)
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = DefaultRedisMaxRetries
	}
	if c.MaxRetries < -1 || c.MaxRetries > maxRedisRetries {
		errs.add("max_retries", "must be -1 (never) or between 1 and %d, got %d", maxRedisRetries, c.MaxRetries)
	}
	if c.TLS.CAFile != "" && !c.TLS.Enabled {
		errs.add("tls.ca_file", "set tls.enabled: true to use it")
	}
	return errors.Join(errs...)
}

// cluster reports whether c describes a Redis Cluster.
func (c *RedisConfig) cluster() bool { return len(c.Addrs) > 1 && c.MasterName == "" }

func timeout(errs *fieldErrors, field string, d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
	if *d < minRedisTimeout || *d > maxRedisTimeout {
		errs.add(field, "must be between %s and %s, got %s", minRedisTimeout, maxRedisTimeout, *d)
	}
}

func checkAddr(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return fmt.Errorf("want host:port, got %q", a)
	}
	if host == "" {
		return fmt.Errorf("empty host in %q", a)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("bad port in %q", a)
	}
	return nil
}

func badPrefixRune(r rune) bool {
	return r == '{' || r == '}' || r <= ' ' || r == 0x7f
}
