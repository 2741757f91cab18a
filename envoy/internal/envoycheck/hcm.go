package envoycheck

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

// httpFilter is one entry of an HCM's http_filters.
type httpFilter struct {
	index int
	name  string
	typ   protoreflect.FullName // "" when the type cannot be told
}

// filterType is the config type of f: typed_config, or the default config
// of a filter delivered by ECDS. Filters configured by name only fall back
// to the well-known names.
func filterType(f *hcmv3.HttpFilter) protoreflect.FullName {
	if a := f.GetTypedConfig(); a != nil {
		return a.MessageName()
	}
	if a := f.GetConfigDiscovery().GetDefaultConfig(); a != nil {
		return a.MessageName()
	}
	return wellKnownFilterNames[f.GetName()]
}

// checkHCM applies the rules that need one connection manager's filter
// chain: filter order and the per-route configs of its inline routes.
func (c *checker) checkHCM(h *hcmv3.HttpConnectionManager, field string) {
	filters := make([]httpFilter, 0, len(h.GetHttpFilters()))
	byName := map[string]httpFilter{}
	for i, f := range h.GetHttpFilters() {
		hf := httpFilter{index: i, name: f.GetName(), typ: filterType(f)}
		filters = append(filters, hf)
		if _, dup := byName[hf.name]; !dup {
			byName[hf.name] = hf
		}
	}
	c.checkRouterLast(filters, field)
	c.checkAuthzBeforeRatelimit(filters, field)

	rc := h.GetRouteConfig()
	if rc == nil {
		return // RDS or scoped routes: not available offline
	}
	rcField := join(field, "route_config")
	c.checkPerFilter(rc.GetTypedPerFilterConfig(), rcField, byName)
	for i, vh := range rc.GetVirtualHosts() {
		vhField := elem(join(rcField, "virtual_hosts"), i, vh.GetName())
		c.checkPerFilter(vh.GetTypedPerFilterConfig(), vhField, byName)
		for j, r := range vh.GetRoutes() {
			rField := elem(join(vhField, "routes"), j, r.GetName())
			c.checkPerFilter(r.GetTypedPerFilterConfig(), rField, byName)
			for k, wc := range r.GetRoute().GetWeightedClusters().GetClusters() {
				wcField := elem(join(rField, "route.weighted_clusters.clusters"), k, wc.GetName())
				c.checkPerFilter(wc.GetTypedPerFilterConfig(), wcField, byName)
			}
		}
	}
}

func (c *checker) checkRouterLast(filters []httpFilter, field string) {
	if len(filters) == 0 {
		c.add(RuleRouterLast, join(field, "http_filters"), "no HTTP filters: the router filter must be the last one")
		return
	}
	last := len(filters) - 1
	for _, f := range filters[:last] {
		if f.typ == routerType {
			c.add(RuleRouterLast, elem(join(field, "http_filters"), f.index, f.name),
				"router filter at position %d of %d: it must be the last HTTP filter", f.index+1, len(filters))
		}
	}
	if f := filters[last]; f.typ != routerType {
		c.add(RuleRouterLast, elem(join(field, "http_filters"), f.index, f.name),
			"last HTTP filter is %s (%s): the router filter must be last", f.name, displayType(f.typ))
	}
}

func (c *checker) checkAuthzBeforeRatelimit(filters []httpFilter, field string) {
	firstAuthz := -1
	for _, f := range filters {
		if f.typ == extAuthzType {
			firstAuthz = f.index
			break
		}
	}
	if firstAuthz < 0 {
		return
	}
	for _, f := range filters[:firstAuthz] {
		if f.typ == rateLimitType {
			c.add(RuleAuthzBeforeRatelimit, elem(join(field, "http_filters"), f.index, f.name),
				"ratelimit filter runs before ext_authz (%s): it cannot use the authz decision's dynamic metadata",
				filters[firstAuthz].name)
		}
	}
}

// checkPerFilter checks one typed_per_filter_config map against the HCM's
// filters.
func (c *checker) checkPerFilter(cfg map[string]*anypb.Any, field string, byName map[string]httpFilter) {
	for _, key := range slices.Sorted(maps.Keys(cfg)) {
		kField := fmt.Sprintf("%s[%q]", join(field, "typed_per_filter_config"), key)
		f, ok := byName[key]
		if !ok {
			c.add(RulePerFilterKey, kField,
				"key %q names no HTTP filter of this connection manager (filters: %s); Envoy would silently ignore it",
				key, strings.Join(slices.Sorted(maps.Keys(byName)), ", "))
			continue
		}
		got := perRouteType(cfg[key])
		if got == "" {
			continue // a FilterConfig wrapper without config, e.g. {disabled: true}
		}
		allowed, known := perRouteTypes[f.typ]
		if !known || slices.Contains(allowed, got) {
			continue
		}
		want := "no per-route config"
		if len(allowed) > 0 {
			names := make([]string, len(allowed))
			for i, a := range allowed {
				names[i] = string(a)
			}
			want = strings.Join(names, " or ")
		}
		c.add(RulePerFilterType, kField, "per-route config for filter %q (%s) is %s; want %s",
			key, displayType(f.typ), got, want)
	}
}

// perRouteType is the type of a per-route config, looking through the
// generic FilterConfig wrapper.
func perRouteType(a *anypb.Any) protoreflect.FullName {
	if a.MessageName() != filterConfigType {
		return a.MessageName()
	}
	var fc routev3.FilterConfig
	if err := a.UnmarshalTo(&fc); err != nil {
		return a.MessageName() // reported by the walk
	}
	if fc.GetConfig() == nil {
		return ""
	}
	return fc.GetConfig().MessageName()
}

func displayType(t protoreflect.FullName) string {
	if t == "" {
		return "unknown type"
	}
	return string(t)
}
