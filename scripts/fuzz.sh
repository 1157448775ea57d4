#!/usr/bin/env bash
# make hardening's coverage-guided fuzzing: cargo-fuzz (libFuzzer) on the
# phone parser, the message text rules, the cursor decoder, the Meta and
# Twilio webhook parsers and both signature checks (fuzz/fuzz_targets).
#
# Each target runs for FUZZ_SECONDS (30), starting from the small committed
# seeds in fuzz/seeds/<target>; what libFuzzer finds on the way is kept in
# target/fuzz/corpus (not committed). A failing input is written to
# target/fuzz/artifacts/<target>/ and fails the run; reproduce it with
#   cargo +nightly fuzz run --fuzz-dir fuzz --target-dir target/fuzz/build \
#     --sanitizer none --debug-assertions <target> <that file>
# Safe Rust only, so no sanitizer: libFuzzer's coverage guidance, with
# debug assertions and overflow checks on, looking for panics and broken
# invariants.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
log() { printf 'fuzz: %s\n' "$*" >&2; }
seconds="${FUZZ_SECONDS:-30}"

cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --version 0.13.2
# cargo-fuzz passes nightly flags: nightly when rustup has it, else the
# stable compiler told to accept them.
toolchain=()
if rustup run nightly rustc --version >/dev/null 2>&1; then
  toolchain=(+nightly)
else
  export RUSTC_BOOTSTRAP=1
fi
fuzz=(cargo "${toolchain[@]}" fuzz)
build=(--fuzz-dir fuzz --target-dir target/fuzz/build --sanitizer none --debug-assertions)

"${fuzz[@]}" build "${build[@]}"
summary=()
for target in $("${fuzz[@]}" list --fuzz-dir fuzz); do
  corpus="target/fuzz/corpus/$target" artifacts="target/fuzz/artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  seeds=()
  [[ -d "fuzz/seeds/$target" ]] && seeds=("fuzz/seeds/$target")
  out="target/fuzz/$target.log"
  log "$target: ${seconds}s"
  if ! "${fuzz[@]}" run "${build[@]}" "$target" "$corpus" "${seeds[@]}" -- \
    -max_total_time="$seconds" -timeout=10 -artifact_prefix="$artifacts/" -print_final_stats=1 >"$out" 2>&1; then
    tail -n 40 "$out" >&2
    log "$target FAILED: the input is in $artifacts/"
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$out" | tail -1 | cut -d' ' -f2)
  summary+=("$(printf '%-18s %12s runs  coverage %s  corpus %s' "$target" "$runs" "$cov" "$(ls "$corpus" | wc -l)")")
done
log "every target ran ${seconds}s without a failure:"
printf '  %s\n' "${summary[@]}" >&2
