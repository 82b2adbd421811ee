#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for SECONDS each, JOBS at a time.
#   bash fuzz/run.sh 600            # all targets, 10 minutes each, 2 at a time
#   bash fuzz/run.sh 60 1 session_decrypt conversation
# New inputs go to fuzz/work/<target>/ (not committed); crashes to
# fuzz/artifacts/<target>/. Needs cargo-fuzz; works on stable through
# RUSTC_BOOTSTRAP=1. Prints executions and coverage per target at the end.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
jobs=${2:-2}
shift $(( $# > 2 ? 2 : $# ))
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(ls fuzz_targets | sed 's/\.rs$//')
export RUSTC_BOOTSTRAP=1
cargo fuzz build
mkdir -p work logs
run_one() {
    local t=$1
    mkdir -p "work/$t"
    cargo fuzz run "$t" "work/$t" "corpus/$t" -- -max_total_time="$seconds" -print_final_stats=1 \
        > "logs/$t.log" 2>&1 && echo "ok      $t" || echo "FAILED  $t (see fuzz/logs/$t.log)"
}
export -f run_one
export seconds
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}'
printf '\n%-22s %12s %8s %8s %8s\n' target executions cov ft corpus
for t in "${targets[@]}"; do
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' || echo -)
    last=$(grep -E '^#[0-9]+' "logs/$t.log" | tail -1)
    cov=$(echo "$last" | grep -o 'cov: [0-9]*' | grep -o '[0-9]*' || echo -)
    ft=$(echo "$last" | grep -o 'ft: [0-9]*' | grep -o '[0-9]*' || echo -)
    corp=$(echo "$last" | grep -o 'corp: [0-9]*' | grep -o '[0-9]*' || echo -)
    printf '%-22s %12s %8s %8s %8s\n' "$t" "$execs" "$cov" "$ft" "$corp"
done
