package envoycheck

import (
	"cmp"
	"fmt"
	"slices"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	ratelimitconfv3 "github.com/envoyproxy/go-control-plane/envoy/config/ratelimit/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	extauthzv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	netextauthzv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/ext_authz/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

// walk visits every message under m, unpacking Any fields (typed_config,
// typed_per_filter_config, typed_extension_protocol_options, ...) so that
// the rules see nested configs, and validating each unpacked message.
// Fields are visited in declaration order and map keys sorted, so the
// findings come out in a stable order.
func (c *checker) walk(m protoreflect.Message, field string) {
	if a, ok := m.Interface().(*anypb.Any); ok {
		inner, err := a.UnmarshalNew()
		if err != nil {
			// protojson already resolved the type, so this is not expected.
			c.add(RuleParse, field, "unpack %s: %v", a.GetTypeUrl(), err)
			return
		}
		c.validate(field, inner)
		c.walk(inner.ProtoReflect(), field)
		return
	}
	c.visit(m.Interface(), field)

	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		holdsMessages := fd.Message() != nil
		if fd.IsMap() { // fd.Message() is then the map entry
			holdsMessages = fd.MapValue().Message() != nil
		}
		if !holdsMessages || !m.Has(fd) {
			continue
		}
		name := join(field, string(fd.Name()))
		switch {
		case fd.IsMap():
			mp := m.Get(fd).Map()
			var keys []protoreflect.MapKey
			mp.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
				keys = append(keys, k)
				return true
			})
			slices.SortFunc(keys, func(a, b protoreflect.MapKey) int {
				return cmp.Compare(a.String(), b.String())
			})
			for _, k := range keys {
				c.walk(mp.Get(k).Message(), fmt.Sprintf("%s[%q]", name, k.String()))
			}
		case fd.IsList():
			l := m.Get(fd).List()
			for j := range l.Len() {
				em := l.Get(j).Message()
				c.walk(em, elem(name, j, nameOf(em)))
			}
		default:
			c.walk(m.Get(fd).Message(), name)
		}
	}
}

// visit applies the rules that concern a single message type, wherever it
// appears in the config.
func (c *checker) visit(m proto.Message, field string) {
	switch v := m.(type) {
	case *hcmv3.HttpConnectionManager:
		c.checkHCM(v, field)
	case *corev3.GrpcService:
		c.requireCluster(RuleGRPCCluster, join(field, "envoy_grpc.cluster_name"), "gRPC service", v.GetEnvoyGrpc().GetClusterName())
	case *routev3.RouteAction:
		c.requireCluster(RuleRouteCluster, join(field, "cluster"), "route", v.GetCluster())
	case *routev3.WeightedCluster_ClusterWeight:
		c.requireCluster(RuleRouteCluster, join(field, "name"), "weighted cluster", v.GetName())
	case *routev3.RouteAction_RequestMirrorPolicy:
		c.requireCluster(RuleRouteCluster, join(field, "cluster"), "request mirror policy", v.GetCluster())
	case *tcpproxyv3.TcpProxy:
		c.requireCluster(RuleRouteCluster, join(field, "cluster"), "tcp_proxy", v.GetCluster())
	case *tcpproxyv3.TcpProxy_WeightedCluster_ClusterWeight:
		c.requireCluster(RuleRouteCluster, join(field, "name"), "tcp_proxy weighted cluster", v.GetName())
	case *extauthzv3.ExtAuthz:
		c.checkAuthz(field, v.GetTransportApiVersion(), v.GetFailureModeAllow(), v.GetShadowMode())
	case *netextauthzv3.ExtAuthz:
		c.checkAuthz(field, v.GetTransportApiVersion(), v.GetFailureModeAllow(), false)
	case *ratelimitconfv3.RateLimitServiceConfig:
		if tv := v.GetTransportApiVersion(); tv != corev3.ApiVersion_V3 {
			c.add(RuleRatelimitTransport, join(field, "transport_api_version"),
				"rate limit service transport_api_version is %s; Envoy requires V3", tv)
		}
	}
}

func (c *checker) checkAuthz(field string, tv corev3.ApiVersion, failOpen, shadow bool) {
	if tv != corev3.ApiVersion_V3 {
		c.add(RuleAuthzTransport, join(field, "transport_api_version"),
			"ext_authz transport_api_version is %s; Envoy requires V3 and the server speaks envoy.service.auth.v3 only", tv)
	}
	if failOpen {
		c.add(RuleAuthzFailClosed, join(field, "failure_mode_allow"),
			"ext_authz failure_mode_allow is true: an unreachable authz server would let every request through")
	}
	if shadow {
		c.add(RuleAuthzFailClosed, join(field, "shadow_mode"),
			"ext_authz shadow_mode is true: denials would never be enforced")
	}
}

// nameOf returns the value of m's string field "name", if it has one, to
// make list paths readable (clusters[1](extauthz)).
func nameOf(m protoreflect.Message) string {
	fd := m.Descriptor().Fields().ByName("name")
	if fd == nil || fd.Kind() != protoreflect.StringKind || fd.IsList() {
		return ""
	}
	return m.Get(fd).String()
}

func join(parent, child string) string {
	if parent == "" {
		return child
	}
	return parent + "." + child
}
