# Run `make help` for the list of targets.
.DEFAULT_GOAL := help
GO ?= go

.PHONY: help run test lint bench load fuzz token proto

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

run: ## run the server on the quick-start config (no Redis, example policy)
	$(GO) run ./cmd/extauthz --config examples/quickstart/config.yaml

token: ## mint a quick-start token: make token SUB=alice ROLES=developer
	@$(GO) run ./cmd/extauthz token --config examples/quickstart/config.yaml --sub $(or $(SUB),alice) --roles $(or $(ROLES),developer)

test: ## everything CI runs: gofmt, vet, staticcheck, race tests, short fuzzing
	scripts/test.sh

lint: ## gofmt, go vet and staticcheck only
	gofmt -l . | (! grep .)
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

bench: ## micro-benchmarks (policy lookup, token cache, whole Check)
	$(GO) test -run='^$$' -bench=. -benchmem ./pkg/...

load: ## load tool: extauthz vs a no-op Check server, same run
	$(GO) run ./cmd/extauthz-bench --config examples/quickstart/config.yaml

fuzz: ## longer fuzzing: make fuzz FUZZTIME=5m
	FUZZTIME=$(or $(FUZZTIME),2m) scripts/test.sh

proto: ## regenerate proto/ Go code
	scripts/proto.sh
