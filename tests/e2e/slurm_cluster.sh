# shellcheck shell=bash
# slurm_cluster.sh — a real single-node SLURM cluster for tests, sourced by a test script.
#
#   source tests/e2e/slurm_cluster.sh
#   slurm_cluster_start DIR || exit $?   # 0 up; 77 the sandbox cannot run it (reason printed)
#   sbatch --wait ...                    # SLURM_CONF points at this cluster
#   slurm_cluster_stop                   # also run at exit (lib.sh's on_exit, or a trap)
#
# Starts munged (its own key, socket, pid and seed files), slurmctld and slurmd on this host,
# all under DIR, with a slurm.conf written here (nothing read from /etc/slurm or /etc/munge),
# on two free TCP ports, and waits until the node is idle. Every daemon is started in the
# foreground of a background job, so its PID is known exactly; slurm_cluster_stop cancels
# the jobs left, stops the daemons by those PIDs and then any slurmstepd they left behind
# (found by a marker only this cluster's daemons carry in their environment).
#
# Needs root (slurmd runs job steps as the submitting user) and the Debian packages
# slurm-wlm and munge. SLURM_CLUSTER_SKIP (77) is returned, with one line saying why, only
# when the sandbox provably cannot run the cluster: not root, or a daemon dying with EPERM
# or ENOSYS in its log (see _slurm_cluster_env_failure). Every other failure returns 1 with
# the daemon's log.

SLURM_CLUSTER_SKIP=77
SLURM_CLUSTER_DIR=""
SLURM_CLUSTER_PIDS=()
SLURM_CLUSTER_MPI=none   # MpiDefault: pmix where srun has the plugin

_slurm_log() { echo "slurm_cluster: $*" >&2; }

# Two consecutive free TCP ports on localhost (controller, slurmd), or nothing.
_slurm_free_ports() {
  local base p
  for _ in $(seq 50); do
    base=$((20000 + RANDOM % 20000))
    for p in $base $((base + 1)); do
      if ss -Htln "( sport = :$p )" | grep -q .; then continue 2; fi
    done
    echo "$base"
    return 0
  done
  return 1
}

# A daemon's log line that says the sandbox, not this file, stopped it (EPERM: a privilege
# root lacks here, e.g. setgroups or prctl in a restricted container; ENOSYS: a system call
# the sandbox does not offer); empty if none. Anything else is a failure to investigate.
_slurm_cluster_env_failure() {
  grep -h -E -m1 'Operation not permitted|Function not implemented' "$@" 2>/dev/null
}

# _slurm_wait_for SECONDS CMD...: poll CMD every 0.2 s until it succeeds.
_slurm_wait_for() {
  local tries=$(($1 * 5)); shift
  while [ "$tries" -gt 0 ]; do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
    tries=$((tries - 1))
  done
  return 1
}

# _slurm_start NAME LOG CMD...: start one daemon in the foreground of a background job.
_slurm_start() {
  local name=$1 log=$2; shift 2
  env NUCSEG_SLURM_HARNESS="$SLURM_CLUSTER_DIR" "$@" >"$log" 2>&1 &
  SLURM_CLUSTER_PIDS+=("$!")
  _slurm_log "$name started, pid $!"
}

# _slurm_alive PID: the daemon is still running (not a zombie).
_slurm_alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# _slurm_died NAME PID LOG: report a daemon that exited; 77 if the environment stopped it.
_slurm_died() {
  local name=$1 log=$3 why
  why=$(_slurm_cluster_env_failure "$log")
  if [ -n "$why" ]; then
    echo "SKIP: $name cannot run in this sandbox: $why" >&2
    return $SLURM_CLUSTER_SKIP
  fi
  _slurm_log "$name exited; its log $log:"
  tail -n 20 "$log" >&2
  return 1
}

slurm_cluster_start() {
  local d=$1 port host cpus mem pid
  if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: a local SLURM cluster needs root (slurmd runs job steps as the submitting user); uid is $(id -u)" >&2
    return $SLURM_CLUSTER_SKIP
  fi
  for b in munged slurmctld slurmd sbatch sinfo squeue scancel; do
    command -v "$b" >/dev/null || { _slurm_log "$b not found: install slurm-wlm and munge (scripts/install-deps.sh)"; return 1; }
  done
  mkdir -p "$d" && chmod 700 "$d" || return 1
  SLURM_CLUSTER_DIR=$(cd "$d" && pwd)
  d=$SLURM_CLUSTER_DIR
  mkdir -p "$d/munge" "$d/state" "$d/spool" "$d/log" "$d/run" "$d/tmp"
  chmod 700 "$d/munge"
  # Stop the cluster at exit. A test that sources lib.sh registers the stop with on_exit
  # (run before the cleanups registered earlier and before $T, which holds DIR, is removed).
  # Otherwise a trap of our own stops it, then runs whatever EXIT trap the caller had set.
  if declare -F on_exit >/dev/null; then
    on_exit slurm_cluster_stop
  else
    local prev
    prev=$(trap -p EXIT)
    if [ -n "$prev" ]; then eval "SLURM_CLUSTER_PREV_TRAP=( $prev )"; fi
    trap _slurm_cluster_on_exit EXIT
  fi

  # --- munge: a fresh key, socket and pid under DIR ---
  head -c 1024 /dev/urandom > "$d/munge/munge.key"
  chmod 400 "$d/munge/munge.key"
  _slurm_start munged "$d/log/munged.out" munged --foreground --force \
      --socket="$d/munge/munge.socket" --key-file="$d/munge/munge.key" \
      --pid-file="$d/munge/munged.pid" --log-file="$d/log/munged.log" \
      --seed-file="$d/munge/munged.seed"
  pid=${SLURM_CLUSTER_PIDS[-1]}
  if ! _slurm_wait_for 10 test -S "$d/munge/munge.socket"; then
    _slurm_alive "$pid" || { _slurm_died munged "$pid" "$d/log/munged.out"; return $?; }
    _slurm_log "munged made no socket in 10 s"; return 1
  fi

  # --- slurm.conf: this host, its real CPUs and memory, one partition ---
  port=$(_slurm_free_ports) || { _slurm_log "no free TCP port pair found"; return 1; }
  host=$(hostname -s)
  cpus=$(slurmd -C | sed -n 's/.* CPUs=\([0-9]*\).*/\1/p')
  mem=$(slurmd -C | sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p')
  [ -n "$cpus" ] && [ -n "$mem" ] || { _slurm_log "slurmd -C gave no CPUs/RealMemory"; return 1; }
  : > "$d/plugstack.conf"
  cat > "$d/slurm.conf" <<EOF
# Written by tests/e2e/slurm_cluster.sh: a one-node cluster on $host for tests.
ClusterName=nucsegtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
# Job ids of its own: OpenMPI names its shared-memory segments after the job and step, so two
# clusters on one host (two tests at once) both running job 3 crashed each other's ranks.
FirstJobId=$((port * 1000))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$d/munge/munge.socket
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/run/slurmctld.pid
SlurmdPidFile=$d/run/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
TmpFS=$d/tmp
PlugStackConfig=$d/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SwitchType=switch/none
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MailProg=/bin/true
ReturnToService=2
KillWait=5
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF=$d/slurm.conf
  # srun starts OpenMPI ranks through PMIx: make it the default where the plugin is installed
  # (`srun --mpi=list` reads only slurm.conf and the plugin folder; no daemon needed).
  if srun --mpi=list 2>&1 | grep -qx '[[:space:]]*pmix'; then
    sed -i 's/^MpiDefault=none$/MpiDefault=pmix/' "$d/slurm.conf"
    SLURM_CLUSTER_MPI=pmix
  fi

  _slurm_start slurmctld "$d/log/slurmctld.out" slurmctld -D -c -i -f "$d/slurm.conf"
  if ! _slurm_wait_for 20 sinfo -h; then
    pid=${SLURM_CLUSTER_PIDS[-1]}
    _slurm_alive "$pid" || { _slurm_died slurmctld "$pid" "$d/log/slurmctld.out" "$d/log/slurmctld.log"; return $?; }
    _slurm_log "slurmctld does not answer sinfo after 20 s"; tail -n 20 "$d/log/slurmctld.log" >&2; return 1
  fi
  _slurm_start slurmd "$d/log/slurmd.out" slurmd -D -f "$d/slurm.conf" -N "$host"
  if ! _slurm_wait_for 30 _slurm_node_idle "$host"; then
    pid=${SLURM_CLUSTER_PIDS[-1]}
    _slurm_alive "$pid" || { _slurm_died slurmd "$pid" "$d/log/slurmd.out" "$d/log/slurmd.log"; return $?; }
    _slurm_log "node $host not idle after 30 s: $(sinfo -h -N -o '%N %T %E')"; tail -n 20 "$d/log/slurmd.log" >&2; return 1
  fi
  _slurm_log "node $host idle ($cpus CPUs, $mem MB, MpiDefault=$SLURM_CLUSTER_MPI), SLURM_CONF=$SLURM_CONF"
}

SLURM_CLUSTER_PREV_TRAP=()
_slurm_cluster_on_exit() {
  local rc=$?
  set +e
  slurm_cluster_stop
  # SLURM_CLUSTER_PREV_TRAP holds the words of `trap -- 'CMD' EXIT`
  if [ ${#SLURM_CLUSTER_PREV_TRAP[@]} -ge 3 ]; then eval "${SLURM_CLUSTER_PREV_TRAP[2]}"; fi
  exit $rc
}

_slurm_node_idle() { [ "$(sinfo -h -n "$1" -o %T)" = idle ]; }

# Processes (other than the listed daemons) started by this cluster's daemons: slurmstepd.
_slurm_leftovers() {
  grep -lzxF "NUCSEG_SLURM_HARNESS=$SLURM_CLUSTER_DIR" /proc/[0-9]*/environ 2>/dev/null \
    | sed -n 's|^/proc/\([0-9]*\)/environ$|\1|p'
}

# _slurm_stop_pids PID...: TERM, up to 10 s to exit, then KILL.
_slurm_stop_pids() {
  local pid tries
  [ $# -gt 0 ] || return 0
  kill -TERM "$@" 2>/dev/null
  for pid in "$@"; do
    tries=50
    while _slurm_alive "$pid" && [ $tries -gt 0 ]; do sleep 0.2; tries=$((tries - 1)); done
    _slurm_alive "$pid" && { _slurm_log "pid $pid ignored TERM; killing it"; kill -KILL "$pid" 2>/dev/null; }
  done
  wait "$@" 2>/dev/null || true
}

slurm_cluster_stop() {
  local i left errexit=0
  [ -n "$SLURM_CLUSTER_DIR" ] || return 0
  # A daemon already gone is not an error here, even in a `set -e` caller.
  case $- in *e*) errexit=1; set +e ;; esac
  if [ ${#SLURM_CLUSTER_PIDS[@]} -ge 2 ] && command -v scancel >/dev/null; then
    scancel --full --quiet "--user=$(id -un)" 2>/dev/null || true
    _slurm_wait_for 15 test -z "$(squeue -h 2>/dev/null)" || true
  fi
  # slurmd, slurmctld, munged: the reverse of their start
  for ((i = ${#SLURM_CLUSTER_PIDS[@]} - 1; i >= 0; i--)); do
    _slurm_stop_pids "${SLURM_CLUSTER_PIDS[$i]}"
  done
  left=$(_slurm_leftovers)
  if [ -n "$left" ]; then
    _slurm_log "stopping processes the daemons left: $left"
    # shellcheck disable=SC2086
    _slurm_stop_pids $left
  fi
  SLURM_CLUSTER_PIDS=()
  SLURM_CLUSTER_DIR=""
  [ $errexit -eq 0 ] || set -e
  return 0
}
