# shellcheck shell=bash
# log.sh — progress and errors on stderr, for the scripts in scripts/ that source it:
#
#   LOG_NAME=postgres.sh
#   source "$(dirname -- "${BASH_SOURCE[0]}")/lib/log.sh"
#
# log MESSAGE...  prints "LOG_NAME: MESSAGE" on stderr.
# die MESSAGE...  prints "LOG_NAME: error: MESSAGE" on stderr and exits 1.
# stdout stays free for the one result a script prints.

log() { printf '%s: %s\n' "$LOG_NAME" "$*" >&2; }
die() {
	printf '%s: error: %s\n' "$LOG_NAME" "$*" >&2
	exit 1
}
