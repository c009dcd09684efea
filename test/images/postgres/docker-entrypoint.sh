#!/usr/bin/env bash
# Entrypoint of the postgres stand-in (see README.md), doing what the official image's does with
# the same environment: POSTGRES_USER (default postgres), POSTGRES_PASSWORD, POSTGRES_DB (default
# the user's name), POSTGRES_INITDB_ARGS (these four also as <NAME>_FILE), POSTGRES_HOST_AUTH_METHOD
# (default scram-sha-256), PGDATA, PGPORT. On an empty data folder it runs initdb, then, on a server
# that listens only on its unix socket, creates POSTGRES_DB and runs /docker-entrypoint-initdb.d/
# (*.sh, *.sql, *.sql.gz, *.sql.xz) once. Then it runs the command, `postgres …` as user postgres.
set -Eeo pipefail

# Reads NAME, or the file NAME_FILE names, with a default.
file_env() {
  local var=$1 default=${2:-}
  local file_var="${var}_FILE"
  if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
    echo "error: both $var and $file_var are set (but are exclusive)" >&2
    exit 1
  fi
  local value=$default
  if [ -n "${!var:-}" ]; then
    value=${!var}
  elif [ -n "${!file_var:-}" ]; then
    value=$(<"${!file_var}")
  fi
  export "$var"="$value"
  unset "$file_var"
}

setup_env() {
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER postgres
  file_env POSTGRES_DB "$POSTGRES_USER"
  file_env POSTGRES_INITDB_ARGS
  : "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
  export POSTGRES_HOST_AUTH_METHOD
}

# psql on the initialising server's socket, in POSTGRES_DB unless given another --dbname,
# stopping at the first error.
process_sql() {
  PGHOST='' PGHOSTADDR='' psql --username "$POSTGRES_USER" --no-password --no-psqlrc -v ON_ERROR_STOP=1 \
    --dbname "$POSTGRES_DB" "$@"
}

init_database() {
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    cat >&2 <<'EOM'
error: the database is uninitialised and no superuser password is given.
       Set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) to a non-empty value, or
       POSTGRES_HOST_AUTH_METHOD=trust to allow every connection without one.
EOM
    exit 1
  fi

  # initdb refuses an empty password file, hence the newline.
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of options, split as the official image does
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") $POSTGRES_INITDB_ARGS

  # The socket where Debian's client (and the official image's server) puts it: this build of
  # PostgreSQL would use /tmp, and initdb writes that default in, commented out.
  if ! grep -q '^unix_socket_directories' "$PGDATA/postgresql.conf"; then
    echo "unix_socket_directories = '/var/run/postgresql'" >>"$PGDATA/postgresql.conf"
  fi

  # initdb trusts local and loopback connections; every other host must authenticate.
  printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"

  # A server for the initialisation only: no TCP listener, the container's settings.
  local server_args=("$@")
  if [ "${server_args[0]:-}" = postgres ]; then server_args=("${server_args[@]:1}"); fi
  server_args+=(-c listen_addresses= -p "${PGPORT:-5432}")
  PGUSER="${PGUSER:-$POSTGRES_USER}" pg_ctl -D "$PGDATA" -o "$(printf '%q ' "${server_args[@]}")" -w start

  export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
  local exists
  exists=$(process_sql --dbname postgres --set db="$POSTGRES_DB" --tuples-only --no-align \
    <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")
  if [ -z "$exists" ]; then
    process_sql --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
  fi

  local f
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh)
        if [ -x "$f" ]; then
          echo "$0: running $f"
          "$f"
        else
          echo "$0: sourcing $f"
          # shellcheck disable=SC1090
          . "$f"
        fi
        ;;
      *.sql) echo "$0: running $f"; process_sql -f "$f" ;;
      *.sql.gz) echo "$0: running $f"; gunzip -c "$f" | process_sql ;;
      *.sql.xz) echo "$0: running $f"; xzcat "$f" | process_sql ;;
      */\*) ;; # an empty folder
      *) echo "$0: ignoring $f" ;;
    esac
  done

  PGUSER="${PGUSER:-$POSTGRES_USER}" pg_ctl -D "$PGDATA" -m fast -w stop
  unset PGPASSWORD
  echo
  echo 'PostgreSQL init process complete; ready for start up.'
  echo
}

main() {
  # Options alone are options for postgres.
  if [ "${1:0:1}" = - ]; then set -- postgres "$@"; fi

  if [ "$1" = postgres ]; then
    : "${PGDATA:=/var/lib/postgresql/data}"
    export PGDATA
    if [ "$(id -u)" = 0 ]; then
      # A new volume, or one made by another user: give it to postgres, then run as postgres.
      mkdir -p "$PGDATA" /var/run/postgresql
      chmod 00700 "$PGDATA" || :
      chmod 03775 /var/run/postgresql || :
      find "$PGDATA" /var/run/postgresql \! -user postgres -exec chown postgres:postgres '{}' +
      HOME=/var/lib/postgresql exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
    fi

    setup_env
    if [ -s "$PGDATA/PG_VERSION" ]; then
      echo
      echo 'PostgreSQL Database directory appears to contain a database; Skipping initialization'
      echo
    else
      init_database "$@"
    fi
  fi

  exec "$@"
}

main "$@"
