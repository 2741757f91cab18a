package limits_test

import (
	"testing"

	"github.com/martyedge/security/pkg/authz"
	"github.com/martyedge/security/pkg/limits"
)

// TestMetadataContract keeps the metadata a rule may read in step with
// what pkg/authz returns to Envoy (pkg/authz cannot be imported by this
// package: it depends on pkg/rbac, which depends on this one).
func TestMetadataContract(t *testing.T) {
	if limits.MetadataNamespace != authz.MetadataNamespace {
		t.Errorf("MetadataNamespace = %q, pkg/authz uses %q", limits.MetadataNamespace, authz.MetadataNamespace)
	}
	usable := []string{authz.MetaSubject, authz.MetaRoles, authz.MetaTenant, authz.MetaIssuer,
		authz.MetaPrincipal, authz.MetaAuth, authz.MetaRoute}
	for _, key := range usable {
		if ps := specReading(key).Validate(limits.Refs{}); len(ps) > 0 {
			t.Errorf("metadata key %q (set by pkg/authz) is refused: %v", key, ps)
		}
	}
	if ps := specReading(authz.MetaRequestID).Validate(limits.Refs{}); len(ps) != 1 {
		t.Errorf("metadata key %q: problems %v, want it refused", authz.MetaRequestID, ps)
	}
}

func specReading(key string) *limits.Spec {
	return &limits.Spec{Global: &limits.Global{
		Domain: "edge",
		Rules: []limits.Rule{{
			Name:       "r",
			Descriptor: []limits.Entry{{Metadata: &limits.MetadataEntry{Key: key}}},
			Limit:      &limits.RuleLimit{Requests: 1, Unit: "second"},
		}},
	}}
}
