#!/usr/bin/env bash
# Builds tsgi/prometheus:local from Debian's prometheus package (downloaded with
# apt-get, extracted, never installed: no service starts) on top of BASE_IMAGE,
# for Docker engines that cannot pull prom/prometheus. Then:
#   PROMETHEUS_IMAGE=tsgi/prometheus:local docker compose up -d
# Usage: bash docker/prometheus/build-local.sh [image-tag]   (env BASE_IMAGE, default tsgi/node-base:local)
set -euo pipefail
tag=${1:-tsgi/prometheus:local}
base=${BASE_IMAGE:-tsgi/node-base:local}
here=$(cd "$(dirname "$0")" && pwd)

if docker image inspect "$tag" >/dev/null 2>&1 && [ "${REBUILD:-0}" != 1 ]; then
  echo "prometheus-local: $tag exists (REBUILD=1 to rebuild)" >&2
  exit 0
fi
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cd "$ctx"
if ! apt-get download prometheus >/dev/null 2>&1; then
  # serialised with other apt users on a shared machine when flock is there
  if command -v flock >/dev/null; then flock /tmp/tsgi-apt.lock apt-get update -qq >/dev/null
  else apt-get update -qq >/dev/null; fi
  apt-get download prometheus >/dev/null 2>&1
fi
dpkg -x prometheus_*.deb pkg
cp pkg/usr/bin/prometheus ./prometheus
mkdir data
cp "$here/Dockerfile" ./Dockerfile
docker build -q --build-arg "BASE_IMAGE=$base" -t "$tag" . >/dev/null
echo "prometheus-local: built $tag ($(./prometheus --version 2>&1 | head -1))" >&2
