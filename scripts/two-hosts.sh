#!/usr/bin/env bash
# Two hosts on one machine: `mpirun` training across a real TCP link, and what faults on that link do.
# Root only (network namespaces). Debian packages, installed when missing: iproute2, openmpi-bin,
# python3, zstd; iptables when --delay/--loss is asked of a kernel without netem.
#
#   bash scripts/two-hosts.sh [--steps N]                  2 hosts against 1 process, N steps (20)
#   bash scripts/two-hosts.sh --delay 50ms --loss 1%       the same over a slow, lossy link
#   bash scripts/two-hosts.sh --cut-after 5                the link taken down 5 s into training
#   bash scripts/two-hosts.sh --sweep [--cut-after 1]      a sweep across both, host 2's link cut
#                                                          1 s into its first trial
#                             [--budget-steps 6000]        the sweep's budget in steps
#   options: --charnn PATH (default $CHARNN, else .build/release/charnn, else .build/debug/charnn),
#            --corpus FILE, --seed N, --keep (leave the work folder, named on stderr)
#
# Without --cut-after the last line is the maximum relative difference of the parameters trained on
# two hosts against one process with the same seed and global batch (scripts/two-hosts/compare.py
# says how it is measured); with it, what the cut did.
#
# The hosts. Two network namespaces, charnn-h1-PID and charnn-h2-PID, joined by one veth pair whose
# two ends are both named charnn0: 127.0.10.1/24 on host 1, 127.0.10.2/24 on host 2, with
# net.ipv4.conf.charnn0.route_localnet=1 so that the kernel routes these loopback-range addresses
# over the wire. Each namespace's lo holds 127.0.0.1/32 only (its default 127.0.0.0/8 would make
# 127.0.10.2 local), IPv6 is off on the veth, and there is no other route: no packet can leave the
# pair, and only the two addresses above are ever targeted. The file system is shared, as a
# cluster's shared /home is: checkpoints land in one work folder.
#
# The launcher. mpirun runs on host 1 with a hostfile of 127.0.10.1 and 127.0.10.2 (one slot each:
# rank 0 on host 1, rank 1 on host 2). The launch agent (plm_rsh_agent) that starts host 2's Open
# MPI daemon is `ip netns exec charnn-h2-PID sh -c CMD` instead of `ssh 127.0.10.2 CMD`: Open MPI
# passes it the command line it would pass to ssh, run inside host 2's namespace. Chosen over sshd
# in each namespace because it needs no keys, no listening daemon and no package, and it cannot
# reach anything but the two namespaces; carrying a command line to the other host is all ssh
# would add, and that is not under test. Everything after the start crosses the veth: host 2's
# daemon calls back to mpirun's out-of-band (OOB) channel at 127.0.10.1 (oob_tcp_if_include
# charnn0), which carries wire-up, output forwarding and aborts, and the ranks' gradients go over
# `btl tcp,self` on charnn0 (the byte counters of charnn0 are printed). One difference from ssh:
# the agent is a local process, so a cut link does not end it as it ends an ssh session; Open MPI
# learns of a cut from its OOB connection.
#
# Bounds on a cut link. OOB keepalives (oob_tcp_keepalive_time 2, _intvl 1, _probes 3) declare an
# idle connection dead 2 + 3 x 1 = 5 s after its last traffic; a connection with unacknowledged data
# is bounded instead by the kernel's retransmissions, shortened in both namespaces with
# net.ipv4.tcp_retries2=5 (about 13 s from a 200 ms first timeout). mpirun then kills what is left
# (odls_base_sigkill_timeout 1 s). The script fails if the job outlives the cut by more than 30 s.
#
# Delay and loss. With netem in the kernel: `tc qdisc add dev charnn0 root netem delay D loss P` on
# both ends, so each direction is delayed D and loses P. Kernels built without sch_netem (this
# development machine's: "Error: Specified qdisc kind is unknown") get the same from user space
# (scripts/two-hosts/shaper.py): an iptables NFQUEUE rule on each end's incoming charnn0 packets, held D
# then accepted, or dropped with probability P. Incoming, not outgoing: a packet held on the way
# out still counts against its socket's TCP small-queue budget and throttles the sender to a
# trickle, which netem avoids by orphaning the packet.
#
# Teardown, on any exit (trap EXIT INT TERM): every process in either namespace (mpirun, daemons,
# ranks, shapers) is killed, the namespaces are deleted (which deletes the veth pair), the work
# folder is removed unless --keep.
set -euo pipefail
cd "$(dirname "$0")/.."
repository=$PWD

steps=20 budget_steps=6000 delay="" loss="" cut_after="" sweep=0 keep=0 seed=7 corpus="" charnn="${CHARNN:-}"
usage() { sed -n '2,/^set -euo/p' "$0" | sed -n '/^#   bash/,/^#            --corpus/p' | sed 's/^# \{0,1\}//'; exit 0; }
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) steps="$2"; shift 2 ;;
    --delay) delay="$2"; shift 2 ;;
    --loss) loss="$2"; shift 2 ;;
    --cut-after) cut_after="$2"; shift 2 ;;
    --sweep) sweep=1; shift ;;
    --budget-steps) budget_steps="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --corpus) corpus="$2"; shift 2 ;;
    --charnn) charnn="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage ;;
    *) echo "two-hosts: unknown argument '$1' (see --help)" >&2; exit 64 ;;
  esac
done
[[ "$steps" =~ ^[1-9][0-9]*$ ]] || { echo "two-hosts: --steps must be a positive integer, not '$steps'" >&2; exit 64; }
[[ "$budget_steps" =~ ^[1-9][0-9]*$ ]] || { echo "two-hosts: --budget-steps must be a positive integer, not '$budget_steps'" >&2; exit 64; }
[ -z "$delay" ] || [[ "$delay" =~ ^[0-9]+(\.[0-9]+)?ms$ ]] || { echo "two-hosts: --delay takes milliseconds, as 50ms" >&2; exit 64; }
[ -z "$loss" ] || [[ "$loss" =~ ^[0-9]+(\.[0-9]+)?%$ ]] || { echo "two-hosts: --loss takes a percentage, as 1%" >&2; exit 64; }
[ -z "$cut_after" ] || [[ "$cut_after" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "two-hosts: --cut-after takes seconds, as 5" >&2; exit 64; }
if [ "$sweep" -eq 1 ] && [ -z "$cut_after" ]; then cut_after=1; fi
[ "$(id -u)" -eq 0 ] || { echo "two-hosts: needs root (network namespaces); run it with sudo" >&2; exit 1; }

# --- Packages -------------------------------------------------------------------------------------
needed=()
command -v ip >/dev/null || needed+=(iproute2)
command -v mpirun >/dev/null || needed+=(openmpi-bin)
command -v python3 >/dev/null || needed+=(python3)
command -v zstd >/dev/null || needed+=(zstd)
if [ ${#needed[@]} -gt 0 ]; then
  echo "two-hosts: installing ${needed[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "${needed[@]}" >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq "${needed[@]}" >/dev/null; }
fi

if [ -z "$charnn" ]; then
  for candidate in .build/release/charnn .build/debug/charnn; do
    if [ -x "$candidate" ]; then charnn="$repository/$candidate"; break; fi
  done
fi
[ -n "$charnn" ] && [ -x "$charnn" ] || { echo "two-hosts: no charnn binary; run swift build -c release, or pass --charnn" >&2; exit 1; }
charnn="$(cd "$(dirname "$charnn")" && pwd)/$(basename "$charnn")"

# --- Teardown -------------------------------------------------------------------------------------
host1="charnn-h1-$$" host2="charnn-h2-$$"
work="$(mktemp -d /tmp/charnn-two-hosts.XXXXXX)"
namespaces=() children=()
teardown() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${children[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for ns in "${namespaces[@]}"; do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -z "$pids" ] || kill -TERM $pids 2>/dev/null || true
  done
  sleep 0.3
  for ns in "${namespaces[@]}"; do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
    ip netns delete "$ns" 2>/dev/null || true
  done
  for pid in "${children[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  if [ "$keep" -eq 1 ]; then echo "two-hosts: work folder kept: $work" >&2; else rm -rf "$work"; fi
  exit "$status"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- The corpus -----------------------------------------------------------------------------------
# 100 kB of English: the given file, else tinyshakespeare from the mirror CI names, else a text
# generated here (seeded, so every run of this script trains on the same characters).
if [ -z "$corpus" ]; then
  for candidate in "${CHARNN_CORPUS_MIRROR:-/nonexistent}/tinyshakespeare.txt" ../shared/corpora/tinyshakespeare.txt \
                   corpora/tinyshakespeare.txt; do
    if [ -f "$candidate" ]; then corpus="$candidate"; break; fi
  done
fi
if [ -n "$corpus" ]; then
  head -c 100000 "$corpus" > "$work/corpus.txt"
else
  python3 - "$work/corpus.txt" <<'EOF'
import random, sys
words = ("the king and queen of a little town went to see what night would bring upon their house but no "
         "one knew why my lord shall we speak now or never sweet friend come hither thou art gentle brave").split()
rng, lines, size = random.Random(42), [], 0
while size < 100_000:
    line = " ".join(rng.choice(words) for _ in range(rng.randint(4, 11))).capitalize() + rng.choice(".,!?;:")
    lines.append(line)
    size += len(line) + 1
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
EOF
fi

# --- The two hosts --------------------------------------------------------------------------------
address() { echo "127.0.10.$1"; }
ip netns add "$host1"; namespaces+=("$host1")
ip netns add "$host2"; namespaces+=("$host2")
ip link add name charnn0 netns "$host1" type veth peer name charnn0 netns "$host2"
index=1
for ns in "$host1" "$host2"; do
  ip -n "$ns" link set lo up
  ip -n "$ns" addr del 127.0.0.1/8 dev lo
  ip -n "$ns" addr add 127.0.0.1/32 dev lo
  ip netns exec "$ns" sysctl -q -w net.ipv4.conf.charnn0.route_localnet=1 net.ipv6.conf.charnn0.disable_ipv6=1 \
    net.ipv4.tcp_retries2=5
  ip -n "$ns" addr add "$(address $index)/24" dev charnn0
  ip -n "$ns" link set charnn0 up
  index=$((index + 1))
done
routes="$(ip -n "$host2" route show; ip -n "$host2" route show table local | grep -v '^broadcast')"
echo "two-hosts: $host1 $(address 1) <-> $host2 $(address 2) over veth charnn0; host 2's routes: $(echo "$routes" | tr '\n' ';')" >&2

# The launch agent: Open MPI calls it as `AGENT HOST COMMAND...`, as it would call ssh.
cat > "$work/agent" <<EOF
#!/bin/sh
host=\$1; shift
case "\$host" in
  $(address 1)) ns=$host1 ;;
  $(address 2)) ns=$host2 ;;
  *) echo "two-hosts agent: no host \$host" >&2; exit 255 ;;
esac
exec ip netns exec "\$ns" /bin/sh -c "\$*"
EOF
chmod +x "$work/agent"
printf '%s slots=1\n%s slots=1\n' "$(address 1)" "$(address 2)" > "$work/hosts"

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
mpirun_flags=(--allow-run-as-root -np 2 --hostfile "$work/hosts" --map-by node --bind-to none
  --mca plm_rsh_agent "$work/agent"
  --mca btl tcp,self --mca btl_tcp_if_include charnn0 --mca oob_tcp_if_include charnn0
  --mca oob_tcp_keepalive_time 2 --mca oob_tcp_keepalive_intvl 1 --mca oob_tcp_keepalive_probes 3
  --mca odls_base_sigkill_timeout 1 -x OPENBLAS_NUM_THREADS)
model=(--layers 2 --hidden 128 --threads 1 --seed "$seed")

# Runs mpirun on host 1; arguments are charnn's.
on_two_hosts() { ip netns exec "$host1" mpirun "${mpirun_flags[@]}" "$charnn" "$@"; }

# Runs a command in the background and waits for it: bash runs a trap only once the foreground
# command is over, but interrupts `wait` at once, so Ctrl-C tears down while mpirun still runs.
waited() {
  "$@" &
  local pid=$!
  children+=("$pid")
  wait "$pid"
}

now() { date +%s.%N; }
seconds_between() { python3 -c "print(f'{$2 - $1:.1f}')"; }

link_bytes() {
  ip -n "$host1" -s link show charnn0 | awk '/RX:/ {getline; rx=$1} /TX:/ {getline; tx=$1} END {print rx + tx}'
}

# "done: 20 steps in 0:16, 3,061 chars/s" -> 3061
chars_per_second() { grep -oE 'done: [0-9]+ steps in [0-9:]+, [0-9,]+ chars/s' "$1" | tail -1 | awk '{print $(NF-1)}' | tr -d ,; }

shaper="none" shapers=()
shape_link() {  # delay "50ms", loss "1%"
  local d="${delay:-0ms}" p="${loss:-0%}"
  if ip netns exec "$host1" tc qdisc add dev charnn0 root netem delay "$d" loss "$p" limit 100000 2>/dev/null; then
    ip netns exec "$host2" tc qdisc add dev charnn0 root netem delay "$d" loss "$p" limit 100000
    shaper="netem (tc qdisc netem delay $d loss $p on both ends)"
    return
  fi
  if ! command -v iptables >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iptables >/dev/null 2>&1 \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iptables >/dev/null; }
  fi
  for ns in "$host1" "$host2"; do
    ip netns exec "$ns" iptables -A INPUT -i charnn0 -j NFQUEUE --queue-num 0
    ip netns exec "$ns" python3 "$repository/scripts/two-hosts/shaper.py" 0 "${d%ms}" "${p%\%}" "$seed" \
      2>> "$work/shaper.log" &
    shapers+=($!)
  done
  sleep 0.5
  shaper="user space: this kernel has no netem; scripts/two-hosts/shaper.py holds incoming packets ${d}, drops ${p}, on both ends"
}

# --- One process ----------------------------------------------------------------------------------
train_flags=("$work/corpus.txt" "${model[@]}" --steps "$steps" --log-every 10)

if [ -z "$cut_after" ]; then
  waited "$charnn" train "${train_flags[@]}" --out "$work/one" > "$work/one.log" 2>&1 \
    || { cat "$work/one.log" >&2; echo "two-hosts: training in one process failed" >&2; exit 1; }
  echo "one process:   $steps steps, $(chars_per_second "$work/one.log") chars/s" >&2

  run_two() {  # label out
    local before after started ended
    before=$(link_bytes); started=$(now)
    waited on_two_hosts train "${train_flags[@]}" --out "$work/$2" > "$work/$2.log" 2>&1 \
      || { tail -30 "$work/$2.log" >&2; echo "two-hosts: training on two hosts ($1) failed" >&2; exit 1; }
    ended=$(now); after=$(link_bytes)
    grep -q "data-parallel over 2 ranks" "$work/$2.log" \
      || { cat "$work/$2.log" >&2; echo "two-hosts: mpirun did not start 2 ranks" >&2; exit 1; }
    grep -q "weights identical on all 2 ranks" "$work/$2.log" \
      || { cat "$work/$2.log" >&2; echo "two-hosts: the ranks' weights differ" >&2; exit 1; }
    echo "two hosts ($1): $steps steps, $(chars_per_second "$work/$2.log") chars/s, mpirun $(seconds_between "$started" "$ended") s, $(( (after - before) / 1000 )) kB over charnn0" >&2
  }
  run_two "plain link" two
  plain="$(python3 scripts/two-hosts/compare.py "$work/two/latest.safetensors.zst" "$work/one/latest.safetensors.zst")"
  if [ -n "$delay$loss" ]; then
    echo "two hosts, plain link, against one process: $plain" >&2
    shape_link
    echo "link: $shaper" >&2
    run_two "delay ${delay:-0ms}, loss ${loss:-0%}" shaped
    if [ ${#shapers[@]} -gt 0 ]; then  # they print their counts as they stop
      kill -TERM "${shapers[@]}" 2>/dev/null || true
      wait "${shapers[@]}" 2>/dev/null || true
      grep -h 'packets held' "$work/shaper.log" >&2 || true
    fi
    plain_speed=$(chars_per_second "$work/two.log") shaped_speed=$(chars_per_second "$work/shaped.log")
    echo "slowdown against the plain link: $(python3 -c "print(f'{$plain_speed / $shaped_speed:.2f}x')") ($plain_speed -> $shaped_speed chars/s)" >&2
    echo "two hosts, delay ${delay:-0ms}, loss ${loss:-0%}, against one process after $steps steps: $(python3 scripts/two-hosts/compare.py "$work/shaped/latest.safetensors.zst" "$work/one/latest.safetensors.zst")"
  else
    echo "two hosts against one process after $steps steps: $plain"
  fi
  exit 0
fi

# --- A cut link -----------------------------------------------------------------------------------
# Waits for the background job $1 (a pid) at most $2 seconds; sets $status to its exit status, or
# to "timeout" (the job is left running for the teardown).
wait_bounded() {
  local pid=$1 limit=$2 started=$SECONDS
  while kill -0 "$pid" 2>/dev/null; do
    if [ $((SECONDS - started)) -ge "$limit" ]; then status=timeout; return; fi
    sleep 0.1
  done
  status=0; wait "$pid" || status=$?
}

# The lost rank, as mpirun names it: "Remote daemon: [[…],1] on node 127.0.10.2" → the rank mapped
# to that node (rank r runs on host r+1).
lost_rank_line() {  # log cut-time end-time
  local node rank
  node=$(grep -oE 'Remote daemon: *\[\[[0-9]+,[0-9]+\],[0-9]+\] on node [0-9.]+' "$1" | head -1 | awk '{print $NF}')
  if [ -n "$node" ]; then
    rank=$(( ${node##*.} - 1 ))
    echo "lost rank $rank (host ${node##*.}, $node): mpirun lost its daemon there and ended the job $(seconds_between "$2" "$3") s after the cut"
  else
    echo "no lost daemon named by mpirun; its last lines: $(tail -3 "$1" | tr '\n' ' ')"
  fi
}

if [ "$sweep" -eq 0 ]; then
  out="$work/cut"
  on_two_hosts train "$work/corpus.txt" "${model[@]}" --steps 1000000 --save-every 10 --log-every 10 \
    --out "$out" > "$work/cut.log" 2>&1 &
  job=$!; children+=("$job")
  started=$SECONDS
  # Not before the first save: the point is what is on disk after the cut.
  while [ ! -f "$out/latest.safetensors.zst" ] && kill -0 "$job" 2>/dev/null && [ $((SECONDS - started)) -lt 120 ]; do
    sleep 0.1
  done
  remaining=$(python3 -c "print(max(0, $cut_after - ($SECONDS - $started)))")
  sleep "$remaining"
  kill -0 "$job" 2>/dev/null || { cat "$work/cut.log" >&2; echo "two-hosts: training ended before the cut" >&2; exit 1; }
  saved_before=$("$charnn" info --json "$out/latest.safetensors.zst" 2>/dev/null \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["training"]["step"])' 2>/dev/null || echo none)
  cut=$(now)
  ip -n "$host2" link set charnn0 down
  echo "cut: host 2's charnn0 down $((SECONDS - started)) s into training (latest on disk: step $saved_before)" >&2
  wait_bounded "$job" 30
  ended=$(now)
  if [ "$status" = timeout ]; then
    tail -20 "$work/cut.log" >&2
    echo "two-hosts: the job still ran 30 s after the cut" >&2; exit 1
  fi
  echo "mpirun exited with $status; its last progress line and what followed:" >&2
  awk '/^step /{buffer = $0 "\n"; next} {buffer = buffer $0 "\n"} END {printf "%s", buffer}' "$work/cut.log" \
    | head -30 | sed 's/^/  | /' >&2
  # Host 2, cut off, has to notice by itself: its daemon's own keepalives end it and its rank.
  for _ in $(seq 1 100); do
    [ -n "$(ip netns pids "$host2")" ] || break
    sleep 0.1
  done
  left=$(ip netns pids "$host2" | xargs -r -n1 sh -c 'tr "\0" " " < /proc/$0/cmdline | cut -c1-60' 2>/dev/null | tr '\n' ';')
  echo "host 2 after the cut: ${left:-its daemon and rank gone by themselves by $(seconds_between "$cut" "$(now)") s after the cut}" >&2
  # Everything on disk is whole: each checkpoint loads, no temporary is left.
  for file in "$out"/*.safetensors.zst; do
    "$charnn" info "$file" > /dev/null 2> "$work/info.err" \
      || { cat "$work/info.err" >&2; echo "two-hosts: $file does not load after the cut" >&2; exit 1; }
  done
  leftovers=$(find "$out" -name '.*tmp*' | wc -l)
  step=$("$charnn" info --json "$out/latest.safetensors.zst" | python3 -c 'import json, sys; print(json.load(sys.stdin)["training"]["step"])')
  waited "$charnn" train "$work/corpus.txt" --out "$out" --resume --steps $((step + 5)) --threads 1 > "$work/resume.log" 2>&1 \
    || { cat "$work/resume.log" >&2; echo "two-hosts: --resume after the cut failed" >&2; exit 1; }
  resumed=$("$charnn" info --json "$out/latest.safetensors.zst" | python3 -c 'import json, sys; print(json.load(sys.stdin)["training"]["step"])')
  echo "latest after the cut: step $step, loads (charnn info), $leftovers temporaries left; --resume in one process: step $step -> $resumed" >&2
  lost_rank_line "$work/cut.log" "$cut" "$ended"
  exit 0
fi

# --- A sweep with host 2's link cut -------------------------------------------------------------
out="$work/sweep"
export CHARNN_SWEEP_STALE_SECONDS=3
mpirun_flags+=(--enable-recovery -x CHARNN_SWEEP_STALE_SECONDS)
# Trials of several seconds each (375 steps of 16 x 32 characters in rung 1), so that host 2 is
# running one when it learns of the cut: until then it works on, through the shared folder.
on_two_hosts sweep "$work/corpus.txt" --hidden 96,128,160 --lr 3e-3,1e-2 --layers 1 --embed 16 --batch 16 --seq 32 \
  --budget-steps "$budget_steps" --val-every 100 --seed "$seed" --out "$out" > "$work/sweep.out" 2> "$work/sweep.log" &
job=$!; children+=("$job")
# The cut comes --cut-after seconds after rank 1's first trial (trial 1) has started.
for _ in $(seq 1 600); do
  if [ -f "$out/mpi/pid-1" ] && [ -f "$out/trials/001/train.log" ]; then break; fi
  kill -0 "$job" 2>/dev/null || break
  sleep 0.1
done
sleep "$cut_after"
kill -0 "$job" 2>/dev/null || { cat "$work/sweep.log" >&2; echo "two-hosts: the sweep ended before the cut" >&2; exit 1; }
cut=$(now)
ip -n "$host2" link set charnn0 down
echo "cut: host 2's charnn0 down while rank 1 runs a trial" >&2
# Rank 0 has finished when the sweep's table is out; it ends mpirun 10 s later if mpirun is still
# waiting for host 2's daemon (Open MPI does under --enable-recovery). 30 s, then this script ends it.
finished=""
for _ in $(seq 1 3000); do
  kill -0 "$job" 2>/dev/null || break
  if [ -z "$finished" ] && grep -q '^winner:' "$work/sweep.out" 2>/dev/null; then finished=$(now); fi
  if [ -n "$finished" ] && [ "$(python3 -c "print(int($(now) - $finished >= 30))")" = 1 ]; then break; fi
  sleep 0.1
done
ended=$(now)
hung=""
if kill -0 "$job" 2>/dev/null; then
  if [ -n "$finished" ]; then
    hung="mpirun still running 30 s after rank 0 finished the sweep (ended by this script)"
  else
    hung="the sweep still running 300 s after the cut (ended by this script)"
  fi
  kill -TERM "$job" 2>/dev/null || true
  status=killed
else
  status=0; wait "$job" || status=$?
fi
after_finish=""
[ -z "$finished" ] || after_finish=", $(seconds_between "$finished" "$ended") s after rank 0 finished the sweep"
echo "mpirun --enable-recovery: ${hung:-exited with $status $(seconds_between "$cut" "$ended") s after the cut$after_finish}; its stderr, progress aside:" >&2
grep -vE '^(step |  trial [0-9]+: charnn)' "$work/sweep.log" | sed 's/^/  | /' >&2
if grep -q '^winner:' "$work/sweep.out" 2>/dev/null; then
  rerun=$(grep -oE 'trial [0-9]+: its rank [^;]*; the trial runs again' "$work/sweep.log" | tr '\n' ' ' || true)
  echo "sweep finished after host 2's link was cut: ${rerun:-no trial rerun}; $(grep '^winner:' "$work/sweep.out" | cut -d'(' -f1); ${hung:-mpirun exited with $status$after_finish}"
else
  echo "sweep did not finish: mpirun exited with $status $(seconds_between "$cut" "$ended") s after the cut; $(lost_rank_line "$work/sweep.log" "$cut" "$ended")"
fi
