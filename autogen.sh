#!/bin/sh
# Regenerate the build system; the generated files are never committed.
set -e
cd "$(dirname "$0")"
exec autoreconf -fi
