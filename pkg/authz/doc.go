// Package authz is the decision pipeline behind Envoy's external
// authorization API (envoy.service.auth.v3.Authorization/Check).
//
// A Check runs these steps, each of which can end the request:
//
//  1. Excluded paths (health, metrics) are allowed without authentication.
//  2. The route requirement is resolved: Envoy per-route
//     context_extensions (permission, or resource and action, public,
//     shadow) win over the policy's route table.
//  3. Public routes are allowed anonymously.
//  4. The caller is authenticated: a bearer token (Authorization header,
//     or the configured header or cookie) verified by the Authenticator, or,
//     when no token is sent, the mTLS principal Envoy reports in
//     source.principal mapped to roles by the policy's service rules.
//  5. Deny by default: a route with no requirement is refused.
//  6. RBAC: the caller's roles must hold the required permission.
//
// A denial is a CheckResponse with a non-zero status and a
// DeniedHttpResponse (401 with a WWW-Authenticate challenge, 403, or 503
// when keys are not available yet); the RPC itself succeeds, because Envoy
// treats a failed RPC as an authorization-service fault. An allow returns
// an OkHttpResponse that sets the identity headers for the upstream and
// removes every client-supplied copy of them, plus dynamic metadata for
// later filters such as the rate limiter.
//
// In shadow mode (globally, per policy route, or per Envoy route) the
// would-be decision is logged and the request is allowed.
package authz
