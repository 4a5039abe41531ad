#!/bin/sh
# Installs Debian's chromium when /usr/bin/chromium is missing (the HTML report's browser test drives it
# through playwright-core; no browser is ever downloaded by a package). Needs root and apt-get.
set -eu
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: /usr/bin/chromium is missing and apt-get is not available; the browser test will skip" >&2
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
/usr/bin/chromium --version
