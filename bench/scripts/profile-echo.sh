#!/bin/bash
# Profiles one echo server under the C loadgen (64 B, depth 1): syscall counts per message
# (tracepoints, 4 s inside a 7 s run), then perf record -g (4 s inside a second run).
# usage: profile-echo.sh NAME PORT CONNS "SERVER CMD with {port}"  -> $PROFILE_DIR/NAME.*
# Needs perf (linux-perf) and the independent C loadgen (not part of this repository; make -C $TOOLS/loadgen)
# at ${PIPECHAT_TOOLS_DIR:-${TMPDIR:-/tmp}/pipechat-tools/UID}/build/loadgen.
# PROFILE_DIR defaults to /tmp/perfprof; FREQ (999) is perf record's sampling rate.
set -u
NAME=$1; PORT=$2; CONNS=$3; CMD=${4//\{port\}/$PORT}
L=${PIPECHAT_TOOLS_DIR:-${TMPDIR:-/tmp}/pipechat-tools/$(id -u)}/build
mkdir -p "${PROFILE_DIR:=/tmp/perfprof}"
OUT=$PROFILE_DIR/$NAME
export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
bash -c "exec $CMD" > $OUT.server.log 2>&1 &
SPID=$!
for i in $(seq 100); do ss -ltn | grep -q ":$PORT " && break; sleep 0.1; done
# run 1: syscall counts (tracepoints) over 4 s inside a 7 s measurement
timeout 30 $L/loadgen echo -p $PORT -c $CONNS -s 64 -d 1 -t 7 -w 1 -S $SPID > $OUT.loadgen1.txt 2>&1 &
LG=$!
sleep 3
EV=$(for s in recvfrom sendto recvmsg sendmsg read write epoll_wait epoll_pwait epoll_ctl futex sched_yield; do printf 'syscalls:sys_enter_%s,' $s; done)context-switches,
perf stat -e "${EV}task-clock" -p $SPID -- sleep 4 > $OUT.stat.txt 2>&1
wait $LG
# run 2: perf record
timeout 30 $L/loadgen echo -p $PORT -c $CONNS -s 64 -d 1 -t 7 -w 1 -S $SPID > $OUT.loadgen2.txt 2>&1 &
LG=$!
sleep 3
perf record -F ${FREQ:-999} -g -p $SPID -o $OUT.perf.data -- sleep 4 > $OUT.record.txt 2>&1
wait $LG
kill $SPID; wait $SPID 2>/dev/null
perf report -i $OUT.perf.data --no-children --sort sym --stdio -g none 2>/dev/null | grep -v '^$' | grep '%' | head -60 > $OUT.top.txt
perf report -i $OUT.perf.data --children --sort sym --stdio -g none 2>/dev/null | grep '%' | head -60 > $OUT.children.txt
perf report -i $OUT.perf.data --no-children --sort dso --stdio -g none 2>/dev/null | grep "%" | head -15 > $OUT.dso.txt
