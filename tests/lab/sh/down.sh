# shellcheck shell=bash
# Tearing the lab down, and proving nothing of it is left.

# Every namespace the lab ever created, "type:[inode]" per line (nodes from
# their records, bridges from their handles).
lab_recorded_namespaces() {
    local f net
    for f in "$LAB_DIR"/nodes/*/ns.*; do
        [ -r "$f" ] && cat "$f"
    done
    for net in "${LAB_NETS[@]}"; do
        f=$LAB_DIR/net.$net.ns
        [ -r "$f" ] && cat "$f"
    done
    return 0
}

# What is left of the lab, one line per leftover; empty when clean.
lab_leftovers() {
    local recorded pid dir ns state net
    recorded=$(lab_recorded_namespaces | sort -u)
    if [ -n "$recorded" ]; then
        # Processes inside one of the lab's namespaces (zombies are gone: the
        # machine's PID 1 reaps them late), and open handles on one of them.
        find /proc/[0-9]*/ns -maxdepth 1 -type l \( -name pid -o -name net -o -name mnt \) \
            -printf '%h %l\n' 2>/dev/null | grep -F -f <(echo "$recorded") |
            while read -r dir ns; do
                pid=${dir#/proc/}
                pid=${pid%/ns}
                state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) || continue
                [ "$state" = Z ] && continue
                echo "process $pid ($(cat "/proc/$pid/comm" 2>/dev/null)) in $ns"
            done | sort -u -k2,2n
        find /proc/[0-9]*/fd -maxdepth 1 -type l -lname '*:\[*' -printf '%p %l\n' \
            2>/dev/null | grep -F -f <(echo "$recorded") | sed 's/^/descriptor /'
    fi
    # Named bridge namespaces and their mounts.
    for net in "${LAB_NETS[@]}"; do
        [ -e "/run/netns/$(lab_netns "$net")" ] && echo "namespace $(lab_netns "$net")"
    done
    grep -E " /run/netns/$LAB_PREFIX-| lab-(run|shm|ocf) |$LAB_DIR/nodes/" \
        /proc/self/mountinfo | awk '{ print "mount " $5 }'
    # Links in the machine's namespace that look like ours (there should
    # never be any: the lab creates none there).
    ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' \
        | grep -xE 'n[1-9]|mgmt|lm1|lm2' | sed 's/^/link /'
    return 0
}

lab_down() {
    local t0 node dir pid left i
    t0=$(lab_now)
    # Crash every node: SIGKILL to each init, all at once.
    for dir in "$LAB_DIR"/nodes/*; do
        [ -d "$dir" ] || continue
        node=${dir##*/}
        pid=$(lab_node_pid "$node") && kill -KILL "$pid" 2>/dev/null
    done
    for dir in "$LAB_DIR"/nodes/*; do
        [ -d "$dir" ] || continue
        lab_node_kill "${dir##*/}"
    done
    # Anything that entered a node's namespaces from outside (nsenter -n)
    # outlives the node's init.
    lab_leftovers | awk '$1 == "process" { print $2 }' | xargs -r kill -KILL 2>/dev/null || true
    for net in "${LAB_NETS[@]}"; do
        lab_net_destroy "$net"
    done
    # Namespaces die when their last user goes; give the kernel a moment.
    for ((i = 0; i < 100; i++)); do
        left=$(lab_leftovers)
        [ -z "$left" ] && break
        sleep 0.05
    done
    if [ -n "$left" ]; then
        lab_say "down: NOT CLEAN after $(lab_since "$t0") s, left behind:"
        printf 'lab:   %s\n' "${left//$'\n'/$'\n'lab:   }" >&2
        return 1
    fi
    # Nothing of the lab is left: its records name nothing any more (and
    # the kernel may give their numbers to another lab's namespaces).
    rm -f "$LAB_DIR"/nodes/*/ns.* "$LAB_DIR"/nodes/*/pid "$LAB_DIR"/net.*.ns
    rm -f "$LAB_DIR/up"
    lab_say "down: clean in $(lab_since "$t0") s (no process, mount, namespace or link left)"
}
