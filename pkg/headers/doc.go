// Package headers owns the policy's headers section: security response
// headers (CSP, HSTS, frame and content-type options, referrer and
// permissions policies, cross-origin isolation, no-store for
// authenticated responses) grouped in named profiles, and per-environment
// CORS rules. It validates the section into field-path problems (which
// pkg/rbac turns into file:line errors) and compiles it, per environment,
// into header lists built once and shared by every request.
//
// Schema (under headers: in the policy file):
//
//	profiles:
//	  web:
//	    environments: [staging, production]   # optional; default all
//	    allow_unsafe: false
//	    content_security_policy:
//	      directives: {default-src: ["'self'"], frame-ancestors: ["'none'"]}
//	      report_only: false
//	      report_uri: /csp-report
//	      report_to: csp
//	    strict_transport_security: {max_age: 31536000, include_subdomains: true, preload: false}
//	    frame_options: DENY                    # or SAMEORIGIN
//	    content_type_options: true             # x-content-type-options: nosniff
//	    referrer_policy: strict-origin-when-cross-origin
//	    permissions_policy: {camera: [], geolocation: [self, "https://maps.example.com"]}
//	    cross_origin_opener_policy: same-origin
//	    cross_origin_embedder_policy: require-corp
//	    cross_origin_resource_policy: same-site
//	    cache_control_no_store_when_authenticated: true
//	    remove: [server, x-powered-by]
//	    modes: {content_security_policy: add_if_absent}   # default overwrite
//	environments:
//	  production:
//	    default_profile: web
//	    cors:
//	      allow_origins: ["https://app.example.com", "https://*.example.com"]
//	      allow_methods: [GET, POST]
//	      allow_headers: [authorization, content-type]
//	      expose_headers: [x-request-id]
//	      allow_credentials: true
//	      max_age: 600
//
// # Production and unsafe sources
//
// Every profile is compiled for every environment it lists, and a route
// may select any compiled profile by name, so a profile is "served in
// production" unless its environments leave production out. In such a
// profile the CSP sources 'unsafe-inline', 'unsafe-eval', '*' and data:
// are errors unless the profile sets allow_unsafe: true. A
// development-only profile (environments: [development]) needs no flag.
//
// # Allowed responses
//
// Headers go into OkHttpResponse.response_headers_to_add with
// append_action OVERWRITE_IF_EXISTS_OR_ADD, or ADD_IF_ABSENT for a header
// in add_if_absent mode (the upstream's own value wins). append is left
// unset: Envoy since 2024 (PR #33433) then honours append_action. Older
// Envoy ignores append_action and overwrites (append unset means
// overwrite there since PR #18002), so add_if_absent degrades to
// overwrite on those versions: never to a duplicate header.
// [Profile.AllowHeaders] has four precomputed variants: HSTS only when
// the request came over https (browsers ignore it over http, RFC 6797
// §8.1), cache-control: no-store only for authenticated callers.
//
// # Denied responses
//
// response_headers_to_add is not applied to ext_authz's own denials, so
// [Profile.DenyHeaders] gives the same headers (HSTS only over https,
// no cache-control) for DeniedHttpResponse.headers, without any append
// flag: Envoy removes each key from its local reply and then adds our
// value, which is an overwrite. Modes do not apply there.
//
// # Removing server and x-powered-by
//
// ext_authz cannot remove response headers: OkHttpResponse has
// headers_to_remove, which acts on the request sent upstream, and
// response_headers_to_add, which only adds or overwrites; there is no
// response_headers_to_remove (go-control-plane v1.40, contract reference
// §2.2). Overwriting with an empty value would still send the header. So
// remove is kept in the schema, validated and exposed by
// [Profile.Remove], and emits nothing here: the route configuration must
// carry response_headers_to_remove (and server_header_transformation for
// Envoy's own server header).
//
// # CORS preflights are answered here
//
// The server answers a preflight itself: for an OPTIONS request with
// Origin and Access-Control-Request-Method, Check returns a denied
// response with status 204 and the headers of [CORS.Preflight]; Envoy
// sends a DeniedHttpResponse's status, headers and body as its local
// reply (contract reference §2.3), so the preflight never reaches the
// upstream. Why here and not in Envoy's CORS filter: the allowed origins
// then live in one place, the policy, next to the routes and roles they
// belong to, are validated with it and reload with it; and it works
// under Istio, whose sidecars have no CORS filter configured for us
// (VirtualService corsPolicy would be a second copy to keep in sync). A
// preflight that is not allowed (ok false) is denied with 403 and no
// CORS headers, which the browser reports as a CORS failure without
// learning the allowlist. An OPTIONS request without
// Access-Control-Request-Method is not a preflight and is checked like
// any other request. Actual requests get [CORS.Actual]'s headers in
// response_headers_to_add (overwrite, except vary, which must be
// appended so the upstream's vary: accept-encoding survives).
//
// Origins match exactly or by suffix (https://*.example.com matches
// https://a.example.com and https://a.b.example.com, not
// https://example.com nor https://evil-example.com); scheme and port
// must match, scheme and host compare case-insensitively, a default port
// is ignored. The origin "null" is allowed only when listed literally:
// "*" does not cover it.
package headers
