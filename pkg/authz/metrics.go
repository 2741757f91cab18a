package authz

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the decision pipeline's Prometheus metrics. Create them with
// NewMetrics on the registry the process exposes; a Service without
// Metrics records nothing.
type Metrics struct {
	checks        *prometheus.CounterVec
	sessionErrors *prometheus.CounterVec
	limiterErrors *prometheus.CounterVec
}

// NewMetrics creates the metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "extauthz_checks_total",
			Help: "Check calls by decision (allow, deny, shadow_deny) and reason code.",
		}, []string{"decision", "reason"}),
		sessionErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "extauthz_session_store_errors_total",
			Help: "Session lookups that failed (store down or slow), by the fail mode that was applied.",
		}, []string{"fail_mode"}),
		limiterErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "extauthz_rate_limiter_errors_total",
			Help: "Per-user rate limit checks that failed (limiter store down or slow), by the fail mode that was applied.",
		}, []string{"fail_mode"}),
	}
	for _, c := range []prometheus.Collector{m.checks, m.sessionErrors, m.limiterErrors} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Metrics) decision(d *Decision) {
	if m == nil {
		return
	}
	outcome := "allow"
	switch {
	case d.Shadow:
		outcome = "shadow_deny"
	case !d.Allowed:
		outcome = "deny"
	}
	m.checks.WithLabelValues(outcome, d.Reason).Inc()
}

func (m *Metrics) sessionError(failOpen bool) {
	if m == nil {
		return
	}
	mode := "closed"
	if failOpen {
		mode = "open"
	}
	m.sessionErrors.WithLabelValues(mode).Inc()
}

// SessionErrors returns the session store error counter for a fail mode
// ("closed" or "open"), for tests and diagnostics.
func (m *Metrics) SessionErrors(failMode string) prometheus.Counter {
	return m.sessionErrors.WithLabelValues(failMode)
}

func (m *Metrics) limiterError(failClosed bool) {
	if m == nil {
		return
	}
	mode := "open"
	if failClosed {
		mode = "closed"
	}
	m.limiterErrors.WithLabelValues(mode).Inc()
}

// LimiterErrors returns the rate limiter error counter for a fail mode
// ("open" or "closed"), for tests and diagnostics.
func (m *Metrics) LimiterErrors(failMode string) prometheus.Counter {
	return m.limiterErrors.WithLabelValues(failMode)
}
