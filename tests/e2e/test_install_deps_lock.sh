#!/usr/bin/env bash
# test_install_deps_lock.sh — scripts/install-deps.sh waits for another apt/dpkg (a fresh
# machine's own updates) instead of failing at once: every apt-get call it makes asks
# for DPkg::Lock::Timeout. Run against stand-ins for dpkg-query (one package missing),
# apt-get (records its arguments) and sudo, first on PATH; nothing is installed.
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
SRC=${NUCSEG_SRC:?}

mkdir -p "$T/bin"
cat > "$T/bin/dpkg-query" <<'SH'
#!/bin/sh
# Every package installed except cmake.
for a in "$@"; do last=$a; done
[ "$last" = cmake ] && exit 1
printf 'install ok installed'
SH
cat > "$T/bin/apt-get" <<SH
#!/bin/sh
echo "apt-get \$*" >> "$T/calls"
SH
cat > "$T/bin/sudo" <<'SH'
#!/bin/sh
exec "$@"
SH
chmod +x "$T/bin/"*
PATH="$T/bin:$PATH" bash "$SRC/scripts/install-deps.sh" > "$T/out" 2>&1 || { cat "$T/out"; fail "install-deps.sh failed"; }
[ -s "$T/calls" ] || fail "install-deps.sh did not call apt-get for the missing package"
grep -q "install .*cmake" "$T/calls" || { cat "$T/calls"; fail "cmake not installed"; }
while read -r line; do
  case "$line" in
    *"DPkg::Lock::Timeout="*) ;;
    *) fail "apt-get called without waiting for the lock: $line" ;;
  esac
done < "$T/calls"
echo "PASS test_install_deps_lock"
