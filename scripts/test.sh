#!/usr/bin/env bash
# The project's test command (the README's quick start, and CI):
# formatting, go vet, staticcheck, every test under the race detector, and a
# short run of each fuzz target. Works on a fresh Debian machine with Go:
# anything else it needs it installs itself.
#
#   scripts/test.sh            # everything
#   FUZZTIME=2m scripts/test.sh   # longer fuzzing (default 10s per target)
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-10s}
# staticcheck 2026.2.2 is module version v0.8.2 (the proxy serves only the v form).
STATICCHECK_VERSION=v0.8.2

step() { printf '\n==> %s\n' "$*"; }

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.git/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

step "go vet"
go vet ./...

step "staticcheck"
GOBIN=${GOBIN:-$(go env GOPATH)/bin}
if ! "$GOBIN/staticcheck" -version 2>/dev/null | grep -q "(${STATICCHECK_VERSION#v})"; then
  go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
fi
"$GOBIN/staticcheck" ./...

step "protoc and plugins (for the generated-code test)"
scripts/proto.sh --install-only

step "redis-server (for the session store tests)"
if ! command -v redis-server >/dev/null; then
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  # The tests start their own redis-server processes on free ports (the
  # package also brings redis-cli, which the cluster tests use).
  $SUDO apt-get update && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server
fi
redis-server --version

step "go test -race"
go test -race -count=1 -timeout 15m ./...

step "tools/ratelimit (own module): generated config in the real envoyproxy/ratelimit"
# Builds the service at the pinned version on first run (about 1.5 min on
# two cores with a cold build cache) and runs it against redis-server.
(cd tools/ratelimit && go vet ./... && go test -race -count=1 ./...)

step "fuzz ($FUZZTIME per target)"
# Each target: package and name. go test -fuzz takes one target at a time.
for target in ./pkg/token:FuzzVerify ./pkg/rbac:FuzzParse; do
  pkg=${target%%:*} name=${target##*:}
  go test -run='^$' -fuzz="^${name}\$" -fuzztime="$FUZZTIME" "$pkg"
done

step "ok"
