#!/usr/bin/env bash
# Install the Debian packages nucseg needs, and only those missing.
# Idempotent: when everything is present it touches nothing and needs no network.
set -euo pipefail

BUILD_PKGS=(build-essential cmake pkg-config
            libtiff-dev libpng-dev zlib1g-dev
            liblbfgsb-dev libcminpack-dev libqhull-dev
            libcjson-dev libplplot-dev plplot-driver-cairo
            openmpi-bin libopenmpi-dev)
# The Python module (make python, pip install --no-build-isolation .) and its tests.
PYTHON_PKGS=(python3-dev python3-numpy python3-setuptools python3-wheel python3-pip python3-venv
             python3-pytest python3-skimage python3-pandas python3-tifffile)
# The peer pipelines that `make bench` compares against; not needed by nucseg itself.
PEER_PKGS=(python3 python3-numpy python3-scipy python3-skimage python3-opencv)
# What `make test` runs besides nucseg (test-only; nucseg does not need them): Chromium
# renders the HTML report headless, scikit-image and tifffile check its tables and TIFFs,
# Snakemake runs workflow/Snakefile, the SLURM daemons and munge a one-node cluster.
TEST_PKGS=(chromium python3-skimage python3-tifffile snakemake slurm-wlm munge)

want=("${BUILD_PKGS[@]}" "${PYTHON_PKGS[@]}")
case "${1:-}" in
  --with-peers) want+=("${PEER_PKGS[@]}") ;;
  --with-test) want+=("${TEST_PKGS[@]}") ;;
  "") ;;
  *) echo "usage: $0 [--with-peers|--with-test]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
