#!/usr/bin/env bash
# A simulated cluster on this machine, for the MPI tests and the report:
# N "hosts" that are network namespaces on a bridge, each with its own
# address and host name, a launcher agent that mpirun uses instead of ssh,
# and a hostfile that tvp reads (`tvp run -b mpi --hostfile HOSTFILE`).
#
#   scripts/sim-cluster.sh up N [RATE]   N hosts (1-50); RATE (tc syntax, e.g.
#                                        1gbit) limits every host's link
#   scripts/sim-cluster.sh down          remove every namespace, link and file it made
#   scripts/sim-cluster.sh limit RATE|off   set or lift the bandwidth limit
#   scripts/sim-cluster.sh unplug HOST | plug HOST   take a host's link down / up
#   scripts/sim-cluster.sh status        exit 0 and print the hostfile when up;
#                                        otherwise exit 1 and say why not
#
# Everything lives in the private test subnet 198.18.213.0/24 (RFC 2544's
# benchmarking range), on this machine only: the bridge `tvpsim0` holds
# 198.18.213.254 (mpirun's side), host K is the namespace `tvp-sim-K` at
# 198.18.213.K with its end of the veth pair `tvpsimK`. Files go to
# $TVP_SIM_DIR (default /run/tvp-sim-cluster): `hostfile`, `agent`, `hosts`,
# `rate`, and each host's TMPDIR and shared-memory dir under `host/`.
#
# The hosts share this machine's cores, memory and file system: what they
# show is the cost of the protocol and the link, not a cluster's speedup.
# Needs root, iproute2 (`ip netns`, `tc`) and util-linux (`unshare`,
# `setpriv`).
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=${TVP_SIM_DIR:-/run/tvp-sim-cluster}
NET=198.18.213
BRIDGE=tvpsim0
MAX_HOSTS=50

die() {
    echo "sim-cluster: $*" >&2
    exit 1
}

usage() {
    sed -n '7,14p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# Why this machine cannot run the cluster, or nothing.
cannot() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "must run as root (it creates network namespaces): sudo $0 up N"
    elif ! command -v ip >/dev/null || ! ip netns list >/dev/null 2>&1; then
        echo "\`ip netns\` is missing or not permitted here: install iproute2, and run where network namespaces are allowed"
    elif ! command -v tc >/dev/null; then
        echo "\`tc\` is missing: install iproute2"
    elif ! command -v unshare >/dev/null || ! command -v setpriv >/dev/null; then
        echo "\`unshare\` or \`setpriv\` is missing: install util-linux"
    fi
}

is_up() {
    [ -f "$DIR/hosts" ]
}

# The namespaces of the hosts, from the hosts file, else by name.
namespaces() {
    if [ -f "$DIR/hosts" ]; then
        awk '{print $1}' "$DIR/hosts"
    else
        ip netns list 2>/dev/null | awk '$1 ~ /^tvp-sim-[0-9]+$/ {print $1}'
    fi
}

namespace_of() {
    local host=$1
    is_up || die "the simulated cluster is not up: $0 up N"
    awk -v h="$host" '$1 == h || $2 == h {print $1}' "$DIR/hosts" | grep . ||
        die "no simulated host \`$host\`: the hosts are $(awk '{print $1}' "$DIR/hosts" | xargs)"
}

set_rate() {
    local rate=$1 ns link
    for ns in $(namespaces); do
        link=tvpsim${ns#tvp-sim-}
        if [ "$rate" = off ]; then
            ip -n "$ns" link show eth0 >/dev/null 2>&1 &&
                { tc -n "$ns" qdisc del dev eth0 root 2>/dev/null || true; }
            tc qdisc del dev "$link" root 2>/dev/null || true
        else
            # Both directions: what the host sends, and what it receives.
            tc -n "$ns" qdisc replace dev eth0 root tbf rate "$rate" burst 512kb latency 100ms
            tc qdisc replace dev "$link" root tbf rate "$rate" burst 512kb latency 100ms
        fi
    done
    echo "$rate" >"$DIR/rate"
}

down() {
    local ns pid link
    for ns in $(namespaces); do
        # A process left inside keeps the namespace, and so its link, alive.
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -9 "$pid" 2>/dev/null || true
        done
        ip netns del "$ns" 2>/dev/null || true
    done
    for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 |
        grep -E "^tvpsim[0-9]+$" || true); do
        ip link del "$link" 2>/dev/null || true
    done
    # The kernel removes a deleted namespace's links in the background.
    for _ in $(seq 50); do
        ip -o link show 2>/dev/null | grep -q 'tvpsim[0-9]*@' || break
        sleep 0.1
    done
    ip link del "$BRIDGE" 2>/dev/null || true
    rm -rf "$DIR"
}

write_agent() {
    # mpirun runs `agent HOST COMMAND...` where it would run `ssh HOST
    # COMMAND...` (the command starts Open MPI's daemon, orted). The command
    # gets a clean environment, as over ssh, and the host's own host name.
    # It runs as process 1 of a PID namespace of its own, which the agent
    # kills when mpirun dies: then the kernel ends everything in it (the
    # daemon, the ranks), as a remote host's processes die with their ssh
    # session, so a failed job leaves nothing running on a host.
    cat >"$DIR/agent" <<EOF
#!/bin/sh
# The simulated cluster's launcher (written by scripts/sim-cluster.sh).
host=\$1
shift
ns=\$(awk -v h="\$host" '\$1 == h || \$2 == h {print \$1}' "$DIR/hosts")
if [ -z "\$ns" ]; then
    echo "sim-cluster agent: ssh: Could not resolve hostname \$host: no such simulated host" >&2
    exit 255
fi
exec setpriv --pdeathsig KILL ip netns exec "\$ns" \\
    unshare --uts --pid --fork --kill-child=KILL \\
    env -i PATH="$PATH" HOME="\${HOME:-/root}" TMPDIR="$DIR/host/\$ns/tmp" \\
    OMPI_MCA_btl_vader_backing_directory="$DIR/host/\$ns/shm" \\
    sh -c "hostname \$ns && \$*"
EOF
    chmod 755 "$DIR/agent"
}

up() {
    local n=${1:-} rate=${2:-off} i ns link
    [[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le $MAX_HOSTS ] ||
        die "up takes a host count from 1 to $MAX_HOSTS, not \`$n\`"
    local why
    why=$(cannot)
    [ -z "$why" ] || die "$why"
    if is_up || ip link show "$BRIDGE" >/dev/null 2>&1; then
        die "already up (or left half made): run \`$0 down\` first"
    fi
    if ip -o addr show | grep -q " $NET\."; then
        die "the test subnet $NET.0/24 is already in use on this machine: not touching it"
    fi
    trap 'echo "sim-cluster: up failed; removing what it made" >&2; down' ERR
    mkdir -p "$DIR"
    : >"$DIR/hosts.new"
    ip link add "$BRIDGE" type bridge
    ip addr add "$NET.254/24" dev "$BRIDGE"
    ip link set "$BRIDGE" up
    for i in $(seq "$n"); do
        ns=tvp-sim-$i
        link=tvpsim$i
        ip netns add "$ns"
        echo "$ns $NET.$i" >>"$DIR/hosts.new"
        ip link add "$link" type veth peer name eth0 netns "$ns"
        ip link set "$link" master "$BRIDGE" up
        ip -n "$ns" addr add "$NET.$i/24" dev eth0
        ip -n "$ns" link set eth0 up
        ip -n "$ns" link set lo up
        mkdir -p "$DIR/host/$ns/tmp" "$DIR/host/$ns/shm"
    done
    mv "$DIR/hosts.new" "$DIR/hosts"
    write_agent
    {
        echo "# The simulated cluster of scripts/sim-cluster.sh: $n hosts."
        echo "# tvp adds the options on the next line to mpirun (see src/backends/mpi/hosts.rs)."
        echo "#tvp-mpirun-args: --mca plm_rsh_agent $DIR/agent --mca routed direct --mca oob_tcp_if_include $NET.0/24 --mca btl_tcp_if_include $NET.0/24"
        for i in $(seq "$n"); do echo "$NET.$i slots=1"; done
    } >"$DIR/hostfile"
    echo off >"$DIR/rate"
    [ "$rate" = off ] || set_rate "$rate"
    trap - ERR
    echo "sim-cluster: $n hosts up (rate limit: $rate); hostfile: $DIR/hostfile"
}

case "${1:-}" in
up) up "${2:-}" "${3:-off}" ;;
down)
    why=$(cannot)
    [ -z "$why" ] || die "$why"
    down
    echo "sim-cluster: down"
    ;;
limit)
    [ -n "${2:-}" ] || usage
    is_up || die "the simulated cluster is not up: $0 up N"
    set_rate "$2"
    echo "sim-cluster: rate limit $2"
    ;;
unplug | plug)
    [ -n "${2:-}" ] || usage
    ns=$(namespace_of "$2")
    state=$([ "$1" = unplug ] && echo down || echo up)
    ip -n "$ns" link set eth0 "$state"
    echo "sim-cluster: $ns link $state"
    ;;
status)
    why=$(cannot)
    if [ -n "$why" ]; then
        echo "cannot run the simulated cluster here: $why"
        exit 1
    fi
    if ! is_up; then
        echo "the simulated cluster is not up: sudo $0 up 3"
        exit 1
    fi
    echo "$DIR/hostfile"
    ;;
*) usage ;;
esac
