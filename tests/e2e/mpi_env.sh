# mpi_env.sh — sourced by the MPI tests. CI and these machines run as root, where OpenMPI
# wants to be told that is meant; LeakSanitizer (the sanitizer build) is told about the
# allocations OpenMPI keeps until exit, which are its own, not nucseg's.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export LSAN_OPTIONS="suppressions=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lsan-openmpi.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
command -v mpirun > /dev/null || { echo "FAIL: mpirun not found (scripts/install-deps.sh installs openmpi-bin)"; exit 1; }
