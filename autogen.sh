#!/bin/sh
# autogen.sh - regenerate the autotools build files (configure, Makefile.in).
set -e
cd "$(dirname "$0")"
mkdir -p m4 build-aux
# The TAP test driver ships with automake; copy it in for `make check`.
cp -f "$(automake --print-libdir)/tap-driver.sh" build-aux/tap-driver.sh
autoreconf --force --install >/dev/null 2>&1 || autoreconf --force --install --verbose
echo "autogen: done; now run ./configure && make"
