# mpi_env.sh — sourced by the MPI tests. CI and these machines run as root, where OpenMPI
# wants to be told that is meant. In the sanitizer build, LeakSanitizer reports what
# OpenMPI keeps until exit (allocations of its components, which MPI_Finalize unloads
# without freeing): tests/lsan-openmpi.supp names OpenMPI's libraries, and the full
# unwinder (slower) is needed for a leak's stack to reach them from an unloaded component.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export LSAN_OPTIONS="suppressions=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lsan-openmpi.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
command -v mpirun > /dev/null || { echo "FAIL: mpirun not found (scripts/install-deps.sh installs openmpi-bin)"; exit 1; }
