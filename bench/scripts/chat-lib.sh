# shellcheck shell=bash
# Sourced by chat-compare.sh and chat-ab.sh: the tools, and one chat run against one server.
# Sets root, lg (loadgen), dll (pipechat's Release build; built if missing).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# The C load generator is not part of this repository: TOOLS names the folder holding loadgen/.
tools=${TOOLS:-}
if [[ -z $tools || ! -d $tools/loadgen ]]; then
  echo "chat-lib.sh: needs the independent C load generator (not part of this repository): set TOOLS to the folder holding loadgen/${tools:+ (there is none in $tools)}" >&2
  exit 2
fi
make -s -C "$tools/loadgen" >/dev/null
lg=${PIPECHAT_TOOLS_DIR:-${TMPDIR:-/tmp}/pipechat-tools/$(id -u)}/build/loadgen
dll=${PIPECHAT_DLL:-$root/src/PipeChat.Cli/bin/Release/net10.0/pipechat.dll}  # PIPECHAT_DLL: another build
[[ -f $dll ]] || dotnet build -c Release "$root/src/PipeChat.Cli" >/dev/null
# capacity_args DLL: sets cap to (--max-line-rate 0) when that build has the option, else to (). These are
# capacity runs: they measure how fast pipechat relays, which its per-member flood limit would cap.
capacity_args() {
  cap=()
  if dotnet "$1" chat --help 2>/dev/null | grep -q -- '--max-line-rate'; then cap=(--max-line-rate 0); fi
}
ncat_server=(ncat --broker --chat --max-conns 2000 -l 127.0.0.1)
# TLS_CERT and TLS_KEY (PEM files): every server speaks TLS (pipechat --tls-cert/--tls-key, ncat --ssl) and
# loadgen connects with --tls; tls_args holds pipechat's options for the callers' command lines.
tls_args=() tls_load=()
if [[ -n ${TLS_CERT:-} ]]; then
  tls_args=(--tls-cert "$TLS_CERT" --tls-key "${TLS_KEY:?TLS_KEY goes with TLS_CERT}")
  tls_load=(--tls)
  ncat_server=(ncat --ssl --ssl-cert "$TLS_CERT" --ssl-key "$TLS_KEY" --broker --chat --max-conns 2000 -l 127.0.0.1)
fi

# serve PORT CMD...: starts CMD, which listens on PORT, in a session of its own, bounded by
# timeout; sets launcher and pid (the process that listens on PORT). Fails if none does within 30 s (a busy box starts dotnet slowly).
serve() {
  local port=$1; shift
  setsid timeout 150 "$@" >/dev/null 2>&1 &
  launcher=$! pid=
  for _ in $(seq 1 300); do
    pid=$(ss -ltnpH "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
    [[ -n $pid ]] && return 0
    kill -0 "$launcher" 2>/dev/null || break  # exited, e.g. the port was taken
    sleep 0.1
  done
  unserve
  return 1
}

unserve() {
  kill -TERM -- -"$launcher" 2>/dev/null
  [[ -n ${pid:-} ]] && kill -TERM "$pid" 2>/dev/null
  wait "$launcher" 2>/dev/null
}

# chat_load PORT MEMBERS RATE NCAT(0|1): one loadgen chat run against the server in pid; sets out (its RESULT line).
# 1 publisher, a 16-line window, SECS measured after WARMUP. ncat's backlog is small and it announces every
# join to everyone: its connects are paced, slower for big rooms so they fit loadgen's 25 s connect phase.
chat_load() {
  local pace=()
  [[ $4 == 1 ]] && pace=(-r $(( $2 >= 1000 ? 60 : ${#tls_load[@]} > 0 ? 100 : 200 )))
  out=$("$lg" chat -p "$1" -c "$2" -P 1 -R "$3" -W 16 -t "${SECS:-5}" -w "${WARMUP:-1}" -S "$pid" "${pace[@]}" "${tls_load[@]}" 2>/dev/null | grep '^RESULT')
}

# get NAME: a field of out.
get() { grep -o " $1=[^ ]*" <<<" $out" | head -1 | cut -d= -f2; }
