package envoycheck

import (
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	bufferv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/buffer/v3"
	compressorv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/compressor/v3"
	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	extauthzv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	headermutationv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/header_mutation/v3"
	jwtauthnv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	localratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	luav3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/lua/v3"
	ratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ratelimit/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	// The extensions a config may name in a typed_config. protojson
	// resolves "@type" through the global registry, so a type missing here
	// fails the parse with "unable to resolve". Add the package when a
	// config starts using a new extension.
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/grpc/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/stream/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/compression/gzip/compressor/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/grpc_web/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/health_check/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/upstream_codec/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/http_inspector/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/original_dst/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/proxy_protocol/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/ext_authz/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/ratelimit/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/request_id/uuid/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/raw_buffer/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
)

func fullName(m proto.Message) protoreflect.FullName {
	return m.ProtoReflect().Descriptor().FullName()
}

var (
	routerType       = fullName(&routerv3.Router{})
	extAuthzType     = fullName(&extauthzv3.ExtAuthz{})
	rateLimitType    = fullName(&ratelimitv3.RateLimit{})
	filterConfigType = fullName(&routev3.FilterConfig{})
)

// wellKnownFilterNames identifies filters configured by name without a
// typed_config.
var wellKnownFilterNames = map[string]protoreflect.FullName{
	"envoy.filters.http.router":    routerType,
	"envoy.filters.http.ext_authz": extAuthzType,
	"envoy.filters.http.ratelimit": rateLimitType,
}

// perRouteTypes maps an HTTP filter's config type to the types it accepts in
// typed_per_filter_config; Envoy refuses any other. An empty list means the
// filter takes no per-route config. Filters not listed are not checked.
var perRouteTypes = map[protoreflect.FullName][]protoreflect.FullName{
	routerType:               {},
	extAuthzType:             {fullName(&extauthzv3.ExtAuthzPerRoute{})},
	rateLimitType:            {fullName(&ratelimitv3.RateLimitPerRoute{})},
	fullName(&corsv3.Cors{}): {fullName(&corsv3.CorsPolicy{})},
	fullName(&localratelimitv3.LocalRateLimit{}): {fullName(&localratelimitv3.LocalRateLimit{})},
	fullName(&rbacv3.RBAC{}):                     {fullName(&rbacv3.RBACPerRoute{})},
	fullName(&jwtauthnv3.JwtAuthentication{}):    {fullName(&jwtauthnv3.PerRouteConfig{})},
	fullName(&luav3.Lua{}):                       {fullName(&luav3.LuaPerRoute{})},
	fullName(&headermutationv3.HeaderMutation{}): {fullName(&headermutationv3.HeaderMutationPerRoute{})},
	fullName(&bufferv3.Buffer{}):                 {fullName(&bufferv3.BufferPerRoute{})},
	fullName(&compressorv3.Compressor{}):         {fullName(&compressorv3.CompressorPerRoute{})},
}
