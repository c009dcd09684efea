#!/usr/bin/env bash
# Builds Docker Compose (the `docker compose` CLI plugin) from its Go module, once, and prints the
# path of the binary. Debian 12 packages no Compose v2; its Go module builds it where the Go module
# proxy answers. The build is cached.
set -euo pipefail
module=github.com/docker/compose/v5
version=v5.6.0
dir="${XDG_CACHE_HOME:-$HOME/.cache}/pizza-lab/compose-$version"
if [ -x "$dir/docker-compose" ]; then
  echo "$dir/docker-compose"
  exit 0
fi
command -v go >/dev/null 2>&1 || { echo "Go is needed to build Docker Compose $version (https://go.dev/dl/)" >&2; exit 1; }
# `go install` refuses a module whose go.mod has exclude directives; `go build` inside it does not.
src=$(cd "$(mktemp -d)" && GOFLAGS=-mod=mod go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$src" ] || { echo "could not download $module@$version from the Go module proxy" >&2; exit 1; }
mkdir -p "$dir.partial"
(cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X $module/internal.Version=$version" -o "$dir.partial/docker-compose" ./cmd) >&2
rm -rf "$dir"
mv "$dir.partial" "$dir"
echo "$dir/docker-compose"
