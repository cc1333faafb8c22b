#!/usr/bin/env bash
# Install Debian's GDAL command-line tools (gdal-bin: ogrinfo, ogr2ogr) when missing: the tests read
# exported GeoPackages and the OGC API with the GDAL a QGIS user on Debian has (3.6), apart from
# pyogrio's bundled, newer GDAL.
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v ogrinfo >/dev/null 2>&1; then
  echo "ensure-gdal: installing gdal-bin" >&2
  as_root apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get -o DPkg::Lock::Timeout=600 install -y -qq gdal-bin >/dev/null
fi
ogrinfo --version
