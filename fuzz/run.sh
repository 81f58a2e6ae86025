#!/bin/sh
# Runs each cargo-fuzz target for a fixed time and stops at the first crash.
# Usage: fuzz/run.sh [SECONDS_PER_TARGET (default 600)] [TARGET...]
# Needs a nightly toolchain and `cargo install cargo-fuzz`. Corpora persist in fuzz/corpus/,
# crashing inputs land in fuzz/artifacts/TARGET/.
set -eu
cd "$(dirname "$0")"
secs=${1:-600}
[ $# -gt 0 ] && shift
targets=${*:-"jsonl_reader txt_reader warc_reader http_response html_extract py_split en_tokenizer
    edit_log simplify_text"}
cargo +nightly fuzz build -O
for t in $targets; do
    echo "== $t: ${secs}s"
    # -rss_limit_mb: the readers run with small limits, so 2 GB is only hit by a real leak.
    if ! cargo +nightly fuzz run -O "$t" -- -max_total_time="$secs" -rss_limit_mb=2048 \
        -max_len=1048576; then
        echo "== $t crashed; input in fuzz/artifacts/$t/" >&2
        exit 1
    fi
done
echo "== all targets ran ${secs}s without a crash"
