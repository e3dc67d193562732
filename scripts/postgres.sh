#!/usr/bin/env bash
# postgres.sh — a throwaway PostgreSQL cluster for Pulumi's postgres:// state backend (tests, bench, by hand).
#
#   scripts/postgres.sh start    # prints the backend URL on stdout (also written to $DIR/url)
#   scripts/postgres.sh url      # prints the URL of the running cluster
#   scripts/postgres.sh status   # exit 0 when it runs
#   scripts/postgres.sh stop     # stops it and removes $DIR
#
#   export PULUMI_BACKEND_URL="$(scripts/postgres.sh start)"
#
# The cluster lives in $TP_POSTGRES_DIR (default /tmp/pulumi-travelperk-postgres-$UID), owned by the
# `postgres` user (PostgreSQL refuses to run as root; as a non-root user it runs as that user). It
# listens on 127.0.0.1 only, port $TP_POSTGRES_PORT (default: a free port), its Unix socket in $DIR.
# TCP connections authenticate with a password (scram-sha-256); the socket only by peer identity.
# One role and one database: role `travelperk`, database `pulumi_state`, and a fresh random password
# that needs URL-escaping (it holds @ / % :), so every URL-escaping mistake shows at once.
# `start` on a running cluster prints its URL again. Progress and errors go to stderr.
set -euo pipefail
LOG_NAME=postgres.sh
# shellcheck source=lib/log.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib/log.sh"

readonly PG_BIN="${TP_POSTGRES_BIN:-/usr/lib/postgresql/15/bin}"
readonly DIR="${TP_POSTGRES_DIR:-${TMPDIR:-/tmp}/pulumi-travelperk-postgres-$(id -u)}"
readonly ROLE="travelperk"
readonly DATABASE="pulumi_state"

# As the cluster's owner: `postgres` when we are root, else ourselves.
if [ "$(id -u)" -eq 0 ]; then
	OWNER=postgres
	as_owner() { runuser -u postgres -- "$@"; }
else
	OWNER="$(id -un)"
	as_owner() { "$@"; }
fi

# RFC 3986 percent-encoding of a URL's userinfo part: everything but unreserved characters.
urlencode() {
	local s="$1" out="" c i
	for ((i = 0; i < ${#s}; i++)); do
		c="${s:i:1}"
		case "$c" in
		[a-zA-Z0-9.~_-]) out+="$c" ;;
		*) out+="$(printf '%%%02X' "'$c")" ;;
		esac
	done
	printf '%s' "$out"
}

free_port() {
	node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# Ours: empty, or a cluster this script made. Anything else in $DIR is not ours to remove.
ours() { [ ! -e "$DIR" ] || [ -z "$(ls -A "$DIR")" ] || [ -f "$DIR/data/PG_VERSION" ] || [ -f "$DIR/initdb.log" ]; }

running() { [ -f "$DIR/data/postmaster.pid" ] && as_owner "$PG_BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; }

print_url() {
	[ -s "$DIR/url" ] || die "no URL in $DIR/url: the cluster was not started by this script"
	cat "$DIR/url"
}

start() {
	[ -x "$PG_BIN/initdb" ] || die "PostgreSQL not found in $PG_BIN (set TP_POSTGRES_BIN)"
	if running; then
		log "already running in $DIR"
		print_url
		return
	fi
	local port="${TP_POSTGRES_PORT:-$(free_port)}"
	local password
	password="tp@$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')/%:x"
	ours || die "$DIR holds files that are not a cluster of this script: choose another TP_POSTGRES_DIR"
	rm -rf "$DIR"
	mkdir -p "$DIR"
	chmod 700 "$DIR"
	[ "$OWNER" = "$(id -un)" ] || chown "$OWNER" "$DIR"
	as_owner test -w "$DIR" || die "the $OWNER user cannot reach $DIR (a parent directory is private): choose another TP_POSTGRES_DIR"

	log "initdb in $DIR/data"
	local pwfile="$DIR/superuser-password"
	as_owner sh -c "od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > '$pwfile'"
	as_owner "$PG_BIN/initdb" -D "$DIR/data" --username=postgres --pwfile="$pwfile" \
		--auth-local=peer --auth-host=scram-sha-256 --encoding=UTF8 --no-instructions >"$DIR/initdb.log" 2>&1 ||
		die "initdb failed: $(cat "$DIR/initdb.log")"
	rm -f "$pwfile"

	log "starting on 127.0.0.1:$port"
	as_owner "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
		-o "-k $DIR -p $port -c listen_addresses=127.0.0.1 -c password_encryption=scram-sha-256" start >&2 ||
		die "pg_ctl start failed: $(tail -n 20 "$DIR/server.log" 2>/dev/null)"

	# The password goes in through a psql variable (:'password' quotes it), never into a command line.
	as_owner "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$port" -U postgres -d postgres \
		-v password="$password" >&2 <<SQL
CREATE ROLE $ROLE LOGIN PASSWORD :'password';
CREATE DATABASE $DATABASE OWNER $ROLE;
SQL
	local url="postgres://$ROLE:$(urlencode "$password")@127.0.0.1:$port/$DATABASE?sslmode=disable"
	(
		umask 077
		printf '%s\n' "$url" >"$DIR/url"
	)
	printf '%s\n' "$port" >"$DIR/port"
	# The password over TCP works (scram): what Pulumi's backend does next.
	PGPASSWORD="$password" "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$port" -U "$ROLE" -d "$DATABASE" -c 'SELECT 1' >/dev/null ||
		die "the role cannot sign in over TCP with its password"
	log "ready: database $DATABASE, role $ROLE (password authentication on TCP)"
	print_url
}

stop() {
	if running; then
		as_owner "$PG_BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >&2
	else
		log "not running"
	fi
	if ours; then rm -rf "$DIR"; else log "left $DIR alone: not a cluster of this script"; fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
url)
	running || die "not running (scripts/postgres.sh start)"
	print_url
	;;
status)
	if running; then
		log "running in $DIR"
	else
		log "not running"
		exit 1
	fi
	;;
*)
	echo "usage: $0 start|stop|url|status" >&2
	exit 2
	;;
esac
