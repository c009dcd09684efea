#!/bin/sh
# As in the official node image: a first argument that is an option, or no command on PATH, or a
# plain (not executable) file, is given to node.
set -e
if [ "${1#-}" != "$1" ] || [ -z "$(command -v "$1" || true)" ] || { [ -f "$1" ] && ! [ -x "$1" ]; }; then
  set -- node "$@"
fi
exec "$@"
