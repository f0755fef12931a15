#!/usr/bin/env bash
# A single-node Slurm cluster on this host, for degen's Slurm tests and for trying the Slurm executor by hand.
#
#   tests/slurm/cluster.sh start    install slurm-wlm + munge with apt if missing, start munged, slurmctld,
#                                   slurmd, wait until a trivial job runs (idempotent)
#   tests/slurm/cluster.sh stop     cancel this cluster's jobs, stop the daemons named in its pid files
#   tests/slurm/cluster.sh status   daemons, node and queue; exit 0 running, 3 stopped, 1 partly running
#   tests/slurm/cluster.sh env      print what a client shell needs: eval "$(tests/slurm/cluster.sh env)"
#
# Everything (slurm.conf, munge key and socket, spool, logs, pid files) lives under one directory, so
# /etc is never written. Settings, read at `start` (see tests/slurm/NOTES.md for why each is set):
#   DEGEN_SLURM_DIR             state directory                        default /tmp/degen-slurm
#   DEGEN_SLURM_PORT            slurmctld port; slurmd uses PORT+1     default 6817
#   DEGEN_SLURM_MAX_ARRAY_SIZE  MaxArraySize (largest index + 1)       default 1001
#   DEGEN_SLURM_MIN_JOB_AGE     seconds a finished job stays visible   default 60
#                               to squeue --states=all / scontrol
#   DEGEN_SLURM_CPUS            CPUs of the node                       default: what slurmd -C detects
#   DEGEN_SLURM_MEMORY          RealMemory of the node, MiB            default: what slurmd -C detects
#   DEGEN_SLURM_START_TIMEOUT   seconds `start` waits for a job to run default 60
set -euo pipefail

DIR=${DEGEN_SLURM_DIR:-/tmp/degen-slurm}
# Slurm names nodes by their short host name; slurmd is told it explicitly (-N) in case that is ambiguous.
HOST=$(hostname -s)
CONF=$DIR/etc/slurm.conf
RUN=$DIR/run
LOG=$DIR/log
MUNGE_DIR=$DIR/munge
SOCKET=$RUN/munge.socket
PORT=${DEGEN_SLURM_PORT:-6817}
MAX_ARRAY_SIZE=${DEGEN_SLURM_MAX_ARRAY_SIZE:-1001}
MIN_JOB_AGE=${DEGEN_SLURM_MIN_JOB_AGE:-60}
START_TIMEOUT=${DEGEN_SLURM_START_TIMEOUT:-60}
# Daemons in the order they start; stop goes in reverse.
DAEMONS=(munged slurmctld slurmd)
export SLURM_CONF=$CONF

say() { printf 'cluster.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

pid_file() { printf '%s/%s.pid' "$RUN" "$1"; }

# Pid of a daemon we started, if it is still alive and still that program (pids get reused).
live_pid() {
  local file pid comm
  file=$(pid_file "$1")
  # The daemon removes its pid file as it exits, so the file can vanish between any two reads.
  pid=$(cat "$file" 2>/dev/null) || return 1
  pid=${pid//[!0-9]/}
  [[ -n $pid ]] || return 1
  comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
  [[ $comm == "$1" ]] || return 1
  if is_zombie "$pid"; then return 1; fi
  printf '%s' "$pid"
}

# An exited child waits as a zombie until its parent (here init) reaps it; it is not running.
is_zombie() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} == Z ]]
}

running_count() {
  local d n=0
  for d in "${DAEMONS[@]}"; do
    if live_pid "$d" >/dev/null; then n=$((n + 1)); fi
  done
  printf '%s' "$n"
}

print_env() {
  # Clients need only the config: it names the controller and the munge socket (AuthInfo).
  printf 'export SLURM_CONF=%q\n' "$CONF"
}

ensure_installed() {
  local missing=() b
  for b in munged mungekey slurmctld slurmd sbatch squeue sinfo scontrol scancel sacct srun; do
    command -v "$b" >/dev/null || missing+=("$b")
  done
  ((${#missing[@]} == 0)) && return 0
  say "missing ${missing[*]}: installing slurm-wlm and munge with apt-get"
  command -v apt-get >/dev/null || die "apt-get not found; install Slurm (slurmctld, slurmd, client) and munge by hand"
  # The packages' maintainer scripts try to start system services; a container without an init must
  # refuse that (exit 101), or the install fails. Keep an existing policy, add a temporary one otherwise.
  local policy=/usr/sbin/policy-rc.d added=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && added=1
  fi
  local rc=0
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends slurm-wlm munge; } >&2 || rc=$?
  ((added)) && rm -f "$policy"
  ((rc == 0)) || die "apt-get install slurm-wlm munge failed (exit $rc)"
  for b in "${missing[@]}"; do
    command -v "$b" >/dev/null || die "$b still missing after installing slurm-wlm and munge"
  done
}

# Writes the slurm.conf for the current settings to $1.
write_conf() {
  local target=$1 host=$HOST cpus memory detected field topology=''
  # slurmd -C prints the node as slurmd itself sees it; slurmd drains a node configured larger than that.
  detected=$(slurmd -C | head -n 1)
  detected_value() { sed -n "s/.* $1=\\([0-9]*\\).*/\\1/p" <<<"$detected"; }
  cpus=${DEGEN_SLURM_CPUS:-$(detected_value CPUs)}
  memory=${DEGEN_SLURM_MEMORY:-$(detected_value RealMemory)}
  [[ $cpus =~ ^[0-9]+$ && $memory =~ ^[0-9]+$ ]] || die "cannot read CPUs and RealMemory from 'slurmd -C': $detected"
  # The detected sockets/cores/threads too, so that CR_Core counts real cores (unless CPUs is overridden).
  if [[ -z ${DEGEN_SLURM_CPUS:-} ]]; then
    for field in Boards SocketsPerBoard CoresPerSocket ThreadsPerCore; do
      [[ -n $(detected_value "$field") ]] && topology+=" $field=$(detected_value "$field")"
    done
  fi
  cat >"$target" <<EOF
# Generated by tests/slurm/cluster.sh on each start; edits are lost. See tests/slurm/NOTES.md.
ClusterName=degen
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCKET
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$DIR/spool/slurmctld
SlurmdSpoolDir=$DIR/spool/slurmd
SlurmctldPidFile=$(pid_file slurmctld)
SlurmdPidFile=$(pid_file slurmd)
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
MpiDefault=none
# No cgroups in a container: track job processes through /proc, no task binding.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
# Cores and memory are both consumable, so --cpus-per-task and --mem limit how many jobs share the node.
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
# Start a job as soon as a slot frees instead of batching submissions for up to 3 s.
SchedulerParameters=batch_sched_delay=0,bf_interval=5
# No slurmdbd here: plain sacct reports "accounting storage is disabled"; sacct -c reads the jobcomp file.
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$LOG/jobcomp.log
MaxArraySize=$MAX_ARRAY_SIZE
MinJobAge=$MIN_JOB_AGE
KillWait=2
SlurmdTimeout=30
MessageTimeout=10
InactiveLimit=0
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus$topology RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP DefMemPerCPU=$((memory / cpus))
EOF
}

tail_logs() {
  local f
  for f in "$LOG/munged.log" "$LOG/slurmctld.log" "$LOG/slurmd.log"; do
    [[ -f $f ]] || continue
    printf '==> %s <==\n' "$f" >&2
    tail -n 15 "$f" >&2
  done
}

# Waits until "$@" succeeds or the start deadline passes.
wait_for() {
  local what=$1
  shift
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      say "timed out after ${START_TIMEOUT}s waiting for $what; daemon logs:"
      tail_logs
      stop_daemons
      exit 1
    fi
    sleep 0.5
  done
}

node_idle() { [[ $(sinfo -h -N -o '%T' 2>/dev/null) == idle ]]; }
munge_works() { munge -S "$SOCKET" -n | unmunge -S "$SOCKET"; }
trivial_job() { timeout 20 srun --quiet --job-name=cluster-check --time=1 true; }

start() {
  [[ $(id -u) == 0 ]] || die "must run as root (slurmd runs jobs as their submitter)"
  local n
  n=$(running_count)
  if ((n == ${#DAEMONS[@]})); then
    # Settings (e.g. DEGEN_SLURM_MAX_ARRAY_SIZE) that differ from the running cluster's need a restart.
    local wanted
    wanted=$(mktemp)
    write_conf "$wanted"
    if cmp -s "$wanted" "$CONF"; then
      rm -f "$wanted"
      say "already running (state in $DIR)"
      print_env
      return 0
    fi
    rm -f "$wanted"
    say "running with other settings ($CONF differs); restarting"
    stop
  elif ((n > 0)); then
    say "only $n of ${#DAEMONS[@]} daemons running; restarting all"
    stop
  fi
  ensure_installed
  SECONDS=0
  local deadline=$START_TIMEOUT began
  began=$(date +%s%N)

  # munged checks that the key is private and that every client can reach the socket's directory.
  mkdir -p "$DIR/etc" "$LOG" "$RUN" "$MUNGE_DIR"
  chmod 755 "$DIR" "$RUN" "$LOG"
  chmod 700 "$MUNGE_DIR"
  [[ -s $MUNGE_DIR/munge.key ]] || mungekey --create --keyfile="$MUNGE_DIR/munge.key"
  # A fresh controller state each time: job ids restart at 1, so the old job-completion log goes too.
  rm -rf "$DIR/spool"
  mkdir -p "$DIR/spool/slurmctld" "$DIR/spool/slurmd"
  local f
  for f in munged slurmctld slurmd jobcomp; do
    if [[ -f $LOG/$f.log ]]; then mv -f "$LOG/$f.log" "$LOG/$f.log.old"; fi
  done
  write_conf "$CONF"

  # Each daemon forks into the background; its stdio must not hold the caller's pipes open.
  munged --key-file="$MUNGE_DIR/munge.key" --socket="$SOCKET" --pid-file="$(pid_file munged)" \
    --log-file="$LOG/munged.log" --seed-file="$MUNGE_DIR/munged.seed" </dev/null >>"$LOG/munged.log" 2>&1 ||
    { say "munged failed to start:"; tail_logs; exit 1; }
  wait_for "munged" munge_works
  slurmctld -c </dev/null >>"$LOG/slurmctld.log" 2>&1 ||
    { say "slurmctld failed to start:"; tail_logs; stop_daemons; exit 1; }
  wait_for "slurmctld" scontrol ping
  slurmd -N "$HOST" </dev/null >>"$LOG/slurmd.log" 2>&1 ||
    { say "slurmd failed to start:"; tail_logs; stop_daemons; exit 1; }
  wait_for "node $HOST to be idle" node_idle
  wait_for "a trivial job to complete" trivial_job
  local ms=$((($(date +%s%N) - began) / 1000000))
  say "started in $((ms / 1000)).$(printf '%03d' $((ms % 1000)))s (state in $DIR)"
  print_env
}

# Stops the daemons named in our pid files, newest first, and waits for them to exit.
stop_daemons() {
  local i d pid
  for ((i = ${#DAEMONS[@]} - 1; i >= 0; i--)); do
    d=${DAEMONS[i]}
    pid=$(live_pid "$d") || { rm -f "$(pid_file "$d")"; continue; }
    kill -TERM "$pid" 2>/dev/null || true
    local waited=0
    while live_pid "$d" >/dev/null && ((waited < 100)); do
      sleep 0.1
      waited=$((waited + 1))
    done
    if live_pid "$d" >/dev/null; then
      say "$d ($pid) ignored SIGTERM for 10s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
    fi
    rm -f "$(pid_file "$d")"
    say "stopped $d ($pid)"
  done
}

# Step daemons of this cluster that outlived slurmd (a job that ignored its cancel). They carry our
# SLURM_CONF in their environment, which is how they are told apart from another cluster's.
stop_leftover_steps() {
  local p
  for p in /proc/[0-9]*; do
    [[ $(cat "$p/comm" 2>/dev/null) == slurmstepd ]] || continue
    if is_zombie "${p#/proc/}"; then continue; fi
    { tr '\0' '\n' <"$p/environ"; } 2>/dev/null | grep -qxF "SLURM_CONF=$CONF" || continue
    say "killing leftover slurmstepd ${p#/proc/}"
    kill -KILL "${p#/proc/}" 2>/dev/null || true
  done
}

stop() {
  if live_pid slurmctld >/dev/null; then
    # Jobs would outlive slurmd (that is how Slurm survives daemon restarts); cancel them first.
    local jobs waited=0
    jobs=$(squeue -h -o '%A' 2>/dev/null | sort -u | tr '\n' ' ')
    if [[ -n ${jobs// /} ]]; then
      say "cancelling jobs: $jobs"
      # shellcheck disable=SC2086 # one word per job id
      scancel $jobs 2>/dev/null || true
      while [[ -n $(squeue -h -o '%A' 2>/dev/null) ]] && ((waited < 100)); do
        sleep 0.1
        waited=$((waited + 1))
      done
    fi
  fi
  if (($(running_count) == 0)); then
    say "not running"
  fi
  stop_daemons
  stop_leftover_steps
}

status() {
  local d pid n
  for d in "${DAEMONS[@]}"; do
    if pid=$(live_pid "$d"); then
      printf '%-10s running (pid %s)\n' "$d" "$pid"
    else
      printf '%-10s stopped\n' "$d"
    fi
  done
  printf 'SLURM_CONF %s\n' "$CONF"
  n=$(running_count)
  if live_pid slurmctld >/dev/null; then
    sinfo -N -o '%N %T %c %m %E' || true
    squeue -o '%i %j %T %r %M %l' || true
  fi
  if ((n == ${#DAEMONS[@]})); then return 0; fi
  if ((n == 0)); then return 3; fi
  return 1
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) print_env ;;
  *)
    printf 'usage: %s start|stop|status|env\n' "$0" >&2
    exit 2
    ;;
esac
