package authz

import (
	"encoding/json"
	"net/http"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// MetadataNamespace is where Envoy stores CheckResponse.dynamic_metadata
// (fixed by the ext_authz filter, whatever the filter is named). Rate-limit
// actions read the keys below from it.
const MetadataNamespace = "envoy.filters.http.ext_authz"

// Dynamic metadata keys. Values are always strings: Envoy's rate-limit
// metadata action matches nothing else.
const (
	MetaSubject   = "subject"
	MetaRoles     = "roles"
	MetaTenant    = "tenant"
	MetaIssuer    = "issuer"
	MetaPrincipal = "principal"
	MetaAuth      = "auth" // "jwt", "mtls" or "none"
	MetaRoute     = "route"
	MetaRequestID = "request_id"
)

func (s *Service) respond(d *Decision) *authv3.CheckResponse {
	if !d.Allowed {
		return s.denied(d)
	}
	roles := strings.Join(d.Roles, ",")
	return &authv3.CheckResponse{
		Status:          &rpcstatus.Status{Code: int32(codes.OK)},
		HttpResponse:    &authv3.CheckResponse_OkResponse{OkResponse: s.okResponse(d, roles)},
		DynamicMetadata: metadata(d, roles),
	}
}

// appendFalse is shared by every response: messages are only read when
// gRPC marshals them, and this one is never modified.
var appendFalse = wrapperspb.Bool(false)

// okResponse sets the identity headers with append=false, which means
// overwrite in every Envoy version (see the contract reference), and
// removes every identity header it does not set: Envoy applies removals
// after sets, so a removal of a header we set would delete our own value.
func (s *Service) okResponse(d *Decision, roles string) *authv3.OkHttpResponse {
	h := s.opts.Headers
	// One allocation for all header messages instead of two per header.
	const maxSet = 4
	values := make([]corev3.HeaderValue, maxSet)
	options := make([]corev3.HeaderValueOption, maxSet)
	ok := &authv3.OkHttpResponse{Headers: make([]*corev3.HeaderValueOption, 0, maxSet)}
	set := func(name, value string) {
		if name == "" || value == "" {
			return
		}
		i := len(ok.Headers)
		values[i].Key, values[i].Value = name, value
		options[i].Header = &values[i]
		//lint:ignore SA1019 append is deprecated, but it is the one field every Envoy version reads the same way for request headers (contract reference §2.2)
		options[i].Append = appendFalse
		ok.Headers = append(ok.Headers, &options[i])
	}
	switch {
	case d.Identity != nil:
		set(h.Subject, d.Identity.Subject)
		set(h.Roles, roles)
		set(h.Tenant, d.Tenant)
	case d.Principal != "":
		set(h.Principal, d.Principal)
		set(h.Roles, roles)
	}
	for _, name := range s.idNames {
		if !hasHeader(ok.Headers, name) {
			ok.HeadersToRemove = append(ok.HeadersToRemove, name)
		}
	}
	if d.Limit != nil {
		// Response headers for the client: no append flag, so every
		// Envoy version overwrites (older ones read append=false, newer
		// ones append_action); an upstream's own x-ratelimit-* values
		// must not be mixed with ours.
		for _, h := range limitHeaders(d.Limit, false) {
			ok.ResponseHeadersToAdd = append(ok.ResponseHeadersToAdd, &corev3.HeaderValueOption{
				Header:       &corev3.HeaderValue{Key: h[0], Value: h[1]},
				AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD,
			})
		}
	}
	return ok
}

func hasHeader(hs []*corev3.HeaderValueOption, name string) bool {
	for _, h := range hs {
		if h.GetHeader().GetKey() == name {
			return true
		}
	}
	return false
}

// metadata is the dynamic metadata for later filters (rate limit, access
// log). Only allowed requests carry it.
func metadata(d *Decision, roles string) *structpb.Struct {
	const maxFields = 8
	f := make(map[string]*structpb.Value, maxFields)
	// Values and their oneof wrappers allocated together, not one by one.
	values := make([]structpb.Value, maxFields)
	kinds := make([]structpb.Value_StringValue, maxFields)
	n := 0
	put := func(k, v string) {
		if v == "" {
			return
		}
		kinds[n].StringValue = v
		values[n].Kind = &kinds[n]
		f[k] = &values[n]
		n++
	}
	auth := "none"
	switch {
	case d.Identity != nil:
		auth = "jwt"
		put(MetaSubject, d.Identity.Subject)
		put(MetaTenant, d.Tenant)
		put(MetaIssuer, d.Identity.Issuer)
		put(MetaRoles, roles)
	case d.Principal != "":
		auth = "mtls"
		put(MetaPrincipal, d.Principal)
		put(MetaRoles, roles)
	}
	put(MetaAuth, auth)
	put(MetaRoute, d.Route)
	put(MetaRequestID, d.RequestID)
	return &structpb.Struct{Fields: f}
}

// errorBody is the JSON body of every denial. It carries the error code,
// a description written to be shown to clients, and the request id for
// support; never claims, tokens or key material.
type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
	RequestID   string `json:"request_id"`
}

func (s *Service) denied(d *Decision) *authv3.CheckResponse {
	den := d.denial
	body, _ := json.Marshal(errorBody{Error: den.code, Description: den.description, RequestID: d.RequestID}) // cannot fail: strings only
	// Denied headers leave append unset: older Envoy drops append=true
	// entries here, and each key replaces the local reply's own value.
	hdr := func(k, v string) *corev3.HeaderValueOption {
		return &corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: k, Value: v}}
	}
	headers := []*corev3.HeaderValueOption{
		hdr("content-type", "application/json"),
		hdr("cache-control", "no-store"),
	}
	switch den.status {
	case http.StatusUnauthorized:
		headers = append(headers, hdr("www-authenticate", s.challenge(den)))
	case http.StatusServiceUnavailable:
		headers = append(headers, hdr("retry-after", retryAfterSeconds))
	case http.StatusTooManyRequests:
		for _, h := range limitHeaders(d.Limit, true) {
			headers = append(headers, hdr(h[0], h[1]))
		}
	}
	return &authv3.CheckResponse{
		Status: &rpcstatus.Status{Code: int32(grpcCode(den.status)), Message: den.reason},
		HttpResponse: &authv3.CheckResponse_DeniedResponse{DeniedResponse: &authv3.DeniedHttpResponse{
			Status:  &typev3.HttpStatus{Code: typev3.StatusCode(den.status)},
			Headers: headers,
			Body:    string(body),
		}},
	}
}

// retryAfterSeconds is sent with 503s: long enough for a JWKS fetch to
// complete, short enough that clients do not give up.
const retryAfterSeconds = "5"

// challenge builds the RFC 6750 WWW-Authenticate value. A request without
// any credentials gets no error code (RFC 6750 §3.1).
func (s *Service) challenge(den *denial) string {
	var b strings.Builder
	b.WriteString(`Bearer realm="`)
	b.WriteString(quoteEscape(s.opts.Realm))
	b.WriteByte('"')
	if den.challenge != "" {
		b.WriteString(`, error="`)
		b.WriteString(den.challenge)
		b.WriteString(`", error_description="`)
		b.WriteString(quoteEscape(den.description))
		b.WriteByte('"')
	}
	return b.String()
}

// quoteEscape makes s safe inside an RFC 7230 quoted-string.
func quoteEscape(s string) string {
	if !strings.ContainsAny(s, `"\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// grpcCode is the gRPC status code matching a denial's HTTP status.
func grpcCode(httpStatus int) codes.Code {
	switch httpStatus {
	case http.StatusBadRequest:
		return codes.InvalidArgument
	case http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusForbidden:
		return codes.PermissionDenied
	case http.StatusServiceUnavailable:
		return codes.Unavailable
	case http.StatusTooManyRequests:
		return codes.ResourceExhausted
	default:
		return codes.Internal
	}
}
