#!/usr/bin/env bash
# System tools the test suite uses through real programs: GDAL's command-line tools
# GDAL's own GeoPackage validator (Debian's python3-gdal), headless Chromium for the
# map tests, and a CJK font so maps and PNGs show Chinese.
# Installs what is missing when it can (root with apt-get); otherwise says what to install.
set -euo pipefail
need=()
command -v ogrinfo >/dev/null 2>&1 || need+=(gdal-bin)
[ -f /usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py ] || need+=(python3-gdal)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || need+=(fonts-wqy-zenhei)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: ${need[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "Note: install ${need[*]} (Debian/Ubuntu) for the tests that call GDAL's own tools; they are skipped without it." >&2
fi
