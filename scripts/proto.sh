#!/usr/bin/env bash
# Regenerates the Go code of every .proto under proto/ (make proto). Installs
# what it needs when missing: protoc from Debian's protobuf-compiler and the
# two Go plugins at the versions pinned below. The staleness test
# (proto/marty/authz/v1/generate_test.go) runs this script too, so the pins
# live only here.
#
#   scripts/proto.sh                  # install what is missing, regenerate in place
#   scripts/proto.sh --install-only   # install what is missing, generate nothing
#   PROTO_OUT=DIR scripts/proto.sh    # write the generated files under DIR instead
#   PROTO_NO_APT=1 scripts/proto.sh   # never run apt-get: fail if protoc is missing
set -euo pipefail
cd "$(dirname "$0")/.."

# protoc-gen-go comes from google.golang.org/protobuf: keep it at go.mod's version.
PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.5.1
MODULE=github.com/martyedge/security

GOBIN=${GOBIN:-$(go env GOPATH)/bin}

if ! command -v protoc >/dev/null 2>&1; then
  if [ "${PROTO_NO_APT:-}" = 1 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "protoc not found: run scripts/proto.sh (as root on Debian it installs protobuf-compiler)" >&2
    exit 1
  fi
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler >/dev/null
fi

# install_plugin NAME PACKAGE VERSION: go install unless GOBIN already has
# that exact version (protoc-gen-go prints "v1.36.12", -grpc "1.5.1").
install_plugin() {
  local name=$1 pkg=$2 version=$3
  if ! "$GOBIN/$name" --version 2>/dev/null | grep -Eq "[ v]${version#v}\$"; then
    GOBIN="$GOBIN" go install "$pkg@$version"
  fi
}
install_plugin protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go "$PROTOC_GEN_GO_VERSION"
install_plugin protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc "$PROTOC_GEN_GO_GRPC_VERSION"

if [ "${1:-}" = --install-only ]; then
  exit 0
fi

out=${PROTO_OUT:-.}
mkdir -p "$out"
mapfile -t protos < <(cd proto && find . -name '*.proto' | sed 's|^\./||' | LC_ALL=C sort)
protoc -I proto \
  --plugin=protoc-gen-go="$GOBIN/protoc-gen-go" \
  --plugin=protoc-gen-go-grpc="$GOBIN/protoc-gen-go-grpc" \
  --go_out="$out" --go_opt=module="$MODULE" \
  --go-grpc_out="$out" --go-grpc_opt=module="$MODULE" \
  "${protos[@]}"
