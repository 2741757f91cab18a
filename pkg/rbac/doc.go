// Package rbac owns the authorization policy: which roles hold which
// permissions, which roles a calling service gets from its mTLS identity,
// and which permission an HTTP route requires when Envoy does not say.
//
// A policy is a YAML file loaded with [Load] or [Parse] for one deployment
// environment. Parsing is strict and reports all problems at once (up to
// yamlx.MaxErrors), each as a *yamlx.Error naming file, line and field:
//
//	policy.yaml:14: roles.viewer.permissions[2]: invalid permission "orders:re ad": ...
//
// The result is a compiled, immutable [*Policy] that is safe for concurrent
// use; reloading means parsing a new Policy and swapping the pointer.
//
// # Schema
//
//	version: 1                # required; must be 1
//	roles:                    # role name -> role; names must not be empty or
//	  viewer:                 #   contain whitespace, commas or control characters
//	    description: text     # optional, for humans
//	    inherits: [other]     # optional; roles whose grants this role also holds
//	    permissions:          # optional; grants, see below
//	      - orders:read
//	services:                 # optional; mTLS principal -> roles
//	  - principal: spiffe://cluster.local/ns/billing/sa/billing   # exact match, or
//	    principal_prefix: spiffe://cluster.local/ns/monitoring/   #   plain string prefix (exactly one)
//	    roles: [service_account]                                  # at least one known role
//	environments:             # optional; keys: development, staging, production
//	  production:
//	    roles:                # overrides of existing roles
//	      developer:
//	        revoke: [deploy:*]   # each must be listed in the role's own permissions
//	        grant: [deploy:read] # added to the role's own permissions
//	    services: [...]       # extra service rules, same shape as services
//	routes:                   # optional; first match in file order wins
//	  - name: orders-read     # required, unique; same character rules as role names
//	    prefix: /api/orders   # exactly one of path (exact), prefix, regex
//	    methods: [GET, HEAD]  # optional; upper-case; empty means any method
//	    permission: orders:read  # exactly one of permission (concrete) or public: true
//	    shadow: true          # optional; evaluate but do not enforce (dry run)
//	sessions:                 # optional; server-side sessions (see below)
//	  required: true          # a token must name a live session (sid claim)
//	  optional_for_roles: [service_account]  # ...unless all its roles are listed here
//	rate_limits:              # optional; schema and meaning in pkg/limits
//	  per_user:               # enforced by ext_authz per caller
//	    default: {burst: {requests: 20, per: 1s}, quota: {requests: 10000, per: 24h}}
//	    roles:                # keys must be roles defined above
//	      admin: {unlimited: true}
//	  global:                 # compiled for envoyproxy/ratelimit (cmd/ratelimit-config)
//	    domain: edge
//	    rules:
//	      - name: per-ip
//	        descriptor: [{remote_address: true}]
//	        limit: {requests: 50, unit: second}
//	      - name: orders-per-tenant
//	        descriptor:
//	          - route: orders-read   # must be a route defined above
//	          - metadata: {key: tenant, default: none}
//	        limit: {requests: 600, unit: minute}
//
// The rate_limits section is decoded here and validated by pkg/limits
// against the policy's roles and routes; its problems are reported like
// any other, with the rule's name after its index:
//
//	policy.yaml:41: rate_limits.global.rules[2](orders-per-tenant).limit.unit: unknown unit "minutes" ...
//
// [Policy.RateLimits] hands it out; it does not vary by environment.
//
// # Permissions
//
// A grant is "resource:action", where each side is either "*" or made of
// letters, digits, '_', '.' and '-', or the bare "*" meaning everything. A
// wildcard always stands for a whole side: "orders:*" and "*:read" are
// grants, "ord*:read" is an error. A required permission (on a route, or
// asked of [Policy.Allowed]) is always concrete: no wildcards.
//
// A role's effective grants are its own permissions, after the selected
// environment's revoke and grant, together with the effective grants of
// every role it inherits, transitively. Inheritance must not form a cycle.
// Revoke removes only the role's own grant: a permission still reachable
// through an inherited role stays granted.
//
// [Policy.Allowed] is deny by default: it holds only if one of the given
// roles has a grant equal to the permission, "resource:*", "*:action" or
// "*". Unknown role names grant nothing.
//
// # Service principals
//
// [Policy.ServiceRoles] maps Envoy's source.principal to roles: an exact
// principal rule wins over prefix rules, and among prefix rules the longest
// matching prefix wins. Rules for the same principal (or the same prefix) in
// the base list and the selected environment's list are merged; the same
// principal twice in one list is an error.
//
// # Routes
//
// A path matcher matches the whole path. A prefix matcher is segment-aware:
// "/api/orders" matches "/api/orders" and "/api/orders/1" but not
// "/api/ordersX"; a prefix that ends in "/" matches any path starting with
// it. A regex is RE2 syntax anchored to the whole path. Paths are matched
// as given, without query string and without normalisation, which is
// Envoy's job.
//
// # Sessions
//
// When a session store is configured, a token naming a session (its sid
// claim) is judged with the session's roles, and a revoked or expired
// session is refused. sessions.required additionally refuses tokens that
// name no session, except those whose roles are all listed in
// optional_for_roles (see [Policy.SessionRequired]).
//
// # Performance
//
// Parse does the work so that lookups do not. Permissions, wildcard
// resources and wildcard actions are interned to small integers and each
// role's effective grants are stored as bitsets, so Allowed costs three map
// lookups for the permission plus one per role, and never allocates.
// Bitsets rather than per-role maps keep memory linear in the number of
// roles times distinct permissions even for long inheritance chains, where
// flattened maps would grow quadratically.
package rbac
