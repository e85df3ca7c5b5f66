#!/usr/bin/env bash
# Runs the whole suite (`npm test`: type check + vitest) three times in a row
# while two CPU hogs compete for the cores, stopping at the first failing run.
# A suite that passes here does not depend on a quiet machine.
#
#   npm run test:load                                    # 3 runs, 2 hogs
#   TEST_LOAD_RUNS=1 TEST_LOAD_HOGS=4 npm run test:load
#   npm run test:load -- test/call                       # extra arguments go to vitest
#
# The hogs and the running suite are stopped on exit, failure, Ctrl-C or
# SIGTERM. Only processes this script started are signalled, by id.
set -uo pipefail
set -m # every background job gets its own process group, so a suite run can be stopped whole

runs=${TEST_LOAD_RUNS:-3}
hogs=${TEST_LOAD_HOGS:-2}
hog_pids=()
suite_pid=''

cleanup() {
  if [ -n "$suite_pid" ]; then kill -TERM -- "-$suite_pid" 2>/dev/null; wait "$suite_pid" 2>/dev/null; fi
  for pid in "${hog_pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${hog_pids[@]}"; do wait "$pid" 2>/dev/null; done
  hog_pids=()
  suite_pid=''
}
trap cleanup EXIT
trap 'echo "test:load: interrupted"; cleanup; exit 130' INT
trap 'echo "test:load: terminated"; cleanup; exit 143' TERM

for ((i = 0; i < hogs; i++)); do
  # Spins, and exits by itself once this script is gone (even after a SIGKILL, which no trap sees).
  node -e 'const parent = process.ppid; for (let i = 0; ; i++) if ((i & 0xfffff) === 0 && process.ppid !== parent) process.exit(0)' &
  hog_pids+=("$!")
done
echo "test:load: ${hogs} CPU hogs running (pids ${hog_pids[*]}), up to ${runs} runs"

for ((run = 1; run <= runs; run++)); do
  start=$(date +%s)
  echo "test:load: run ${run}/${runs}"
  # In the background so that a signal reaches the trap at once (bash defers traps while a foreground child runs).
  ( npm run --silent typecheck && npx vitest run "$@" ) &
  suite_pid=$!
  wait "$suite_pid"
  status=$?
  suite_pid=''
  echo "test:load: run ${run}/${runs} exit ${status} in $(($(date +%s) - start)) s"
  if [ "$status" -ne 0 ]; then
    echo "test:load: FAILED on run ${run}"
    exit "$status"
  fi
done
echo "test:load: ${runs} runs passed under load"
