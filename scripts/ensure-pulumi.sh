#!/usr/bin/env bash
# ensure-pulumi.sh — make the real `pulumi` CLI available for this repository.
#
# Prints exactly one line on stdout: the absolute path of a directory <root>
# such that <root>/bin/pulumi is the Pulumi CLI. That is the layout expected by
# the Automation API: `PulumiCommand.get({ root })` runs `<root>/bin/pulumi`
# (see node_modules/@pulumi/pulumi/automation/cmd.js). All progress and errors
# go to stderr.
#
# Resolution order:
#   1. $PULUMI_CLI_ROOT, if $PULUMI_CLI_ROOT/bin/pulumi exists.
#   2. A `pulumi` on PATH whose major.minor is not older than the target's.
#   3. A CLI built from the Go module github.com/pulumi/pulumi/pkg/v3 (no binary
#      downloads needed, only the Go module proxy), cached under
#        ${PULUMI_TRAVELPERK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-travelperk}/pulumi-cli/v<ver>
#      The target <ver> is the newest release served by the Go proxy that is not
#      newer than the installed @pulumi/pulumi npm package. If a valid cached
#      build for a version <= the npm package exists, the newest one is reused
#      without consulting the proxy.
#
# Besides bin/pulumi, a built root gets bin/pulumi-resource-pulumi-nodejs (the
# dynamic-provider plugin shim the official CLI distribution bundles next to
# the binary; without it `pulumi up` on a dynamic resource tries to download
# the plugin and fails offline). Like the official one, the shim resolves
# @pulumi/pulumi from the plugin's working directory (the Pulumi project dir).
# The Go-built CLI has no language hosts (pulumi-language-nodejs, ...), so
# use Automation API *inline* programs, which do not need one.
#
# Nothing is written inside the repository. Go's own module and build caches
# are used at their default locations.
set -euo pipefail
LOG_NAME=ensure-pulumi
# shellcheck source=lib/log.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib/log.sh"

readonly PKG_MODULE="github.com/pulumi/pulumi/pkg/v3"
readonly SDK_MODULE="github.com/pulumi/pulumi/sdk/v3"
readonly CLI_PACKAGE="github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
readonly VERSION_VAR="github.com/pulumi/pulumi/sdk/v3/go/common/version.Version"

# ---------------------------------------------------------------------------
# Version helpers (plain X.Y.Z release versions, no leading "v").

is_release() { [[ $1 =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; }

# ver_le A B: true if A <= B.
ver_le() { [[ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" == "$1" ]]; }

# ver_lt A B: true if A < B.
ver_lt() { [[ $1 != "$2" ]] && ver_le "$1" "$2"; }

# majmin_ge A B: true if major.minor of A >= major.minor of B.
majmin_ge() {
	local a_maj a_min b_maj b_min rest
	IFS=. read -r a_maj a_min rest <<<"$1"
	IFS=. read -r b_maj b_min rest <<<"$2"
	((a_maj > b_maj || (a_maj == b_maj && a_min >= b_min)))
}

# Extract the first X.Y.Z from a string (e.g. `pulumi version` output).
extract_version() {
	local re='([0-9]+\.[0-9]+\.[0-9]+)'
	[[ $1 =~ $re ]] && printf '%s\n' "${BASH_REMATCH[1]}"
}

# within_bound V: true if V is allowed by the npm package version
# (V <= npm version; strictly below the base version if npm is a pre-release).
within_bound() {
	if [[ $NPM_IS_RELEASE == 1 ]]; then
		ver_le "$1" "$NPM_BASE"
	else
		ver_lt "$1" "$NPM_BASE"
	fi
}

# cli_version BIN: print the X.Y.Z reported by `BIN version` (fails if none).
cli_version() {
	local out
	out=$(PULUMI_SKIP_UPDATE_CHECK=true timeout 60 "$1" version 2>/dev/null) || return 1
	extract_version "$out"
}

abs_dir() { (cd -- "$1" && pwd -P); }

# The official CLI distribution ships `pulumi-resource-pulumi-nodejs` next to
# the `pulumi` binary: the engine looks for this "bundled" plugin there (or on
# PATH) to run dynamic providers, and otherwise tries to download it, which
# fails offline. A Go-built CLI lacks it, so install the same shim (copied
# from the npm package, which carries the identical script).
readonly NODEJS_PROVIDER_SHIM=pulumi-resource-pulumi-nodejs

# ensure_shim BIN_DIR: install the shim into BIN_DIR if missing (atomically).
ensure_shim() {
	local bin_dir=$1 src shim_tmp
	[[ -x $bin_dir/$NODEJS_PROVIDER_SHIM ]] && return 0
	src="$REPO_ROOT/node_modules/@pulumi/pulumi/$NODEJS_PROVIDER_SHIM"
	shim_tmp=$(mktemp "$bin_dir/.$NODEJS_PROVIDER_SHIM.XXXXXX")
	if [[ -f $src ]]; then
		cat -- "$src" >"$shim_tmp"
	else
		cat >"$shim_tmp" <<'SHIM'
#!/bin/sh
PULUMI_DYNAMIC_PROVIDER_SCRIPT_PATH=$(node -e "console.log(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))")
if [ ! -z "$PULUMI_DYNAMIC_PROVIDER_SCRIPT_PATH" ]; then
    node "$PULUMI_DYNAMIC_PROVIDER_SCRIPT_PATH" $@
fi
SHIM
	fi
	chmod 0755 "$shim_tmp"
	mv -f -- "$shim_tmp" "$bin_dir/$NODEJS_PROVIDER_SHIM"
	log "installed $bin_dir/$NODEJS_PROVIDER_SHIM"
}

# ---------------------------------------------------------------------------
# 1. Explicit override.

if [[ -n ${PULUMI_CLI_ROOT:-} ]]; then
	if [[ -x $PULUMI_CLI_ROOT/bin/pulumi ]]; then
		root=$(abs_dir "$PULUMI_CLI_ROOT")
		log "using PULUMI_CLI_ROOT=$root"
		printf '%s\n' "$root"
		exit 0
	fi
	log "warning: PULUMI_CLI_ROOT=$PULUMI_CLI_ROOT has no executable bin/pulumi; ignoring it"
fi

# ---------------------------------------------------------------------------
# Locate the repository and the installed @pulumi/pulumi npm package.

SCRIPT_DIR=$(abs_dir "$(dirname -- "${BASH_SOURCE[0]}")")
REPO_ROOT=$(abs_dir "$SCRIPT_DIR/..")
NPM_PKG_JSON="$REPO_ROOT/node_modules/@pulumi/pulumi/package.json"

[[ -f $NPM_PKG_JSON ]] ||
	die "$NPM_PKG_JSON not found; run 'npm install' in $REPO_ROOT first"

npm_version=""
if command -v node >/dev/null 2>&1; then
	npm_version=$(node -p 'require(process.argv[1]).version' "$NPM_PKG_JSON" 2>/dev/null || true)
fi
if [[ -z $npm_version ]]; then
	npm_version=$(sed -n 's/^[[:space:]]*"version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$NPM_PKG_JSON" | head -n1)
fi
npm_version=${npm_version#v}
[[ $npm_version =~ ^([0-9]+\.[0-9]+\.[0-9]+)(-.*)?$ ]] ||
	die "cannot parse the @pulumi/pulumi version '$npm_version' from $NPM_PKG_JSON"
NPM_BASE=${BASH_REMATCH[1]}
if [[ -z ${BASH_REMATCH[2]} ]]; then NPM_IS_RELEASE=1; else NPM_IS_RELEASE=0; fi
log "@pulumi/pulumi npm package is v$npm_version"

CACHE_BASE=${PULUMI_TRAVELPERK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-travelperk}
CLI_CACHE="$CACHE_BASE/pulumi-cli"

# ---------------------------------------------------------------------------
# 2. A pulumi already on PATH.

path_pulumi=""
path_version=""
if path_pulumi=$(command -v pulumi 2>/dev/null) && [[ -n $path_pulumi && -x $path_pulumi ]]; then
	path_version=$(cli_version "$path_pulumi" || true)
	if [[ -z $path_version ]]; then
		log "ignoring $path_pulumi on PATH: 'pulumi version' did not report a version"
		path_pulumi=""
	fi
else
	path_pulumi=""
fi

# use_path_pulumi: print a root for the pulumi found on PATH and exit.
use_path_pulumi() {
	local bin_dir root link_root id
	bin_dir=$(abs_dir "$(dirname -- "$path_pulumi")")
	if [[ $(basename -- "$bin_dir") == bin ]]; then
		root=$(abs_dir "$bin_dir/..")
	else
		# Not in a <x>/bin/ layout: expose it through a symlink in the cache.
		id=$(printf '%s' "$bin_dir/pulumi" | cksum | cut -d' ' -f1)
		link_root="$CLI_CACHE/path-$id"
		mkdir -p "$link_root/bin"
		ln -sfn "$bin_dir/pulumi" "$link_root/bin/pulumi"
		root=$(abs_dir "$link_root")
	fi
	log "using pulumi v$path_version from PATH ($path_pulumi)"
	printf '%s\n' "$root"
	exit 0
}

# Fast accept: the PATH CLI is at least as new as the npm package's minor line,
# and the target is never newer than that, so no need to resolve the target.
if [[ -n $path_pulumi ]] && majmin_ge "$path_version" "$NPM_BASE"; then
	use_path_pulumi
fi

# ---------------------------------------------------------------------------
# 3a. Warm path: newest valid cached build not newer than the npm package.

# cached_ok VER: true if $CLI_CACHE/vVER/bin/pulumi reports vVER.
cached_ok() {
	local bin="$CLI_CACHE/v$1/bin/pulumi" got
	[[ -x $bin ]] || return 1
	got=$(cli_version "$bin") || return 1
	[[ $got == "$1" ]]
}

emit_cached() {
	local root
	root=$(abs_dir "$CLI_CACHE/v$1")
	ensure_shim "$root/bin"
	log "using cached pulumi v$1 ($root/bin/pulumi)"
	printf '%s\n' "$root"
	exit 0
}

if [[ -d $CLI_CACHE ]]; then
	cached_versions=$(
		for d in "$CLI_CACHE"/v*/; do
			[[ -d $d ]] || continue
			v=$(basename -- "$d")
			v=${v#v}
			if is_release "$v" && within_bound "$v"; then printf '%s\n' "$v"; fi
		done | sort -V -r
	)
	for v in $cached_versions; do
		if cached_ok "$v"; then
			if [[ -n $path_pulumi ]] && majmin_ge "$path_version" "$v"; then
				use_path_pulumi
			fi
			emit_cached "$v"
		fi
		log "ignoring invalid cached build $CLI_CACHE/v$v"
	done
fi

# ---------------------------------------------------------------------------
# 3b. Resolve the target version from the Go module proxy.

command -v go >/dev/null 2>&1 ||
	die "no cached pulumi CLI and no 'go' toolchain on PATH to build one (install Go, or set PULUMI_CLI_ROOT)"
command -v flock >/dev/null 2>&1 || die "'flock' (util-linux) is required"

# Run go outside of any module/workspace the caller might be in.
go_outside() { (cd / && GOWORK=off GO111MODULE=on go "$@"); }

log "querying the Go module proxy for $PKG_MODULE versions"
served=$(go_outside list -m -versions "$PKG_MODULE") ||
	die "'go list -m -versions $PKG_MODULE' failed (is the Go module proxy reachable?)"
target=""
for v in $served; do
	v=${v#v}
	[[ $v == "$PKG_MODULE" ]] && continue
	if is_release "$v" && within_bound "$v"; then
		if [[ -z $target ]] || ver_lt "$target" "$v"; then target=$v; fi
	fi
done
[[ -n $target ]] ||
	die "the Go module proxy serves no release of $PKG_MODULE <= v$npm_version"
log "target pulumi version: v$target (newest served release <= v$npm_version)"

if [[ -n $path_pulumi ]]; then
	if majmin_ge "$path_version" "$target"; then
		use_path_pulumi
	fi
	log "ignoring pulumi v$path_version on PATH ($path_pulumi): older than v${target%.*}.x"
fi

# ---------------------------------------------------------------------------
# 3c. Build (under a lock), then move into place atomically.

mkdir -p "$CLI_CACHE"
CLI_CACHE=$(abs_dir "$CLI_CACHE")
dest="$CLI_CACHE/v$target"
lock_file="$CLI_CACHE/.v$target.lock"

exec 9>"$lock_file"
if ! flock -n 9; then
	log "another process is building pulumi v$target; waiting for its lock ($lock_file)"
	flock 9
fi

# Someone else may have finished the build while we waited.
if cached_ok "$target"; then
	emit_cached "$target"
fi

# We hold the lock: leftovers from killed builds of this version can go.
rm -rf "$CLI_CACHE/.tmp-v$target".* 2>/dev/null || true

tmp=$(mktemp -d "$CLI_CACHE/.tmp-v$target.XXXXXX")
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

work="$tmp/mod"
stage="$tmp/root"
build_log="$tmp/build.log"
mkdir -p "$work" "$stage/bin"

# run_go ARGS...: run go with its (very chatty) output in $build_log; on
# failure show the tail of that log.
run_go() {
	if ! go "$@" >>"$build_log" 2>&1; then
		tail -n 60 "$build_log" >&2 || true
		die "'go $*' failed (output above)"
	fi
}

log "building pulumi v$target from $CLI_PACKAGE (this takes several minutes on a cold Go cache)"
start_ts=$SECONDS

# Go environment for the build: module mode, no enclosing workspace, static
# binary (like the official release builds).
export GOWORK=off GO111MODULE=on CGO_ENABLED=0

cd "$work"
run_go mod init pulumi-cli-build

# Copy pkg/v3's non-local replace directives (e.g. the atotto/clipboard fork):
# replaces only apply in the main module, so the wrapper module needs them too.
log "downloading $PKG_MODULE@v$target"
if ! dl_json=$(go mod download -json "$PKG_MODULE@v$target" 2>>"$build_log"); then
	printf '%s\n' "$dl_json" >&2
	tail -n 20 "$build_log" >&2 || true
	die "'go mod download $PKG_MODULE@v$target' failed"
fi
gomod_file=$(printf '%s\n' "$dl_json" | sed -n 's/^[[:space:]]*"GoMod":[[:space:]]*"\(.*\)",\{0,1\}[[:space:]]*$/\1/p')
[[ -n $gomod_file && -f $gomod_file ]] ||
	die "no go.mod path in 'go mod download -json $PKG_MODULE@v$target' output"

replace_specs=$(awk '
	function emit(line,   n, t, i, arrow, left, right) {
		sub(/\/\/.*/, "", line)
		n = split(line, t, /[ \t]+/)
		arrow = 0; left = ""; right = ""
		for (i = 1; i <= n; i++) {
			if (t[i] == "") continue
			if (t[i] == "=>") { arrow = 1; continue }
			if (!arrow) left = (left == "" ? t[i] : left "@" t[i])
			else right = (right == "" ? t[i] : right "@" t[i])
		}
		if (!arrow || left == "" || right == "") return
		# Skip local-path targets (./, ../, absolute) and targets without a version.
		if (right ~ /^(\.\.?\/|\/)/ || right !~ /@/) return
		print left "=" right
	}
	/^[ \t]*replace[ \t]*\([ \t]*(\/\/.*)?$/ { inblock = 1; next }
	inblock && /^[ \t]*\)/ { inblock = 0; next }
	inblock { emit($0); next }
	/^[ \t]*replace[ \t]/ { line = $0; sub(/^[ \t]*replace[ \t]+/, "", line); emit(line) }
' "$gomod_file")

for spec in $replace_specs; do
	log "replace $spec"
	run_go mod edit -replace="$spec"
done

# Require the CLI package (not just the module) so go.sum gets every checksum
# needed to build it; pin the SDK to the same version.
log "resolving dependencies (go get)"
run_go get "$CLI_PACKAGE@v$target" "$SDK_MODULE@v$target"

log "compiling (go build)"
run_go build -trimpath \
	-ldflags "-s -w -X $VERSION_VAR=v$target" \
	-o "$stage/bin/pulumi" "$CLI_PACKAGE"

built_version=$(cli_version "$stage/bin/pulumi") ||
	die "the freshly built pulumi does not run ('pulumi version' failed)"
[[ $built_version == "$target" ]] ||
	die "the freshly built pulumi reports v$built_version, expected v$target"

ensure_shim "$stage/bin"

cd /
# A previous invalid build (if any) is replaced; the rename itself is atomic.
if [[ -e $dest ]]; then
	rm -rf "$dest"
fi
mv -T "$stage" "$dest"

log "built pulumi v$target in $((SECONDS - start_ts))s -> $dest/bin/pulumi"
printf '%s\n' "$dest"
