package authz

import (
	"crypto/rand"
	"encoding/hex"
	"strings"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
)

// maxRequestIDLen bounds the x-request-id we echo back in bodies and logs;
// Envoy generates UUIDs (36 bytes), anything much longer is client noise.
const maxRequestIDLen = 128

// request is the part of an Envoy CheckRequest the pipeline reads, taken
// once so that every step sees the same values.
type request struct {
	method    string
	path      string // :path without query string or fragment
	host      string
	scheme    string
	principal string // source.principal (mTLS peer), may be empty
	requestID string
	ext       map[string]string
	http      *authv3.AttributeContext_HttpRequest
}

func newRequest(req *authv3.CheckRequest) request {
	attrs := req.GetAttributes()
	h := attrs.GetRequest().GetHttp()
	r := request{
		method:    h.GetMethod(),
		path:      stripQuery(h.GetPath()),
		host:      h.GetHost(),
		scheme:    h.GetScheme(),
		principal: attrs.GetSource().GetPrincipal(),
		ext:       attrs.GetContextExtensions(),
		http:      h,
	}
	if r.method == "" {
		r.method, _ = r.header(":method")
	}
	if r.path == "" {
		p, _ := r.header(":path")
		r.path = stripQuery(p)
	}
	r.requestID = requestID(r)
	return r
}

// header returns the value of a lower-case header name and how many lines
// carried it. With encode_raw_headers Envoy sends header_map, where
// duplicates are separate entries; otherwise it sends the headers map,
// where duplicates are already joined with a comma.
func (r request) header(name string) (string, int) {
	if hs := r.http.GetHeaders(); len(hs) > 0 {
		v, ok := hs[name]
		if !ok {
			return "", 0
		}
		return v, 1
	}
	var (
		value string
		n     int
	)
	for _, hv := range r.http.GetHeaderMap().GetHeaders() {
		if !strings.EqualFold(hv.GetKey(), name) {
			continue
		}
		v := hv.GetValue()
		if v == "" {
			v = string(hv.GetRawValue())
		}
		if n == 0 {
			value = v
		} else {
			value += "," + v
		}
		n++
	}
	return value, n
}

func stripQuery(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		return p[:i]
	}
	return p
}

// requestID returns Envoy's x-request-id when it is a sane token, else a
// fresh random id, so every decision can be correlated.
func requestID(r request) string {
	if id, n := r.header("x-request-id"); n == 1 && id != "" && len(id) <= maxRequestIDLen && printable(id) {
		return id
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// printable reports whether s holds only visible ASCII, so it can be echoed
// in a header or a JSON body without encoding surprises.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}
