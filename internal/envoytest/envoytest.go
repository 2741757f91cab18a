// Package envoytest builds CheckRequests shaped exactly as Envoy's ext_authz
// filter sends them (see shared/reference/envoy-ext-authz-contract.md §1):
// lower-case header keys, pseudo-headers in the header map, :authority
// instead of host, :path with its query string, an Envoy-generated
// x-request-id, the stream id in request.http.id, context_extensions from
// per-route config and, on mTLS connections, source.principal.
package envoytest

import (
	"maps"
	"slices"
	"strings"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Option changes the request being built.
type Option func(*authv3.CheckRequest)

// Request returns a CheckRequest for an HTTP/1.1 request over HTTPS from
// 203.0.113.7 to orders.example.com, as Envoy would send it.
func Request(method, path string, opts ...Option) *authv3.CheckRequest {
	const host = "orders.example.com"
	req := &authv3.CheckRequest{Attributes: &authv3.AttributeContext{
		Source:      &authv3.AttributeContext_Peer{Address: socketAddress("203.0.113.7", 54321)},
		Destination: &authv3.AttributeContext_Peer{Address: socketAddress("10.1.2.3", 8080)},
		Request: &authv3.AttributeContext_Request{
			Time: timestamppb.New(time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)),
			Http: &authv3.AttributeContext_HttpRequest{
				Id:       "7316824911583471231",
				Method:   method,
				Path:     path,
				Host:     host,
				Scheme:   "https",
				Protocol: "HTTP/1.1",
				Headers: map[string]string{
					":authority":        host,
					":method":           method,
					":path":             path,
					":scheme":           "https",
					"accept":            "*/*",
					"user-agent":        "curl/8.5.0",
					"x-forwarded-proto": "https",
					"x-request-id":      "4f6c1a9e-2b7d-4c3e-9a51-0d8e6f2b7c10",
				},
			},
		},
	}}
	for _, o := range opts {
		o(req)
	}
	return req
}

func socketAddress(ip string, port uint32) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address:       ip,
		PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port},
	}}}
}

// Header sets a request header; the name is lower-cased as Envoy does. A
// header set twice is joined with a bare comma, as Envoy joins duplicate
// header lines.
func Header(name, value string) Option {
	return func(r *authv3.CheckRequest) {
		h := r.Attributes.Request.Http.Headers
		name = strings.ToLower(name)
		if old, ok := h[name]; ok {
			value = old + "," + value
		}
		h[name] = value
	}
}

// Bearer sets "authorization: Bearer <tok>".
func Bearer(tok string) Option { return Header("authorization", "Bearer "+tok) }

// Extensions sets the per-route context_extensions.
func Extensions(kv map[string]string) Option {
	return func(r *authv3.CheckRequest) {
		if r.Attributes.ContextExtensions == nil {
			r.Attributes.ContextExtensions = map[string]string{}
		}
		maps.Copy(r.Attributes.ContextExtensions, kv)
	}
}

// Principal sets source.principal, the peer certificate's URI SAN that
// Envoy reports on mTLS connections.
func Principal(p string) Option {
	return func(r *authv3.CheckRequest) { r.Attributes.Source.Principal = p }
}

// RawHeaders switches the request to encode_raw_headers mode: header_map
// (one entry per header line, duplicates kept) instead of headers.
func RawHeaders() Option {
	return func(r *authv3.CheckRequest) {
		h := r.Attributes.Request.Http
		hm := &corev3.HeaderMap{}
		for _, k := range slices.Sorted(maps.Keys(h.Headers)) {
			for v := range strings.SplitSeq(h.Headers[k], ",") {
				hm.Headers = append(hm.Headers, &corev3.HeaderValue{Key: k, RawValue: []byte(v)})
			}
		}
		h.HeaderMap, h.Headers = hm, nil
	}
}
