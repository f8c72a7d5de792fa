#!/usr/bin/env bash
# Fuzzes one harness with libFuzzer for a bounded time, or merges what a run found into the committed corpus.
#
#   fuzz/run.sh HARNESS SECONDS [libFuzzer flags...]   fuzz; stops by itself after SECONDS
#   fuzz/run.sh --merge HARNESS                        minimise the run's corpus into fuzz/corpus/HARNESS
#
# HARNESS is chat, udp-registry or echo. Needs clang and libfuzzer-14-dev (Debian), and the .NET SDK.
# Everything is built under $FUZZ_OUT (default /tmp/pipechat-fuzz): the driver, the harness runner with an
# instrumented PipeChat.Core.dll, the sharpfuzz tool, the working corpus and any crashing inputs
# ($FUZZ_OUT/HARNESS/artifacts/crash-*).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${FUZZ_OUT:-${TMPDIR:-/tmp}/pipechat-fuzz}
libfuzzer=${LIBFUZZER_LIB:-/usr/lib/llvm-14/lib/libFuzzer.a}

merge=0
if [[ ${1:-} == --merge ]]; then
    merge=1
    shift
fi

harness=${1:?usage: fuzz/run.sh HARNESS SECONDS [libFuzzer flags...] | fuzz/run.sh --merge HARNESS}
[[ -d $root/fuzz/corpus/$harness ]] || { echo "unknown harness $harness (see fuzz/corpus/)" >&2; exit 2; }
if ((merge == 0)); then
    seconds=${2:?usage: fuzz/run.sh HARNESS SECONDS}
    shift 2
else
    shift
fi

mkdir -p "$out"

# The sharpfuzz tool at the version of the SharpFuzz package (Directory.Packages.props).
version=$(sed -n 's/.*Include="SharpFuzz" Version="\([^"]*\)".*/\1/p' "$root/Directory.Packages.props")
if [[ ! -x $out/tools/sharpfuzz ]] || ! grep -q "$version" "$out/tools/version" 2>/dev/null; then
    rm -rf "$out/tools"
    dotnet tool install SharpFuzz.CommandLine --version "$version" --tool-path "$out/tools" >/dev/null
    echo "$version" >"$out/tools/version"
fi

# The driver: libFuzzer's main plus the bridge to the .NET process.
driver=$out/libfuzzer-dotnet
if [[ ! -x $driver || $root/fuzz/driver/libfuzzer-dotnet.c -nt $driver ]]; then
    clang -Werror -Wall -O2 "$root/fuzz/driver/libfuzzer-dotnet.c" "$libfuzzer" -lstdc++ -lpthread -lm -o "$driver"
fi

# The runner, with the product assembly instrumented for coverage (only PipeChat.Core: the harnesses
# and the framework are not what is being explored).
# Built per harness, so that runs of different harnesses can go on side by side.
bin=$out/$harness/bin
rm -rf "$bin"
dotnet build "$root/fuzz/PipeChat.Fuzz/PipeChat.Fuzz.csproj" -c Release -o "$bin" -v quiet -nologo >/dev/null
"$out/tools/sharpfuzz" "$bin/PipeChat.Core.dll" >/dev/null

work=$out/$harness/corpus
artifacts=$out/$harness/artifacts/
mkdir -p "$work" "$artifacts"
target=(--target_path="$bin/PipeChat.Fuzz" --target_arg="$harness")

if ((merge == 1)); then
    # Keeps fuzz/corpus/HARNESS as it is and adds only inputs that bring new coverage: first cut to 1 KiB
    # (most features at a fraction of the size, so the committed corpus stays small), then whole
    # inputs for any edge only a longer input reaches.
    "$driver" "${target[@]}" -merge=1 -max_len=1024 "$root/fuzz/corpus/$harness" "$work"
    exec "$driver" "${target[@]}" -merge=1 -use_counters=0 "$root/fuzz/corpus/$harness" "$work"
fi

cp -n "$root/fuzz/corpus/$harness"/* "$work"/
exec "$driver" "${target[@]}" \
    -max_total_time="$seconds" -timeout=10 -max_len=4096 \
    -dict="$root/fuzz/chat.dict" -artifact_prefix="$artifacts" -print_final_stats=1 \
    "$@" "$work"
