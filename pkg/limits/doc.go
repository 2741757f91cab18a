// Package limits owns the policy's rate_limits section: its schema, its
// validation, how a caller's per-user limit is resolved, and the compiled
// form of the global rules ([Plan]) that package envoyrl renders for
// Envoy and envoyproxy/ratelimit.
//
// pkg/rbac decodes the section strictly as part of the policy file, calls
// [Spec.Validate] with the policy's role and route names and reports each
// [Problem] as "policy.yaml:41: rate_limits.<field>: msg". A loaded
// policy hands the section out with rbac's Policy.RateLimits (nil when
// absent); it is valid and must not be modified.
//
// # Schema
//
//	rate_limits:
//	  per_user:                    # enforced inside ext_authz, per caller
//	    default:                   # callers none of whose roles is listed below
//	      burst: {requests: 20, per: 1s}        # short-term rate
//	      quota: {requests: 10000, per: 24h}    # long-term budget
//	    roles:                     # role name (must exist) -> limit
//	      developer:
//	        burst: {requests: 50, per: 1s}
//	      admin: {unlimited: true}
//	  global:                      # compiled for envoyproxy/ratelimit
//	    domain: edge               # required; the ratelimit filter's domain
//	    rules:
//	      - name: orders-per-tenant  # required, unique; letters, digits, _ . -
//	        descriptor:              # the entries Envoy sends, in order
//	          - route: orders-read   # the policy route ext_authz matched
//	          - metadata: {key: tenant, default: none}
//	        limit: {requests: 600, unit: minute}  # or unlimited: true
//	        shadow_mode: true        # optional: count, never refuse
//	        replaces: [per-ip]       # optional: drop these rules' limits
//	                                 #   for requests this rule limits
//
// # Per-user limits
//
// An entry is {burst: W, quota: W} (quota optional) or {unlimited: true}
// alone, where W is {requests: N, per: duration}: at most N requests in
// any window of that length (pkg/ratelimit enforces it). N is from 1 to
// 2^31-1; per is a whole number of milliseconds up to 366 days. The quota
// is the long-term budget: its window must be longer than the burst's and
// its requests at least the burst's. Every entry uses the same burst
// window, and every quota the same quota window (typically 1s and 24h),
// so that the limits of different roles compare.
//
// Limits are counted per caller: the token's subject for JWT callers, the
// mTLS principal for service callers. Anonymous callers on public routes
// have no per-user limit; give them a global rule (remote_address)
// instead.
//
// A caller with several roles gets, per [PerUser.Resolve]: if none of its
// roles is listed, the default (no default: no limit); if any listed role
// is unlimited, no limit; otherwise the largest burst among its listed
// roles, and the largest quota, or no quota if one of them has none.
// Unlisted roles do not count, so a listed role may be stricter than the
// default.
//
// # Global rules
//
// Each rule's descriptor is a list of one to 8 entries. Envoy builds one
// descriptor per request from them (one entry per list element, in
// order), and the service configuration nests one level per entry. Each
// entry has exactly one source:
//
//	remote_address: true                 (remote_address, client IP)
//	header: {name: x-api-key, descriptor_key: api_key}
//	                                     (api_key, header value); the key
//	                                     defaults to the header name
//	metadata: {key: tenant, descriptor_key: tenant, default: none}
//	                                     (tenant, ext_authz's tenant, else
//	                                     the default); the key defaults to
//	                                     the metadata key
//	generic_key: {value: orders, descriptor_key: generic_key}
//	                                     (generic_key, orders); the key
//	                                     defaults to generic_key
//	route: orders-read                   (route, orders-read): requests
//	                                     ext_authz matched to that policy
//	                                     route
//	path_prefix: /api/orders             (path_prefix, /api/orders):
//	                                     requests for that path or below
//	                                     it (segment-aware, like policy
//	                                     route prefixes)
//
// remote_address, header and metadata entries take an optional value: the
// rule then matches only that exact value (an IP address in Envoy's
// canonical form for remote_address). Without one, every distinct value
// gets its own counter. Values never contain '*', which
// envoyproxy/ratelimit would read as a wildcard.
//
// metadata reads the dynamic metadata this server returns to Envoy
// (namespace envoy.filters.http.ext_authz, strings only): subject, roles
// (comma-separated), tenant, issuer, principal, auth (jwt, mtls or none)
// and route (the policy route name, or "envoy" when Envoy's per-route
// settings decided). ext_authz only returns metadata on allowed requests,
// and Envoy's ratelimit filter must come after ext_authz to see it.
//
// If an entry has no value for a request (a missing header, missing
// metadata without default, another path), Envoy sends no descriptor for
// that rule: the rule does not apply. Headers carrying credentials
// (authorization, cookie) are refused as sources, since descriptor values
// end up in the rate-limit service's cache keys; mind that an API-key
// header does too.
//
// limit is {requests: N, unit: second|minute|hour|day} with N from 1 to
// 2^32-1; unlimited: true exempts matching requests instead. shadow_mode
// counts and reports but never refuses. replaces names other rules whose
// limits are dropped for a request this rule applies to (the service's
// replaces); the replaced rules must use other entries, since of the
// rules sharing the same entries only one ever applies to a request. A
// section has at most 1000 rules.
//
// # How a descriptor is matched
//
// Rules whose entries differ only in their values share one Envoy
// rate_limits entry, so a request sends their descriptor once and exactly
// one of them applies: the most specific rule whose values match, where
// a rule pinning a value is more specific than one matching any. For this
// to be well defined, validation requires that
//
//   - no two rules match exactly the same descriptors;
//   - two rules that both match some descriptor with neither more specific
//     (say tenant=acme with any route, and any tenant with route
//     orders-read) come with a third rule for exactly their overlap;
//   - rules using the same descriptor keys in the same order take them
//     from the same sources (or from generic_key or path_prefix entries
//     with different values): envoyproxy/ratelimit sees only keys and
//     values and could not tell them apart;
//   - no descriptor key at some level is another key at that level
//     followed by "_" (the service looks entries up as "key_value").
//
// Rules with different entries are independent: a request can send
// several descriptors, each selecting its own rule, and it is refused if
// any selected rule is over its limit.
//
// envoyproxy/ratelimit itself walks a descriptor level by level and
// never backtracks, so [Global.Plan] also copies, under each node that
// pins a value, what its key-only sibling holds; otherwise a rule
// matching any tenant on route orders-read would be unreachable for
// tenant acme as soon as some rule pinned tenant acme.
//
// Outside this package's control: the counters are envoyproxy/ratelimit's
// (per descriptor value and time unit, in its Redis), and Envoy calls the
// service only for routes whose rate_limits include the generated entries.
package limits
