package envoyrl

import (
	"cmp"
	"regexp"
	"strings"
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/martyedge/security/pkg/limits"
)

// An Envoy stand-in for the tests: the descriptor each rate_limits entry
// produces for a request, per the contract reference's action table
// (§5.2) and the go-control-plane API comments.

// envoyDescriptor builds the descriptor Envoy sends for one rate_limits
// entry, or reports that it sends none (an action without a value).
func envoyDescriptor(t *testing.T, rl *routev3.RateLimit, req request) ([]entry, bool) {
	t.Helper()
	var d []entry
	for _, a := range rl.GetActions() {
		switch s := a.GetActionSpecifier().(type) {
		case *routev3.RateLimit_Action_RemoteAddress_:
			d = append(d, entry{"remote_address", req.remote})
		case *routev3.RateLimit_Action_RequestHeaders_:
			h := s.RequestHeaders
			v, ok := req.headers[h.GetHeaderName()]
			switch {
			case ok:
				d = append(d, entry{h.GetDescriptorKey(), v})
			case h.GetSkipIfAbsent():
			default:
				return nil, false
			}
		case *routev3.RateLimit_Action_GenericKey_:
			d = append(d, entry{cmp.Or(s.GenericKey.GetDescriptorKey(), "generic_key"), s.GenericKey.GetDescriptorValue()})
		case *routev3.RateLimit_Action_HeaderValueMatch_:
			m := s.HeaderValueMatch
			matched := true
			for _, h := range m.GetHeaders() {
				matched = matched && headerMatches(t, h, req.headers)
			}
			if expect := m.GetExpectMatch() == nil || m.GetExpectMatch().GetValue(); matched != expect {
				return nil, false
			}
			d = append(d, entry{cmp.Or(m.GetDescriptorKey(), "header_match"), m.GetDescriptorValue()})
		case *routev3.RateLimit_Action_Metadata:
			m := s.Metadata
			if m.GetSource() != routev3.RateLimit_Action_MetaData_DYNAMIC {
				t.Fatalf("metadata action reads %v metadata, want DYNAMIC", m.GetSource())
			}
			var v string
			if m.GetMetadataKey().GetKey() == limits.MetadataNamespace && len(m.GetMetadataKey().GetPath()) == 1 {
				v = req.metadata[m.GetMetadataKey().GetPath()[0].GetKey()]
			}
			switch {
			case v != "":
			case m.GetDefaultValue() != "":
				v = m.GetDefaultValue()
			case m.GetSkipIfAbsent():
				continue
			default:
				return nil, false
			}
			d = append(d, entry{m.GetDescriptorKey(), v})
		default:
			t.Fatalf("action %T is not simulated", s)
		}
	}
	return d, true
}

// headerMatches evaluates the parts of a HeaderMatcher the generator uses.
func headerMatches(t *testing.T, h *routev3.HeaderMatcher, headers map[string]string) bool {
	t.Helper()
	v, ok := headers[h.GetName()]
	if !ok || h.GetInvertMatch() {
		if h.GetInvertMatch() {
			t.Fatal("invert_match is not simulated")
		}
		return false
	}
	sm := h.GetStringMatch()
	switch {
	case sm == nil:
		t.Fatalf("header matcher %v is not simulated", h)
	case sm.GetPrefix() != "":
		return strings.HasPrefix(v, sm.GetPrefix())
	case sm.GetExact() != "":
		return v == sm.GetExact()
	case sm.GetSafeRegex() != nil:
		return fullMatch(sm.GetSafeRegex().GetRegex(), v)
	}
	t.Fatalf("string matcher %v is not simulated", sm)
	return false
}

// regexps caches compiled matchers (the tests here do not run in parallel).
var regexps = map[string]*regexp.Regexp{}

// fullMatch matches like Envoy's safe_regex: against the whole value.
func fullMatch(re, v string) bool {
	r, ok := regexps[re]
	if !ok {
		r = regexp.MustCompile(`^(?:` + re + `)$`)
		regexps[re] = r
	}
	return r.MatchString(v)
}
