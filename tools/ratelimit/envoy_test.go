package ratelimit

import (
	"cmp"
	"regexp"
	"strings"
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	ratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/common/ratelimit/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"sigs.k8s.io/yaml"

	"github.com/martyedge/security/pkg/limits"
)

// What Envoy's ratelimit filter sends, per the contract reference §5.2,
// for the kinds of action the generator writes; anything else fails the
// test rather than being guessed.

// request is what Envoy knows about an HTTP request when its ratelimit
// filter runs (after ext_authz).
type request struct {
	remote   string            // the trusted client address
	path     string            // :path, query included
	headers  map[string]string // other request headers, lower case
	metadata map[string]string // ext_authz's dynamic metadata (strings)
}

// parseRateLimits reads the generated envoy-rate-limits.yaml, the file
// users paste into their route configuration, as Envoy's proto.
func parseRateLimits(t *testing.T, file []byte) []*routev3.RateLimit {
	t.Helper()
	js, err := yaml.YAMLToJSON(file)
	if err != nil {
		t.Fatalf("generated rate_limits: %v", err)
	}
	// VirtualHost.rate_limits is where the file goes.
	var vh routev3.VirtualHost
	if err := protojson.Unmarshal(js, &vh); err != nil {
		t.Fatalf("generated rate_limits: %v", err)
	}
	if len(vh.GetRateLimits()) == 0 {
		t.Fatal("generated rate_limits is empty")
	}
	return vh.GetRateLimits()
}

// envoyDescriptors returns the descriptors Envoy sends for req: one per
// rate_limits entry whose actions all produce an entry, in order.
func envoyDescriptors(t *testing.T, rls []*routev3.RateLimit, req request) []*ratelimitv3.RateLimitDescriptor {
	t.Helper()
	var out []*ratelimitv3.RateLimitDescriptor
	for _, rl := range rls {
		if d := envoyDescriptor(t, rl, req); d != nil {
			out = append(out, d)
		}
	}
	return out
}

func envoyDescriptor(t *testing.T, rl *routev3.RateLimit, req request) *ratelimitv3.RateLimitDescriptor {
	t.Helper()
	d := &ratelimitv3.RateLimitDescriptor{}
	add := func(k, v string) {
		d.Entries = append(d.Entries, &ratelimitv3.RateLimitDescriptor_Entry{Key: k, Value: v})
	}
	for _, a := range rl.GetActions() {
		switch s := a.GetActionSpecifier().(type) {
		case *routev3.RateLimit_Action_RemoteAddress_:
			add("remote_address", req.remote)
		case *routev3.RateLimit_Action_RequestHeaders_:
			v, ok := req.headers[s.RequestHeaders.GetHeaderName()]
			if !ok {
				return nil // the generator never sets skip_if_absent
			}
			add(s.RequestHeaders.GetDescriptorKey(), v)
		case *routev3.RateLimit_Action_GenericKey_:
			add(cmp.Or(s.GenericKey.GetDescriptorKey(), "generic_key"), s.GenericKey.GetDescriptorValue())
		case *routev3.RateLimit_Action_Metadata:
			m := s.Metadata
			if m.GetSource() != routev3.RateLimit_Action_MetaData_DYNAMIC || m.GetMetadataKey().GetKey() != limits.MetadataNamespace ||
				len(m.GetMetadataKey().GetPath()) != 1 || m.GetSkipIfAbsent() {
				t.Fatalf("metadata action %v is not simulated", m)
			}
			v := cmp.Or(req.metadata[m.GetMetadataKey().GetPath()[0].GetKey()], m.GetDefaultValue())
			if v == "" {
				return nil
			}
			add(m.GetDescriptorKey(), v)
		case *routev3.RateLimit_Action_HeaderValueMatch_:
			m := s.HeaderValueMatch
			if len(m.GetHeaders()) != 1 || m.GetHeaders()[0].GetName() != ":path" || m.GetExpectMatch() != nil {
				t.Fatalf("header_value_match %v is not simulated", m)
			}
			if !pathMatches(t, m.GetHeaders()[0].GetStringMatch().GetPrefix(), m.GetHeaders()[0].GetStringMatch().GetSafeRegex().GetRegex(), req.path) {
				return nil
			}
			add(m.GetDescriptorKey(), m.GetDescriptorValue())
		default:
			t.Fatalf("action %T is not simulated", s)
		}
	}
	return d
}

// pathMatches applies a prefix or a safe_regex (matched against the whole
// value, as Envoy does) to :path.
func pathMatches(t *testing.T, prefix, re, path string) bool {
	t.Helper()
	switch {
	case prefix != "":
		return strings.HasPrefix(path, prefix)
	case re != "":
		return regexp.MustCompile(`^(?:` + re + `)$`).MatchString(path)
	}
	t.Fatal(":path matcher is neither prefix nor safe_regex")
	return false
}

// find returns the index of the descriptor whose keys are keys, in order.
func find(t *testing.T, ds []*ratelimitv3.RateLimitDescriptor, keys ...string) int {
	t.Helper()
	for i, d := range ds {
		got := make([]string, len(d.GetEntries()))
		for j, e := range d.GetEntries() {
			got[j] = e.GetKey()
		}
		if strings.Join(got, ",") == strings.Join(keys, ",") {
			return i
		}
	}
	t.Fatalf("Envoy sends no descriptor with keys %v; it sends %v", keys, ds)
	return -1
}
