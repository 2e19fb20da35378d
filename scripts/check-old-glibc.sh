#!/usr/bin/env bash
# Loads the linux-x64 prebuilt binary for real on an older glibc than this machine's: Debian bullseye's glibc
# 2.31 and libstdc++ (GCC 10, GLIBCXX_3.4.28), the oldest Debian release still in the archive, fetched with
# apt-get download into .old-glibc/ (nothing is installed on the system). Node.js 18's official binary then runs
# test/compat/core-checks.mjs under bullseye's dynamic loader. A negative control, a small library built here
# the plain way (it starts a thread, so it binds pthread_create@GLIBC_2.34 as tdfast did before
# native/compat/), must fail to load there: that shows the check can fail.
# The binary's version needs are checked against glibc 2.28 itself by test/glibc.test.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="$PWD/.old-glibc"
mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/root"
echo "deb http://deb.debian.org/debian bullseye main" > "$dir/sources.list"
apt_options=(-o "Dir::Etc::SourceList=$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" -o APT::Sandbox::User=root)
if [ ! -e "$dir/root/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" ]; then
  apt-get "${apt_options[@]}" update -qq
  for package in libc6 libstdc++6 libgcc-s1; do
    version=$(apt-cache "${apt_options[@]}" madison "$package" | awk -F'|' '/bullseye/ { gsub(/ /, "", $2); print $2; exit }')
    (cd "$dir" && apt-get "${apt_options[@]}" download -qq "$package=$version")
  done
  for deb in "$dir"/*.deb; do dpkg-deb -x "$deb" "$dir/root"; done
fi
loader="$dir/root/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
libs="$dir/root/lib/x86_64-linux-gnu:$dir/root/usr/lib/x86_64-linux-gnu"
node18=$(node scripts/node-binaries.cjs 18.20.8 x64)
old() { "$loader" --library-path "$libs" "$node18" "$@"; }

echo "old glibc: $(old -p 'process.report.getReport().header.glibcVersionRuntime') (Node $(old -p process.version))"

# The negative control.
control="$dir/control.node"
printf '%s\n' '#include <pthread.h>' 'static void* run(void*) { return nullptr; }' \
  'extern "C" int control() { pthread_t t; pthread_create(&t, nullptr, run, nullptr); return pthread_join(t, nullptr); }' > "$dir/control.cc"
g++ -shared -fPIC -o "$control" "$dir/control.cc"
if old -e "process.dlopen({ exports: {} }, '$control')" 2> "$dir/control.err"; then
  echo "FAIL: the negative control loaded on the old glibc, so this check proves nothing"
  exit 1
fi
echo "negative control refused as expected: $(grep -o "version .GLIBC[^ ]* not found" "$dir/control.err" | head -1)"

TDFAST_ADDON=prebuilds/linux-x64/tdfast.node old test/compat/core-checks.mjs
