# shellcheck shell=bash
# Shared definitions of the lab: paths, names, addresses, access to nodes.
# Sourced by tests/lab/lab and tests/lab/lib.sh; defines only variables and
# functions.

LAB_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)    # tests/lab
LAB_REPO=$(cd "$LAB_HOME/../.." && pwd)

# State directory.  Not under /run, /var/log, /var/lib/... : those paths are
# private inside the nodes, and the VM definitions here must be seen by all.
: "${LAB_DIR:=/var/tmp/drover-lab}"
case $LAB_DIR in /*) ;; *) LAB_DIR=$PWD/$LAB_DIR ;; esac
# Prefix of the named network namespaces holding the bridges.
: "${LAB_PREFIX:=dlab}"
# The agent managing the VMs, as class:provider:type.
: "${LAB_VM_AGENT:=ocf:heartbeat:VirtualDomain}"
# Where the guest kernel and initrd are (tests/lab/guest/build makes them).
: "${LAB_GUEST_DIR:=$LAB_REPO/build/lab/guest}"
# drover's agents: $LAB_OCF_DIR/drover/<Agent>.
: "${LAB_OCF_DIR:=$LAB_REPO/build/ocf}"

# shellcheck disable=SC2034  # used by the files that source this one
LAB_NETS=(mgmt lm1 lm2)
# shellcheck disable=SC2034
LAB_MAX_NODES=5
LAB_ENV_PATH=/usr/sbin:/usr/bin:/sbin:/bin

lab_say() { printf 'lab: %s\n' "$*" >&2; }
lab_die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }

# Seconds since the epoch with milliseconds, and elapsed time since $1.
lab_now() { date +%s.%N; }
lab_since() { awk -v a="$1" -v b="$(lab_now)" 'BEGIN { printf "%.1f", b - a }'; }

# lab_wait SECONDS WHAT CMD...: poll CMD until it succeeds, or fail.
lab_wait() {
    local secs=$1 what=$2 deadline
    shift 2
    deadline=$(($(date +%s%N) + secs * 1000000000))
    until "$@"; do
        if [ "$(date +%s%N)" -gt "$deadline" ]; then
            lab_say "timeout after $secs s waiting for $what"
            return 1
        fi
        sleep 0.2
    done
}

# --- names and addresses ---------------------------------------------------

# Index of a network: mgmt 0, lm1 1, lm2 2 (the third octet).
lab_net_index() {
    case $1 in
    mgmt) echo 0 ;;
    lm1) echo 1 ;;
    lm2) echo 2 ;;
    *) return 1 ;;
    esac
}

lab_check_net() {
    lab_net_index "$1" >/dev/null || lab_die "unknown network '$1' (mgmt, lm1, lm2)"
}

# Number of a node name: n3 -> 3.
lab_node_index() {
    [[ $1 =~ ^n([1-9])$ ]] || return 1
    echo "${BASH_REMATCH[1]}"
}

lab_netns() { echo "$LAB_PREFIX-$1"; }            # bridge namespace of a net
lab_addr() {                                       # IPv4 of NODE on NET
    echo "10.20.$(lab_net_index "$2").$((10 + $(lab_node_index "$1")))"
}
lab_addr6() { echo "fd00:20:2::$((10 + $(lab_node_index "$1")))"; }  # lm2

# --- lab state -------------------------------------------------------------

lab_node_dir() { echo "$LAB_DIR/nodes/$1"; }
lab_node_root() { echo "$LAB_DIR/nodes/$1/root"; }

# --- releases --------------------------------------------------------------

# The machine's own Debian release: its nodes run on / itself.  A node of
# another release runs on that release's root (tests/lab/rootfs), with
# drover built there (build/<release>).
LAB_HOST_RELEASE=$(. /etc/os-release && echo "${VERSION_ID%%.*}")
LAB_RELEASES="12 13"

lab_check_release() {
    case " $LAB_RELEASES " in
    *" $1 "*) ;;
    *) lab_die "unknown release '$1' (one of: $LAB_RELEASES)" ;;
    esac
}

# Release NODE runs (its last boot's).
lab_node_release() {
    cat "$(lab_node_dir "$1")/release" 2>/dev/null || echo "$LAB_HOST_RELEASE"
}

# Root filesystem of RELEASE: / for the machine's own.
lab_release_root() {
    if [ "$1" = "$LAB_HOST_RELEASE" ]; then echo /; else "$LAB_HOME/rootfs" path "$1"; fi
}

# drover's build tree for RELEASE.
lab_release_build() {
    if [ "$1" = "$LAB_HOST_RELEASE" ]; then echo "$LAB_REPO/build"; else echo "$LAB_REPO/build/$1"; fi
}

# The root of RELEASE made (first use) and drover built in it, current.
lab_release_ready() {
    [ "$1" = "$LAB_HOST_RELEASE" ] && return 0
    make -s -C "$LAB_REPO" "release-$1" >&2 ||
        lab_die "could not make the Debian $1 root or build drover in it"
}

# Node count of the running (or last) lab.
lab_node_count() {
    local n=0
    [ -r "$LAB_DIR/lab.env" ] && n=$(sed -n 's/^nodes=//p' "$LAB_DIR/lab.env")
    echo "${n:-0}"
}

lab_nodes() {
    local i n
    n=$(lab_node_count)
    for ((i = 1; i <= n; i++)); do echo "n$i"; done
}

lab_check_node() {
    local i
    i=$(lab_node_index "$1") || lab_die "unknown node '$1' (n1..n$(lab_node_count))"
    [ "$i" -le "$(lab_node_count)" ] || lab_die "no node $1 (the lab has $(lab_node_count))"
}

# PID (in the machine's namespace) of NODE's init, if the node is up.
lab_node_pid() {
    _lab_node_pid "$1" && echo "$_lab_pid"
}

# PID's start time (clock ticks since boot): with the PID, it names one
# process, whatever PIDs the kernel hands out later.
lab_proc_start() {
    local stat f
    read -r stat <"/proc/$1/stat" 2>/dev/null || return 1
    read -ra f <<<"${stat##*) }" # after "PID (comm) ": state is f[0]
    echo "${f[19]}"
}

# NODE's init PID in _lab_pid, unless it died (gone, a zombie, or its PID
# now someone else's).  Builtins only, no fork: every command a test
# sends into a node passes here, and forks cost a loaded lab its time.
_lab_node_pid() {
    local dir=$LAB_DIR/nodes/$1 pid start stat f
    _lab_pid=
    { read -r pid <"$dir/pid" && read -r start <"$dir/pid.start" &&
        read -r stat <"/proc/$pid/stat"; } 2>/dev/null || return 1
    read -ra f <<<"${stat##*) }"
    [ "${f[0]}" != Z ] && [ "${f[19]}" = "$start" ] || return 1
    _lab_pid=$pid
}

lab_node_up() { _lab_node_pid "$1"; }

# Run a command inside NODE with all its namespaces, in the caller's working
# directory when the node sees it (nsenter -m would change to / otherwise).
# The exit code is the command's.
lab_node_run() {
    local node=$1 pid wd=/
    shift
    _lab_node_pid "$node" || { lab_say "node $node is down"; return 125; }
    pid=$_lab_pid
    [ -z "${LAB_TRACE:-}" ] || echo "$EPOCHREALTIME $node $*" >>"$LAB_TRACE"
    [ -d "/proc/$pid/root$PWD" ] && wd=$PWD
    # nsenter forks CMD into the node and does not pass signals on: should
    # nsenter die (timeout, Ctrl-C), CMD dies with it.
    # -r: the node's root (another release's, or the machine's).
    nsenter -t "$pid" -m -n -u -i -p -r -w -- \
        setpriv --pdeathsig KILL -- env --chdir="$wd" -- "$@"
}

# Same, in the network namespace only (ip, tc, nft, ethtool, sysfs reads
# that do not need the node's mounts).
lab_node_net() {
    local node=$1
    shift
    _lab_node_pid "$node" || { lab_say "node $node is down"; return 125; }
    nsenter -t "$_lab_pid" -n -- "$@"
}

# A command in a clean environment, for the daemons started in a node.
lab_clean_env() {
    env -i PATH="$LAB_ENV_PATH" LANG=C.UTF-8 HOME=/root TERM=dumb "$@"
}
