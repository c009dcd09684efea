#!/usr/bin/env bash
# Builds Toxiproxy 2.12.0 (the fault proxy the compose runtime runs, and the peer the built-in
# fault proxy is compared with) from its Go module, once, and prints the folder holding
# toxiproxy-server and toxiproxy-cli. Needs Go and the Go module proxy; the build is cached.
set -euo pipefail
version=2.12.0
dir="${XDG_CACHE_HOME:-$HOME/.cache}/pizza-lab/toxiproxy-$version"
if [ -x "$dir/toxiproxy-server" ] && [ -x "$dir/toxiproxy-cli" ]; then
  echo "$dir"
  exit 0
fi
command -v go >/dev/null 2>&1 || { echo "Go is needed to build Toxiproxy $version (https://go.dev/dl/)" >&2; exit 1; }
module=github.com/Shopify/toxiproxy/v2
src=$(cd "$(mktemp -d)" && GOFLAGS=-mod=mod go mod download -json "$module@v$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$src" ] || { echo "could not download $module@v$version from the Go module proxy" >&2; exit 1; }
mkdir -p "$dir.partial"
(
  cd "$src"
  flags="-s -w -X github.com/Shopify/toxiproxy/v2.Version=$version"
  CGO_ENABLED=0 go build -trimpath -ldflags "$flags" -o "$dir.partial/toxiproxy-server" ./cmd/server
  CGO_ENABLED=0 go build -trimpath -ldflags "$flags" -o "$dir.partial/toxiproxy-cli" ./cmd/cli
) >&2
rm -rf "$dir"
mv "$dir.partial" "$dir"
echo "$dir"
