package session

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// UniversalOptions turns a validated config into go-redis options, reading
// the password and CA files. Errors name the field. Every Redis client of
// the server (sessions, rate limits) is built from it, so they share the
// same budgets: timeouts inside Envoy's, one dial per attempt, the
// caller's deadline bounding every read and write.
func (c *RedisConfig) UniversalOptions() (*redis.UniversalOptions, error) {
	o := &redis.UniversalOptions{
		Addrs:        c.Addrs,
		MasterName:   c.MasterName,
		Username:     c.Username,
		DB:           c.DB,
		DialTimeout:  c.DialTimeout,
		ReadTimeout:  c.ReadTimeout,
		WriteTimeout: c.WriteTimeout,
		PoolSize:     c.PoolSize,
		// Waiting for a free connection longer than a reply may take would
		// blow the Check's budget: fail and let the fail mode decide.
		PoolTimeout: c.ReadTimeout + c.WriteTimeout,
		MaxRetries:  c.MaxRetries,
		// One dial per attempt: go-redis would otherwise redial 5 times,
		// 100 ms apart, inside a single command, far past the budget.
		// MaxRetries already retries the command on a new connection.
		DialerRetries: 1,
		// The caller's deadline (derived from Envoy's) also bounds every
		// read, write and retry back-off.
		ContextTimeoutEnabled: true,
		// No CLIENT SETINFO / MAINT_NOTIFICATIONS handshakes: plain Redis
		// and Sentinel have nothing to say, and every new connection
		// would pay for them.
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	}
	var err error
	if o.Password, err = readSecret("password_file", c.PasswordFile); err != nil {
		return nil, err
	}
	o.SentinelUsername = c.SentinelUsername
	if o.SentinelPassword, err = readSecret("sentinel_password_file", c.SentinelPasswordFile); err != nil {
		return nil, err
	}
	if c.TLS.Enabled {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if c.TLS.CAFile != "" {
			pem, err := os.ReadFile(c.TLS.CAFile)
			if err != nil {
				return nil, &FieldError{Field: "tls.ca_file", Msg: err.Error()}
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, &FieldError{Field: "tls.ca_file", Msg: fmt.Sprintf("no PEM certificates in %s", c.TLS.CAFile)}
			}
			tc.RootCAs = pool
		}
		o.TLSConfig = tc
	}
	return o, nil
}

// readSecret reads a one-line secret file ("" when path is empty); errors
// name the field.
func readSecret(field, path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", &FieldError{Field: field, Msg: err.Error()}
	}
	secret := strings.TrimRight(string(b), "\r\n")
	if secret == "" {
		return "", &FieldError{Field: field, Msg: fmt.Sprintf("%s is empty", path)}
	}
	return secret, nil
}

// unavailable wraps a go-redis error (network, timeout, closed client,
// Redis error reply) so that errors.Is(err, ErrUnavailable) holds and the
// cause stays reachable. Callers never pass key names or session ids.
func unavailable(op string, err error) error {
	return fmt.Errorf("redis %s: %w: %w", op, ErrUnavailable, err)
}
