package envoycheck

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Building blocks for configs written inline; flow style keeps them
// independent of indentation.
const (
	tAuthz = `{name: envoy.filters.http.ext_authz, typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz,
  grpc_service: {envoy_grpc: {cluster_name: extauthz}}, transport_api_version: V3}}`
	tRouter  = `{name: envoy.filters.http.router, typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}}`
	tFilters = "[" + tAuthz + ", " + tRouter + "]"

	tPerRoute = `"@type": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute`
	tRoutes   = `{virtual_hosts: [{name: vh, domains: ["*"], routes: [{name: all, match: {prefix: /}, route: {cluster: app}}]}]}`
)

// config returns a bootstrap with one HCM using filters and routeConfig,
// the clusters extauthz and app, and extra appended at top level.
func config(filters, routeConfig, extra string) string {
	return `static_resources:
  listeners:
  - name: in
    address: {socket_address: {address: 127.0.0.1, port_value: 8080}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: in
          http_filters: ` + filters + `
          route_config: ` + routeConfig + `
  clusters: [{name: extauthz, type: STATIC}, {name: app, type: STATIC}]
` + extra
}

type finding struct {
	rule Rule
	text string // substring of the message
}

func TestCheckBytes(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []finding // in reporting order
	}{
		{
			name: "valid",
			yaml: config(tFilters, tRoutes, ""),
		},
		{
			name: "yaml syntax",
			yaml: "static_resources: [\n",
			want: []finding{{RuleParse, "yaml"}},
		},
		{
			name: "duplicate yaml key",
			yaml: config(tFilters, tRoutes, "admin: {}\nadmin: {}\n"),
			want: []finding{{RuleParse, `"admin" already set`}},
		},
		{
			name: "unknown typed_config type",
			yaml: config(`[{name: x, typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.nope.v3.Nope}}, `+tRouter+`]`, tRoutes, ""),
			want: []finding{{RuleParse, "envoy.extensions.filters.http.nope.v3.Nope"}},
		},
		{
			name: "bootstrap constraint",
			yaml: strings.Replace(config(tFilters, tRoutes, ""), "port_value: 8080", "port_value: 70000", 1),
			want: []finding{{RuleValidate, "PortValue"}},
		},
		{
			name: "weighted and mirror clusters",
			yaml: config(tFilters, `{virtual_hosts: [{name: vh, domains: ["*"], routes: [{match: {prefix: /}, route: {
				weighted_clusters: {clusters: [{name: app, weight: 1}, {name: gone, weight: 1}]},
				request_mirror_policies: [{cluster: shadow}]}}]}]}`, ""),
			want: []finding{{RuleRouteCluster, `weighted cluster names cluster "gone"`}, {RuleRouteCluster, `mirror policy names cluster "shadow"`}},
		},
		{
			name: "clusters from CDS are not checked",
			yaml: config(`[{name: envoy.filters.http.ext_authz, typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz,
				grpc_service: {envoy_grpc: {cluster_name: from_cds}}, transport_api_version: V3}}, `+tRouter+`]`,
				`{virtual_hosts: [{name: vh, domains: ["*"], routes: [{match: {prefix: /}, route: {cluster: from_cds}}]}]}`,
				"dynamic_resources: {cds_config: {ads: {}}}\n"),
		},
		{
			name: "per-route grpc_service cluster",
			yaml: config(tFilters, `{virtual_hosts: [{name: vh, domains: ["*"], routes: [{match: {prefix: /}, route: {cluster: app},
				typed_per_filter_config: {envoy.filters.http.ext_authz: {`+tPerRoute+`,
				check_settings: {grpc_service: {envoy_grpc: {cluster_name: other_authz}}}}}}]}]}`, ""),
			want: []finding{{RuleGRPCCluster, `"other_authz"`}},
		},
		{
			name: "no http filters",
			yaml: config("[]", tRoutes, ""),
			want: []finding{{RuleRouterLast, "no HTTP filters"}},
		},
		{
			name: "router named but untyped is still found",
			yaml: config("["+tAuthz+", {name: envoy.filters.http.router}]", tRoutes, ""),
		},
		{
			name: "shadow mode",
			yaml: config(`[{name: envoy.filters.http.ext_authz, typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz,
				grpc_service: {envoy_grpc: {cluster_name: extauthz}}, transport_api_version: V3, shadow_mode: true}}, `+tRouter+`]`, tRoutes, ""),
			want: []finding{{RuleAuthzFailClosed, "shadow_mode"}},
		},
		{
			name: "network ext_authz",
			yaml: strings.Replace(config(tFilters, tRoutes, ""), "  clusters:", `  - name: tcp
    address: {socket_address: {address: 127.0.0.1, port_value: 8443}}
    filter_chains: [{filters: [
      {name: envoy.filters.network.ext_authz, typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.network.ext_authz.v3.ExtAuthz,
        stat_prefix: tcp, grpc_service: {envoy_grpc: {cluster_name: extauthz}}, failure_mode_allow: true}},
      {name: envoy.filters.network.tcp_proxy, typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy,
        stat_prefix: tcp, cluster: tcp_app}}]}]
  clusters:`, 1),
			want: []finding{{RuleAuthzTransport, "AUTO"}, {RuleAuthzFailClosed, "failure_mode_allow"}, {RuleRouteCluster, `tcp_proxy names cluster "tcp_app"`}},
		},
		{
			name: "per-filter key at every level",
			yaml: config(tFilters, `{typed_per_filter_config: {rc_level: {`+tPerRoute+`, disabled: true}},
				virtual_hosts: [{name: vh, domains: ["*"], typed_per_filter_config: {vh_level: {`+tPerRoute+`, disabled: true}},
				routes: [{match: {prefix: /}, route: {weighted_clusters: {clusters: [{name: app, weight: 1,
				typed_per_filter_config: {wc_level: {`+tPerRoute+`, disabled: true}}}]}}}]}]}`, ""),
			want: []finding{{RulePerFilterKey, `"rc_level"`}, {RulePerFilterKey, `"vh_level"`}, {RulePerFilterKey, `"wc_level"`}},
		},
		{
			name: "FilterConfig wrapper",
			yaml: config(tFilters, `{virtual_hosts: [{name: vh, domains: ["*"], routes: [
				{match: {path: /ok}, route: {cluster: app}, typed_per_filter_config: {envoy.filters.http.ext_authz: {
				  "@type": type.googleapis.com/envoy.config.route.v3.FilterConfig, disabled: true}}},
				{match: {path: /ok2}, route: {cluster: app}, typed_per_filter_config: {envoy.filters.http.ext_authz: {
				  "@type": type.googleapis.com/envoy.config.route.v3.FilterConfig, config: {`+tPerRoute+`, disabled: true}}}},
				{match: {prefix: /}, route: {cluster: app}, typed_per_filter_config: {envoy.filters.http.ext_authz: {
				  "@type": type.googleapis.com/envoy.config.route.v3.FilterConfig, config: {
				    "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}}}}]}]}`, ""),
			want: []finding{{RulePerFilterType, "is envoy.extensions.filters.http.router.v3.Router; want envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute"}},
		},
		{
			name: "router takes no per-route config",
			yaml: config(tFilters, `{virtual_hosts: [{name: vh, domains: ["*"], routes: [{match: {prefix: /}, route: {cluster: app},
				typed_per_filter_config: {envoy.filters.http.router: {`+tPerRoute+`, disabled: true}}}]}]}`, ""),
			want: []finding{{RulePerFilterType, "want no per-route config"}},
		},
		{
			name: "all findings reported",
			yaml: config("["+tRouter+", "+tAuthz+"]", `{virtual_hosts: [{name: vh, domains: ["*"], routes: [{match: {prefix: /}, route: {cluster: gone}}]}]}`, ""),
			want: []finding{{RuleRouterLast, "position 1 of 2"}, {RuleRouterLast, "last HTTP filter is envoy.filters.http.ext_authz"}, {RuleRouteCluster, `"gone"`}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := CheckBytes("test.yaml", []byte(tc.yaml))
			if len(errs) != len(tc.want) {
				t.Fatalf("got %d findings, want %d:\n%s", len(errs), len(tc.want), joinErrs(errs))
			}
			for i, err := range errs {
				var re *RuleError
				if !errors.As(err, &re) {
					t.Fatalf("finding %d is %T, want *RuleError: %v", i, err, err)
				}
				if re.Rule != tc.want[i].rule || !strings.Contains(re.Msg, tc.want[i].text) {
					t.Errorf("finding %d = %v; want rule %s with %q", i, err, tc.want[i].rule, tc.want[i].text)
				}
				if re.File != "test.yaml" {
					t.Errorf("finding %d names file %q", i, re.File)
				}
			}
			// Findings must come out in the same order every time.
			again := CheckBytes("test.yaml", []byte(tc.yaml))
			if !slices.EqualFunc(errs, again, func(a, b error) bool { return a.Error() == b.Error() }) {
				t.Errorf("findings are not stable:\n%s\nvs\n%s", joinErrs(errs), joinErrs(again))
			}
		})
	}
}

func TestUnknownFieldLine(t *testing.T) {
	tests := []struct {
		name     string
		yaml     string
		wantLine int
	}{
		{"unique key gets its line", config(tFilters, tRoutes, "admin:\n  adress: {}\n"), 16},
		// "stat_prefix" is a valid HCM key but unknown in Admin; naming line 10
		// would point at the wrong place.
		{"ambiguous key gets none", config(tFilters, tRoutes, "admin: {stat_prefix: x}\n"), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := CheckBytes("test.yaml", []byte(tc.yaml))
			var re *RuleError
			if len(errs) != 1 || !errors.As(errs[0], &re) || re.Rule != RuleParse {
				t.Fatalf("want one parse finding, got:\n%s", joinErrs(errs))
			}
			if re.Line != tc.wantLine {
				t.Errorf("line = %d, want %d (%v)", re.Line, tc.wantLine, re)
			}
			if strings.Contains(re.Msg, "(line ") {
				t.Errorf("message keeps a JSON position: %v", re)
			}
		})
	}
}

func TestCheckMissingFile(t *testing.T) {
	errs := Check(filepath.Join(t.TempDir(), "absent.yaml"))
	var re *RuleError
	if len(errs) != 1 || !errors.As(errs[0], &re) || re.Rule != RuleParse {
		t.Fatalf("want one parse finding, got:\n%s", joinErrs(errs))
	}
}

func TestRuleErrorFormat(t *testing.T) {
	err := &RuleError{File: "sidecar.yaml", Line: 12, Field: "static_resources", Rule: RuleValidate, Msg: "bad"}
	if got, want := err.Error(), "sidecar.yaml:12: static_resources: bad [validate]"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func joinErrs(errs []error) string {
	var b strings.Builder
	for _, err := range errs {
		b.WriteString("  ")
		b.WriteString(err.Error())
		b.WriteString("\n")
	}
	return b.String()
}
