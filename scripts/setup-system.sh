#!/usr/bin/env bash
# Installs the C libraries charnn links against (OpenBLAS, zstd, Open MPI, pkg-config) when they are missing.
set -euo pipefail
needed=()
for package in libopenblas-dev libzstd-dev libopenmpi-dev openmpi-bin pkg-config; do
  dpkg -s "$package" >/dev/null 2>&1 || needed+=("$package")
done
[ ${#needed[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "charnn needs ${needed[*]} (OpenBLAS, zstd, Open MPI): install them with your package manager" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing ${needed[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${needed[@]}" >/dev/null
