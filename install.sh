#!/bin/sh
# Installs servebench: picks the release binary for this OS and CPU, downloads it with the
# release's SHA256SUMS, verifies its checksum and installs it as DIR/servebench.
#
#   curl -fsSL https://raw.githubusercontent.com/servebench/servebench/main/install.sh | sh
#   sh install.sh [DIR]          # default DIR: $SERVEBENCH_INSTALL_DIR, else ~/.local/bin
#
# Environment: SERVEBENCH_VERSION (a tag such as v0.1.0; default the latest release),
# SERVEBENCH_REPO (default servebench/servebench), SERVEBENCH_BASE_URL (where the release files
# are, overriding both: a mirror, or a local folder as file:///path), and SERVEBENCH_OS /
# SERVEBENCH_ARCH (instead of uname -s / uname -m).
set -eu

fail() {
  echo "install.sh: $*" >&2
  exit 1
}

# The release target of an OS and machine name (uname -s, uname -m), or nothing.
target_of() {
  case "$2" in
    x86_64 | amd64) cpu=x86_64 ;;
    aarch64 | arm64) cpu=aarch64 ;;
    *) return 0 ;;
  esac
  case "$1" in
    Linux) echo "$cpu-unknown-linux-gnu" ;;
    Darwin) echo "$cpu-apple-darwin" ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT) [ "$cpu" = x86_64 ] && echo "x86_64-pc-windows-msvc" ;;
  esac
  return 0
}

fetch() { # URL FILE
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --proto '=https,http,file' -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1"
  else
    fail "needs curl or wget to download $1"
  fi
}

sha256_of() { # FILE
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  else
    fail "needs sha256sum or shasum to verify the download"
  fi
}

os="${SERVEBENCH_OS:-$(uname -s)}"
arch="${SERVEBENCH_ARCH:-$(uname -m)}"
target="$(target_of "$os" "$arch")"
[ -n "$target" ] || fail "no servebench release for $os on $arch (there are linux and macOS x86_64/arm64, windows x86_64)"
asset="servebench-$target"
name=servebench
case "$target" in *windows*) asset="$asset.exe" name=servebench.exe ;; esac

repo="${SERVEBENCH_REPO:-servebench/servebench}"
version="${SERVEBENCH_VERSION:-latest}"
if [ -n "${SERVEBENCH_BASE_URL:-}" ]; then
  base="${SERVEBENCH_BASE_URL%/}"
elif [ "$version" = latest ]; then
  base="https://github.com/$repo/releases/latest/download"
else
  base="https://github.com/$repo/releases/download/$version"
fi
dir="${1:-${SERVEBENCH_INSTALL_DIR:-$HOME/.local/bin}}"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT INT TERM
echo "Downloading $asset from $base"
fetch "$base/$asset" "$tmp/$asset" || fail "cannot download $base/$asset"
fetch "$base/SHA256SUMS" "$tmp/SHA256SUMS" || fail "cannot download $base/SHA256SUMS"
expected="$(awk -v f="$asset" '$2 == f || $2 == "*" f { print $1 }' "$tmp/SHA256SUMS")"
[ -n "$expected" ] || fail "SHA256SUMS lists no checksum for $asset"
actual="$(sha256_of "$tmp/$asset")"
[ "$actual" = "$expected" ] || fail "checksum mismatch for $asset: expected $expected, got $actual (nothing installed)"

mkdir -p "$dir" || fail "cannot create $dir"
chmod 755 "$tmp/$asset"
mv "$tmp/$asset" "$dir/$name" || fail "cannot write $dir/$name"
echo "Installed $dir/$name (sha256 $actual)"
case ":$PATH:" in
  *":$dir:"*) ;;
  *) echo "Add $dir to your PATH to run servebench: export PATH=\"$dir:\$PATH\"" ;;
esac
