#!/usr/bin/env bash
# Install the Debian packages nucseg needs, and only those missing.
# Idempotent: when everything is present it touches nothing and needs no network.
set -euo pipefail

BUILD_PKGS=(build-essential cmake pkg-config
            libtiff-dev libpng-dev zlib1g-dev
            liblbfgsb-dev libcminpack-dev libqhull-dev
            libcjson-dev libplplot-dev plplot-driver-cairo
            libdeflate-dev libspng-dev libdnnl-dev
            openmpi-bin libopenmpi-dev)
# The Python module (make python, pip install --no-build-isolation .) and its tests.
PYTHON_PKGS=(python3-dev python3-numpy python3-setuptools python3-wheel python3-pip python3-venv
             python3-pytest python3-skimage python3-pandas python3-tifffile)
# The peer pipelines that `make bench` compares against; not needed by nucseg itself.
# (python3-torch: the learned network's inference in PyTorch, beside nucseg's in C.)
PEER_PKGS=(python3 python3-numpy python3-scipy python3-skimage python3-opencv python3-tifffile python3-pandas
           python3-torch)
# Training the learned nuclei network (train/; docs/learned-nuclei.md): PyTorch on the CPU.
TRAIN_PKGS=(python3-torch python3-numpy python3-scipy python3-skimage python3-pil)
# What `make test` runs besides nucseg (test-only; nucseg does not need them): Chromium
# renders the HTML report headless, scikit-image and tifffile check its tables and TIFFs,
# Snakemake runs workflow/Snakefile, the SLURM daemons and munge a one-node cluster.
TEST_PKGS=(chromium python3-skimage python3-tifffile snakemake slurm-wlm munge)

want=("${BUILD_PKGS[@]}" "${PYTHON_PKGS[@]}")
case "${1:-}" in
  --with-peers) want+=("${PEER_PKGS[@]}") ;;
  --with-test) want+=("${TEST_PKGS[@]}") ;;
  --with-train) want+=("${TRAIN_PKGS[@]}") ;;
  "") ;;
  *) echo "usage: $0 [--with-peers|--with-test|--with-train]" >&2; exit 2 ;;
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
# Wait for another apt/dpkg (a fresh machine's own updates) instead of failing at once.
APT_WAIT=(-o DPkg::Lock::Timeout=600)
# apt-get update takes the package lists' lock, which that option does not cover in every
# apt version: while another process holds it, try again (for up to 10 minutes too).
for try in $(seq 1 120); do
  if err=$($SUDO apt-get "${APT_WAIT[@]}" update -qq 2>&1); then break; fi
  case "$err" in
    *"Could not get lock"*|*"Unable to lock"*) [ "$try" -lt 120 ] || { echo "$err" >&2; exit 1; }
                                              echo "install-deps: waiting for another apt to finish" >&2; sleep 5 ;;
    *) echo "$err" >&2; exit 1 ;;
  esac
done
$SUDO apt-get "${APT_WAIT[@]}" install -y -qq --no-install-recommends "${missing[@]}"
