#!/usr/bin/env bash
# Refresh static/vendor/ from the npm registry, pinned by package-lock.json (run by `make vendor`).
# The copies are committed, so neither the portal nor the tests need npm or a CDN.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
rm -rf static/vendor && mkdir -p static/vendor/jquery static/vendor/leaflet static/vendor/leaflet.markercluster static/vendor/design-tokens
cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/dist/images \
      node_modules/leaflet/LICENSE static/vendor/leaflet/
cp node_modules/leaflet.markercluster/dist/leaflet.markercluster.js node_modules/leaflet.markercluster/dist/MarkerCluster.css \
   node_modules/leaflet.markercluster/dist/MarkerCluster.Default.css node_modules/leaflet.markercluster/MIT-LICENCE.txt \
   static/vendor/leaflet.markercluster/
cp node_modules/jquery/dist/jquery.min.js node_modules/jquery/LICENSE.txt static/vendor/jquery/
mkdir -p static/vendor/jsqr && cp node_modules/jsqr/dist/jsQR.js node_modules/jsqr/LICENSE static/vendor/jsqr/  # QR scanning at check-in
cp node_modules/@digital-go-jp/design-tokens/dist/tokens.css node_modules/@digital-go-jp/design-tokens/LICENSE \
   static/vendor/design-tokens/
mkdir -p tests/e2e/assets && cp node_modules/axe-core/axe.min.js node_modules/axe-core/LICENSE tests/e2e/assets/  # accessibility checks in the browser tests
echo "static/vendor refreshed"
