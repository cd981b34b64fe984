#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (Playwright cannot download browsers here).
# Install it when missing and we may (root with apt); otherwise say how.
set -u
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  (apt-get update -qq && apt-get install -y -qq chromium chromium-driver fonts-dejavu-core >/dev/null) \
    || echo "could not install chromium; the browser tests will fail" >&2
else
  echo "chromium is missing: run 'sudo apt-get install chromium' for the browser tests" >&2
fi
exit 0
