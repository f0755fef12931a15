#!/usr/bin/env bash
# By-hand check of the local Slurm cluster (not part of `npm test`): start it, run small jobs the way the
# Slurm executor will, check what they wrote and the states Slurm reports, stop it again.
#
#   tests/slurm/smoke.sh              about 15 s
#   tests/slurm/smoke.sh --timeout    also checks that a --time limit ends a job as TIMEOUT (about 90 s more:
#                                     Slurm rounds limits up to whole minutes and checks them every 30 s)
#
# A cluster that was already running is left running; one this script started is stopped on exit.
# `[[ test ]] && pass ... || fail ...` is safe here: pass always succeeds.
# shellcheck disable=SC2015
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CLUSTER=$HERE/cluster.sh
CHECK_TIMEOUT=0
[[ ${1:-} == --timeout ]] && CHECK_TIMEOUT=1

WORK=$(mktemp -d /tmp/degen-slurm-smoke.XXXXXX)
STARTED=0
FAILURES=0

cleanup() {
  if ((STARTED)); then "$CLUSTER" stop || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

pass() { printf 'ok    %s\n' "$*"; }
fail() {
  printf 'FAIL  %s\n' "$*"
  FAILURES=$((FAILURES + 1))
}

# Waits until job $1 (all its array elements) has left the pending/running states.
wait_job() {
  local job=$1 limit=${2:-60} waited=0
  while [[ -n $(squeue -h -j "$job" -o '%i' 2>/dev/null) ]]; do
    ((waited < limit * 5)) || { fail "job $job still queued after ${limit}s"; return 1; }
    sleep 0.2
    waited=$((waited + 1))
  done
}

# Final "TASK STATE REASON" lines of job $1, one per array element, read while MinJobAge keeps them.
final_states() {
  squeue -h -r -t all -j "$1" -o '%K %T %r' | sort -n
}

if ! "$CLUSTER" status >/dev/null 2>&1; then
  "$CLUSTER" start >/dev/null
  STARTED=1
fi
eval "$("$CLUSTER" env)"

# 1. An array whose elements each write a file named by their index, at most two at a time.
mkdir -p "$WORK/logs" "$WORK/out"
began=$(date +%s%N)
array=$(sbatch --parsable --array=0-9%2 --job-name=smoke-array --time=5 --mem=100M \
  --output="$WORK/logs/%A_%a.out" \
  --wrap "echo \"element \$SLURM_ARRAY_TASK_ID of \$SLURM_ARRAY_JOB_ID\" > $WORK/out/\$SLURM_ARRAY_TASK_ID.txt; echo logged")
[[ $array =~ ^[0-9]+$ ]] && pass "sbatch --parsable printed job id $array" || fail "sbatch --parsable printed '$array'"
wait_job "$array"
elapsed_ms=$((($(date +%s%N) - began) / 1000000))
missing=0
for i in $(seq 0 9); do
  [[ $(cat "$WORK/out/$i.txt" 2>/dev/null) == "element $i of $array" ]] || missing=$((missing + 1))
  [[ $(cat "$WORK/logs/${array}_$i.out" 2>/dev/null) == logged ]] || missing=$((missing + 1))
done
((missing == 0)) && pass "10 elements wrote their files and logs (%A_%a) in ${elapsed_ms} ms" ||
  fail "$missing files or logs missing or wrong under $WORK"
states=$(final_states "$array" | awk '{print $2}' | sort | uniq -c | tr -s ' ')
[[ $states == " 10 COMPLETED" ]] && pass "squeue -t all shows 10 elements COMPLETED" || fail "element states: $states"

# 2. The %K throttle: with %1, element runs must not overlap.
throttled=$(sbatch --parsable --array=0-2%1 --job-name=smoke-throttle --output=/dev/null \
  --wrap "date +%s%N > $WORK/out/t\$SLURM_ARRAY_TASK_ID.start; sleep 1; date +%s%N > $WORK/out/t\$SLURM_ARRAY_TASK_ID.end")
wait_job "$throttled"
if [[ $(cat "$WORK/out/t0.end") -le $(cat "$WORK/out/t1.start") && $(cat "$WORK/out/t1.end") -le $(cat "$WORK/out/t2.start") ]]; then
  pass "--array=0-2%1 ran one element at a time"
else
  fail "--array=0-2%1 elements overlapped"
fi

# 3. A failing job: FAILED, reason NonZeroExitCode, exit code kept.
failing=$(sbatch --parsable --job-name=smoke-fail --output="$WORK/logs/fail_%j.out" --wrap 'echo oops >&2; exit 3')
wait_job "$failing"
line=$(squeue -h -t all -j "$failing" -o '%T %r')
code=$(scontrol show job "$failing" | sed -n 's/.* ExitCode=\([0-9:]*\).*/\1/p')
[[ $line == "FAILED NonZeroExitCode" && $code == 3:0 ]] && pass "exit 3 -> FAILED NonZeroExitCode, ExitCode=3:0" ||
  fail "exit 3 -> '$line' ExitCode=$code"
[[ $(cat "$WORK/logs/fail_$failing.out") == oops ]] && pass "stderr went to --output" || fail "stderr not in the log"

# 4. afterok: runs after a good job; never runs after a failed one (stays pending, then is cancelled).
after_ok=$(sbatch --parsable --dependency="afterok:$array" --output="$WORK/out/after.txt" --wrap 'echo after')
after_bad=$(sbatch --parsable --dependency="afterok:$failing" --output=/dev/null --wrap 'echo never')
wait_job "$after_ok"
[[ $(cat "$WORK/out/after.txt" 2>/dev/null) == after ]] && pass "afterok on a completed array ran" || fail "afterok job did not run"
sleep 1
reason=$(squeue -h -j "$after_bad" -o '%T %r')
[[ $reason == "PENDING DependencyNeverSatisfied" ]] && pass "afterok on a failed job: $reason" || fail "afterok on failed job: '$reason'"
scancel "$after_bad"

# 5. node runs inside a job with the submitter's environment (--export=ALL is the default).
node_job=$(sbatch --parsable --export=ALL --output="$WORK/out/node.txt" \
  --wrap 'node -e "console.log(process.version.startsWith(\"v\") && process.env.SLURM_CONF ? \"node ok\" : \"bad\")"')
wait_job "$node_job"
[[ $(cat "$WORK/out/node.txt" 2>/dev/null) == "node ok" ]] && pass "node runs in a job and sees SLURM_CONF" ||
  fail "node in a job printed: $(cat "$WORK/out/node.txt" 2>/dev/null)"

# 6. scancel of a running job: CANCELLED.
running=$(sbatch --parsable --output=/dev/null --wrap 'sleep 120')
for _ in $(seq 50); do [[ $(squeue -h -j "$running" -o '%T') == RUNNING ]] && break; sleep 0.2; done
scancel "$running"
wait_job "$running"
line=$(squeue -h -t all -j "$running" -o '%T')
[[ $line == CANCELLED ]] && pass "scancel of a running job -> CANCELLED" || fail "scancel -> '$line'"

# 7. The array size limit a driver must split below.
max=$(scontrol show config | sed -n 's/^MaxArraySize *= *//p')
over=$(sbatch --parsable --array=0-"$max" --output=/dev/null --wrap true 2>&1) && fail "--array=0-$max was accepted" ||
  pass "MaxArraySize=$max; --array=0-$max refused: ${over#sbatch: error: }"

# 8. Optional, slow: a --time limit ends the job as TIMEOUT.
if ((CHECK_TIMEOUT)); then
  timed=$(sbatch --parsable --time=0:05 --output="$WORK/logs/timeout.out" --wrap 'sleep 600')
  wait_job "$timed" 150
  line=$(squeue -h -t all -j "$timed" -o '%T %r')
  [[ $line == "TIMEOUT TimeLimit" ]] && pass "--time limit -> TIMEOUT TimeLimit" || fail "--time limit -> '$line'"
  grep -q 'DUE TO TIME LIMIT' "$WORK/logs/timeout.out" && pass "the job log says DUE TO TIME LIMIT" ||
    fail "no time-limit line in the job log"
fi

if ((FAILURES)); then
  printf '%d check(s) failed\n' "$FAILURES"
  exit 1
fi
printf 'all checks passed\n'
