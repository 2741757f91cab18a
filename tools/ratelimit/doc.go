// Package ratelimit checks the configuration that cmd/ratelimit-config
// generates against the real envoyproxy/ratelimit: its own config loader
// (loader_test.go), and the running service, built from the pinned module
// and backed by a real redis-server (service_test.go), asked what Envoy
// would ask it (envoy_test.go, shouldratelimit_test.go).
//
// It is a separate module so that ratelimit's large dependency graph
// (statsd, OpenTelemetry, memcache, radix...) stays out of the server's
// go.mod. It has no code besides these tests; run them with
//
//	cd tools/ratelimit && go test -race -count=1 ./...
//
// The integration test builds the service with the go command on first
// use (about a minute and a half on two cores with an empty build cache,
// seconds afterwards) and needs redis-server on PATH, as the main module's
// tests do.
package ratelimit
