package headers

// These types mirror the policy's headers section one to one (see the
// package comment). pkg/rbac decodes them strictly and calls
// [Spec.Validate]; [Compile] turns a valid Spec into a [Set]. A Spec that
// has been compiled must not be modified.

// Spec is the policy's headers section.
type Spec struct {
	// Profiles maps a profile name to the response headers it sets.
	Profiles map[string]ProfileSpec `yaml:"profiles"`
	// Environments maps development, staging or production to the
	// profile used by default there and its CORS rules.
	Environments map[string]EnvironmentSpec `yaml:"environments"`
}

// EnvironmentSpec is one entry of environments.
type EnvironmentSpec struct {
	// DefaultProfile names the profile used where a route names none.
	// Empty means no security headers by default.
	DefaultProfile string `yaml:"default_profile"`
	// CORS is nil when the environment answers no cross-origin requests.
	CORS *CORSSpec `yaml:"cors"`
}

// ProfileSpec is one named set of security response headers. Every
// header is optional: an unset field emits nothing.
type ProfileSpec struct {
	// Environments restricts the profile to these environments (all of
	// them when empty). A development-only profile may use unsafe CSP
	// sources without allow_unsafe.
	Environments []string `yaml:"environments"`
	// AllowUnsafe accepts 'unsafe-inline', 'unsafe-eval', '*' and data:
	// sources in a profile served in production.
	AllowUnsafe bool `yaml:"allow_unsafe"`

	ContentSecurityPolicy   *CSPSpec            `yaml:"content_security_policy"`
	StrictTransportSecurity *HSTSSpec           `yaml:"strict_transport_security"`
	FrameOptions            string              `yaml:"frame_options"`        // DENY or SAMEORIGIN
	ContentTypeOptions      bool                `yaml:"content_type_options"` // nosniff
	ReferrerPolicy          string              `yaml:"referrer_policy"`
	PermissionsPolicy       map[string][]string `yaml:"permissions_policy"`
	CrossOriginOpenerPolicy string              `yaml:"cross_origin_opener_policy"`
	// CrossOriginEmbedderPolicy and CrossOriginResourcePolicy take the
	// header's own tokens.
	CrossOriginEmbedderPolicy string `yaml:"cross_origin_embedder_policy"`
	CrossOriginResourcePolicy string `yaml:"cross_origin_resource_policy"`
	// CacheControlNoStoreWhenAuthenticated sets "cache-control: no-store"
	// on allowed responses to authenticated callers.
	CacheControlNoStoreWhenAuthenticated bool `yaml:"cache_control_no_store_when_authenticated"`

	// Remove lists response headers to strip (server, x-powered-by).
	// ext_authz cannot remove response headers; see the package comment.
	Remove []string `yaml:"remove"`

	// Modes maps a header field of this profile (content_security_policy,
	// frame_options, ...; cache_control for the no-store header) to
	// overwrite (the default) or add_if_absent, which keeps a value the
	// upstream set itself. Denials always overwrite.
	Modes map[string]string `yaml:"modes"`
}

// CSPSpec is a Content-Security-Policy written as directives.
type CSPSpec struct {
	// Directives maps a directive (script-src) to its sources, written
	// as in the header: keywords quoted ('self'), hosts and schemes bare.
	Directives map[string][]string `yaml:"directives"`
	// ReportOnly sends content-security-policy-report-only instead.
	ReportOnly bool   `yaml:"report_only"`
	ReportURI  string `yaml:"report_uri"`
	ReportTo   string `yaml:"report_to"`
}

// HSTSSpec is Strict-Transport-Security; MaxAge is in seconds.
type HSTSSpec struct {
	MaxAge            int64 `yaml:"max_age"`
	IncludeSubdomains bool  `yaml:"include_subdomains"`
	Preload           bool  `yaml:"preload"`
}

// CORSSpec is an environment's CORS rules.
type CORSSpec struct {
	// AllowOrigins lists exact origins (https://app.example.com),
	// suffix patterns (https://*.example.com: one or more labels before
	// example.com), "null" literally, or "*" (not with credentials).
	AllowOrigins     []string `yaml:"allow_origins"`
	AllowMethods     []string `yaml:"allow_methods"`
	AllowHeaders     []string `yaml:"allow_headers"`
	ExposeHeaders    []string `yaml:"expose_headers"`
	AllowCredentials bool     `yaml:"allow_credentials"`
	// MaxAge is how long, in seconds, a browser may cache a preflight.
	MaxAge int64 `yaml:"max_age"`
}

// Mode values.
const (
	ModeOverwrite   = "overwrite"
	ModeAddIfAbsent = "add_if_absent"
)

// Environment names.
const (
	Development = "development"
	Staging     = "staging"
	Production  = "production"
)

// DefaultEnvironments is what [Spec.Validate] accepts when given none.
var DefaultEnvironments = []string{Development, Staging, Production}
