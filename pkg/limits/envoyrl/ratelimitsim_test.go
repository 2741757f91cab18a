package envoyrl

import (
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// An envoyproxy/ratelimit stand-in for the tests: it loads a configuration
// file and matches descriptors as the service's src/config/config_impl.go
// (loadDescriptors, GetLimit) and src/service/ratelimit.go
// (constructLimitsToCheck) do.

// The service's configuration file, with every key its loader accepts
// (validKeys in src/config/config_impl.go); decoded strictly, like the
// service does.
type rlFile struct {
	Domain      string         `yaml:"domain"`
	Descriptors []rlDescriptor `yaml:"descriptors"`
}

type rlDescriptor struct {
	Key            string         `yaml:"key"`
	Value          string         `yaml:"value"`
	RateLimit      *rlRateLimit   `yaml:"rate_limit"`
	Descriptors    []rlDescriptor `yaml:"descriptors"`
	ShadowMode     bool           `yaml:"shadow_mode"`
	DetailedMetric bool           `yaml:"detailed_metric"`
	ValueToMetric  bool           `yaml:"value_to_metric"`
	ShareThreshold bool           `yaml:"share_threshold"`
}

type rlRateLimit struct {
	RequestsPerUnit uint32 `yaml:"requests_per_unit"`
	Unit            string `yaml:"unit"`
	Unlimited       bool   `yaml:"unlimited"`
	Name            string `yaml:"name"`
	Replaces        []struct {
		Name string `yaml:"name"`
	} `yaml:"replaces"`
}

// rlLimit is a loaded limit.
type rlLimit struct {
	name      string
	unit      string
	requests  uint32
	unlimited bool
	shadow    bool
	replaces  []string
}

// rlNode is a loaded level: children by "key" or "key_value".
type rlNode struct {
	children     map[string]*rlNode
	wildcardKeys []string
	limit        *rlLimit
}

type rlService struct {
	domain string
	root   *rlNode
}

var rlUnits = []string{"SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "YEAR"}

// loadService loads a configuration file the way the service does, with
// the same load errors.
func loadService(t *testing.T, data []byte) *rlService {
	t.Helper()
	var f rlFile
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("service config: %v", err)
	}
	if f.Domain == "" {
		t.Fatal("service config: config file cannot have empty domain")
	}
	root := &rlNode{children: map[string]*rlNode{}}
	var load func(n *rlNode, parent string, ds []rlDescriptor)
	load = func(n *rlNode, parent string, ds []rlDescriptor) {
		for _, d := range ds {
			if d.Key == "" {
				t.Fatal("service config: descriptor has empty key")
			}
			final := d.Key
			if d.Value != "" {
				final += "_" + d.Value
			}
			if _, dup := n.children[final]; dup {
				t.Fatalf("service config: duplicate descriptor composite key '%s%s'", parent, final)
			}
			var l *rlLimit
			if rl := d.RateLimit; rl != nil {
				validUnit := slices.Contains(rlUnits, strings.ToUpper(rl.Unit))
				switch {
				case rl.Unlimited && validUnit:
					t.Fatal("service config: should not specify rate limit unit when unlimited")
				case !rl.Unlimited && !validUnit:
					t.Fatalf("service config: invalid rate limit unit '%s'", rl.Unit)
				}
				l = &rlLimit{name: rl.Name, unit: strings.ToLower(rl.Unit), requests: rl.RequestsPerUnit, unlimited: rl.Unlimited, shadow: d.ShadowMode}
				for _, r := range rl.Replaces {
					if r.Name == "" {
						t.Fatal("service config: should not have an empty replaces entry")
					}
					if r.Name == rl.Name {
						t.Fatal("service config: replaces should not contain name of same descriptor")
					}
					l.replaces = append(l.replaces, r.Name)
				}
			}
			if d.ShareThreshold && !strings.HasSuffix(final, "*") {
				t.Fatalf("service config: share_threshold without a wildcard at %s", final)
			}
			if strings.HasSuffix(final, "*") {
				n.wildcardKeys = append(n.wildcardKeys, final)
			}
			c := &rlNode{children: map[string]*rlNode{}, limit: l}
			load(c, parent+final+".", d.Descriptors)
			n.children[final] = c
		}
	}
	load(root, f.Domain+".", f.Descriptors)
	return &rlService{domain: f.Domain, root: root}
}

// getLimit is the service's GetLimit: per entry, the node for key_value,
// else a wildcard, else the key-only node; a limit only at the last entry;
// stop at a node without children.
func (s *rlService) getLimit(d []entry) *rlLimit {
	level := s.root
	var limit *rlLimit
	for i, e := range d {
		final := e.key + "_" + e.value
		next := level.children[final]
		if next == nil {
			for _, wk := range level.wildcardKeys {
				if strings.HasPrefix(final, strings.TrimSuffix(wk, "*")) {
					next = level.children[wk]
					break
				}
			}
		}
		if next == nil {
			next = level.children[e.key]
		}
		if next != nil && next.limit != nil && i == len(d)-1 {
			limit = next.limit
		}
		if next == nil || len(next.children) == 0 {
			break
		}
		level = next
	}
	return limit
}

// check is the service's constructLimitsToCheck: the limit matched per
// descriptor, and which of them are enforced once unlimited ones and
// replaced ones are dropped.
func (s *rlService) check(ds [][]entry) (matched, enforced []*rlLimit) {
	matched = make([]*rlLimit, len(ds))
	replacing := map[string]bool{}
	for i, d := range ds {
		matched[i] = s.getLimit(d)
		if matched[i] != nil {
			for _, r := range matched[i].replaces {
				replacing[r] = true
			}
		}
	}
	for _, l := range matched {
		if l != nil && !l.unlimited && !(l.name != "" && replacing[l.name]) {
			enforced = append(enforced, l)
		}
	}
	return matched, enforced
}
