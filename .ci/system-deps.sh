#!/usr/bin/env bash
# System packages geoplan's commands and tests use through real programs.
#
#   .ci/system-deps.sh demo   a CJK font, so the PNG maps show Chinese
#   .ci/system-deps.sh test   the font, GDAL's command-line tools and GeoPackage
#                             validator (Debian's python3-gdal), headless Chromium,
#                             PostgreSQL with PostGIS (the tests start their own
#                             throwaway server)
#
# Installs what is missing when it can (root with apt-get), waiting for another
# apt or dpkg process to let go of its lock; otherwise says what to install.
set -euo pipefail
what=${1:-test}
need=()
fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || need+=(fonts-wqy-zenhei)
if [ "$what" = test ]; then
  command -v ogrinfo >/dev/null 2>&1 || need+=(gdal-bin)
  [ -f /usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py ] || need+=(python3-gdal)
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || need+=(postgresql-postgis)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Note: install ${need[*]} (Debian/Ubuntu): without them the PNG maps fall back to English and the tests that call GDAL's tools or Chromium are skipped." >&2
  exit 0
fi

# `apt-get install` waits for the dpkg lock itself (DPkg::Lock::Timeout);
# `apt-get update` does not wait for the lists lock, so it is retried.
WAIT_S=${APT_LOCK_WAIT_S:-600}
update() {
  local waited=0 out
  while ! out=$(apt-get update -qq 2>&1); do
    if ! grep -qi "lock" <<<"$out" || [ "$waited" -ge "$WAIT_S" ]; then
      echo "$out" >&2
      return 1
    fi
    [ "$waited" -eq 0 ] && echo "Waiting for another apt process to finish (up to ${WAIT_S} s)…" >&2
    sleep 5
    waited=$((waited + 5))
  done
}
echo "Installing system packages: ${need[*]}"
update
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$WAIT_S" \
  install -y -qq --no-install-recommends "${need[@]}" >/dev/null
