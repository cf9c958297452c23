#!/usr/bin/env bash
# Install Debian's chromium for the browser tests: playwright drives /usr/bin/chromium and never
# downloads a browser of its own. Never fails the install: without root or apt-get it prints one
# line, and the browser tests skip with a reason.
set -u
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "note: /usr/bin/chromium missing and apt-get unusable here (needs root); browser tests will skip"
    exit 0
fi
log=$(mktemp -t chromium-install.XXXXXX.log)
echo "installing Debian chromium for the browser tests (apt-get, log in $log)"
export DEBIAN_FRONTEND=noninteractive
if apt-get update -q >"$log" 2>&1 && apt-get install -y -q chromium >>"$log" 2>&1 </dev/null; then
    rm -f "$log"
else
    echo "note: apt-get could not install chromium (see $log); browser tests will skip"
fi
exit 0
