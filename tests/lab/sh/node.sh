# shellcheck shell=bash
# Lab nodes: the private tree, the configuration files, booting a node (its
# init and network ports), starting its daemons, crashing it.

LAB_CIB_SCHEMA=pacemaker-3.9
LAB_LIBVIRT_PORT=16509
# QEMU capabilities libvirtd probed, per release (another QEMU, another probe)
lab_caps_cache() { echo "$LAB_REPO/build/lab/cache/qemu-capabilities-$1"; }

# --- configuration files ---------------------------------------------------

lab_write_corosync_conf() {
    local n=$1 i
    cat <<EOF
# drover lab: $n nodes, knet over the mgmt network.
totem {
    version: 2
    cluster_name: drover-lab
    transport: knet
    token: 1000
    crypto_cipher: none
    crypto_hash: none
}

nodelist {
EOF
    for ((i = 1; i <= n; i++)); do
        cat <<EOF
    node {
        name: n$i
        nodeid: $i
        ring0_addr: $(lab_addr "n$i" mgmt)
    }
EOF
    done
    cat <<EOF
}

quorum {
    provider: corosync_votequorum
EOF
    [ "$n" -eq 2 ] && echo "    two_node: 1"
    cat <<EOF
}

logging {
    to_syslog: no
    to_stderr: no
    to_logfile: yes
    logfile: /var/log/corosync/corosync.log
    timestamp: hires
}

# Three real-time daemons would starve two cores.
system {
    sched_rr: no
    move_to_root_cgroup: no
}
EOF
}

lab_write_hosts() {
    local n=$1 i node
    cat <<EOF
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
EOF
    for ((i = 1; i <= n; i++)); do
        node=n$i
        printf '%s\t%s\n' "$(lab_addr "$node" mgmt)" "$node" \
            "$(lab_addr "$node" lm1)" "$node-lm1" \
            "$(lab_addr "$node" lm2)" "$node-lm2" \
            "$(lab_addr6 "$node")" "$node-lm2-v6"
    done
}

lab_host_uuid() { printf 'd20e1ab0-0000-4000-8000-%012d' "$(lab_node_index "$1")"; }

lab_write_libvirtd_conf() {
    local node=$1
    cat <<EOF
# drover lab node $node.  Plain TCP without authentication: lab only.
listen_tcp = 1
listen_tls = 0
# TLS (and its certificate faults) come with a later issue: listen_tls = 1
# and the key/cert/ca paths go here, see tests/lab/README.md.
auth_tcp = "none"
tcp_port = "$LAB_LIBVIRT_PORT"
listen_addr = "$(lab_addr "$node" mgmt)"
host_uuid = "$(lab_host_uuid "$node")"
keepalive_interval = 5
keepalive_count = 5
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
}

lab_write_qemu_conf() {
    cat <<EOF
# drover lab: QEMU as root, no cgroups, no per-VM namespaces, no virtlogd.
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
migration_port_min = 49152
migration_port_max = 49215
EOF
}

# The seed CIB, identical on every node: cluster options for a quick, idle
# cluster without fencing; the VMs (if any) are in it already but held
# stopped by stop-all-resources until every node is online.
lab_write_cib() {
    local n=$1 vms=$2 i
    cat <<EOF
<cib validate-with="$LAB_CIB_SCHEMA" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="cib-bootstrap-options-cluster-name" name="cluster-name" value="drover-lab"/>
        <nvpair id="cib-bootstrap-options-stonith-enabled" name="stonith-enabled" value="false"/>
        <nvpair id="cib-bootstrap-options-dc-deadtime" name="dc-deadtime" value="2s"/>
        <nvpair id="cib-bootstrap-options-load-threshold" name="load-threshold" value="1000%"/>
        <nvpair id="cib-bootstrap-options-batch-limit" name="batch-limit" value="50"/>
        <nvpair id="cib-bootstrap-options-node-action-limit" name="node-action-limit" value="20"/>
        <nvpair id="cib-bootstrap-options-cluster-recheck-interval" name="cluster-recheck-interval" value="1min"/>
EOF
    if [ "$vms" -gt 0 ]; then
        echo '        <nvpair id="cib-bootstrap-options-stop-all-resources" name="stop-all-resources" value="true"/>'
    fi
    cat <<EOF
      </cluster_property_set>
    </crm_config>
    <nodes>
EOF
    for ((i = 1; i <= n; i++)); do
        echo "      <node id=\"$i\" uname=\"n$i\"/>"
    done
    echo '    </nodes>'
    echo '    <resources>'
    for ((i = 1; i <= vms; i++)); do
        lab_write_vm_primitive "vm$i"
    done
    echo '    </resources>'
    echo '    <constraints>'
    # Start placement only (vmK on node ((K-1) mod N)+1); lab up removes
    # these once the VMs run, and stickiness keeps them where they are.
    for ((i = 1; i <= vms; i++)); do
        echo "      <rsc_location id=\"lab-home-vm$i\" rsc=\"vm$i\" node=\"n$(((i - 1) % n + 1))\" score=\"50\"/>"
    done
    cat <<EOF
    </constraints>
    <rsc_defaults>
      <meta_attributes id="rsc-options">
        <nvpair id="rsc-options-resource-stickiness" name="resource-stickiness" value="100"/>
      </meta_attributes>
    </rsc_defaults>
  </configuration>
  <status/>
</cib>
EOF
}

# Users the daemons need: libvirtd refuses to start without libvirt-qemu,
# which only libvirt-daemon-system creates.  The node gets its own copies of
# /etc/passwd and /etc/group, from the root it runs on (ETC: its /etc).
lab_write_passwd() {
    local etc=$1
    cat "$etc/passwd"
    grep -q '^hacluster:' "$etc/passwd" ||
        echo 'hacluster:x:189:189:cluster user:/var/lib/pacemaker:/usr/sbin/nologin'
    grep -q '^libvirt-qemu:' "$etc/passwd" ||
        echo 'libvirt-qemu:x:64055:64055:Libvirt Qemu,,,:/var/lib/libvirt:/usr/sbin/nologin'
}

lab_write_group() {
    local etc=$1
    cat "$etc/group"
    grep -q '^haclient:' "$etc/group" || echo 'haclient:x:189:'
    grep -q '^libvirt-qemu:' "$etc/group" || echo 'libvirt-qemu:x:64055:'
    grep -q '^libvirt:' "$etc/group" || echo 'libvirt:x:64056:'
    grep -q '^kvm:' "$etc/group" || echo 'kvm:x:64057:'
}

# Numeric id of NAME in a passwd or group file (ids differ between releases).
lab_id_of() { awk -F: -v n="$1" '$1 == n { print $3; exit }' "$2"; }

# --- the private tree ------------------------------------------------------

# Fresh private tree for NODE of RELEASE in a lab of N nodes with K VMs.
lab_node_prepare() {
    local node=$1 release=$2 n=$3 vms=$4 dir root pcmk etc uid gid
    dir=$(lab_node_dir "$node")
    root=$(lab_node_root "$node")
    rm -rf "$dir"
    mkdir -p "$dir"
    echo "$release" > "$dir/release"
    etc=$(lab_release_root "$release")
    etc=${etc%/}/etc
    lab_write_passwd "$etc" > "$dir/passwd"
    lab_write_group "$etc" > "$dir/group"
    uid=$(lab_id_of hacluster "$dir/passwd")
    gid=$(lab_id_of haclient "$dir/group")
    mkdir -p "$root"/etc/corosync "$root"/etc/libvirt/qemu "$root"/etc/pki \
        "$root"/var/lib/corosync "$root"/var/lib/libvirt \
        "$root"/var/cache/libvirt/qemu/capabilities \
        "$root"/var/log/corosync "$root"/var/log/libvirt/qemu

    pcmk=$root/var/lib/pacemaker
    install -d -m 0750 -o "$uid" -g "$gid" "$pcmk" "$pcmk/cib" \
        "$pcmk/pengine" "$pcmk/blackbox" "$pcmk/cores"
    install -d -m 2770 -o "$uid" -g "$gid" "$root/var/log/pacemaker"
    lab_write_cib "$n" "$vms" > "$pcmk/cib/cib.xml"
    chown "$uid:$gid" "$pcmk/cib/cib.xml"
    chmod 0600 "$pcmk/cib/cib.xml"

    lab_write_corosync_conf "$n" > "$root/etc/corosync/corosync.conf"
    lab_write_libvirtd_conf "$node" > "$root/etc/libvirt/libvirtd.conf"
    lab_write_qemu_conf > "$root/etc/libvirt/qemu.conf"
    echo 'uri_default = "qemu:///system"' > "$root/etc/libvirt/libvirt.conf"
    lab_write_hosts "$n" > "$root/etc/hosts"
    cp "$root/etc/hosts" "$dir/hosts.orig"
    mv "$dir/passwd" "$root/etc/passwd"
    mv "$dir/group" "$root/etc/group"

    if [ -d "$(lab_caps_cache "$release")" ]; then
        cp -a "$(lab_caps_cache "$release")/." "$root/var/cache/libvirt/qemu/capabilities/"
    fi
}

# Mount points the nodes bind over must exist on the machine.
lab_mountpoints() {
    mkdir -p /var/lib/libvirt /var/cache/libvirt /etc/libvirt /etc/pki \
        /var/lib/corosync /etc/corosync
}

# --- boot, daemons, crash --------------------------------------------------

# Record NODE's init: its namespaces (lab down checks that none of them
# survives) and its start time (lab_node_pid trusts the PID only with it).
lab_node_record() {
    local node=$1 pid=$2 dir t
    dir=$(lab_node_dir "$node")
    for t in pid net mnt uts ipc; do
        readlink "/proc/$pid/ns/$t" > "$dir/ns.$t"
    done
    lab_proc_start "$pid" > "$dir/pid.start"
    echo "$pid" > "$dir/pid"
}

# Start NODE's init in new namespaces and plug it into every network.
lab_node_boot() {
    local node=$1 dir root booted pid i release
    dir=$(lab_node_dir "$node")
    root=$(lab_node_root "$node")
    booted=$dir/booted
    rm -f "$booted" "$dir/pid"
    mkdir -p "$LAB_OCF_DIR/drover"

    # A session of its own: a Ctrl-C meant for the caller (a test, prove)
    # must not reach the nodes.  The init reports its PID when ready.
    release=$(lab_node_release "$node")
    if [ "$release" = "$LAB_HOST_RELEASE" ]; then
        set -- "$LAB_OCF_DIR"
    else
        # The release's agents, and its root seen through an overlay.
        rm -rf "$dir/layer"
        set -- "$(lab_release_build "$release")/ocf" "$(lab_release_root "$release")" \
            "$(lab_release_build "$release")" "$dir/layer"
    fi
    setsid -f unshare --mount --net --uts --ipc --pid --fork \
        --propagation private -- \
        "$LAB_HOME/node-init" "$node" "$root" "$1" "$booted" "${@:2}" \
        >>"$dir/init.log" 2>&1 </dev/null
    for ((i = 0; i < 500; i++)); do
        [ -s "$booted" ] && break
        sleep 0.01
    done
    [ -s "$booted" ] || lab_die "$node: init not ready after 5 s (see $dir/init.log)"
    pid=$(cat "$booted")
    [ -e "/proc/$pid" ] || lab_die "$node: init died (see $dir/init.log)"
    lab_node_record "$node" "$pid"

    for net in "${LAB_NETS[@]}"; do
        lab_net_attach "$node" "$net" "$pid"
    done
}

# Run a daemon inside NODE, detached: it is re-parented to the node's init.
lab_node_spawn() {
    local node=$1
    shift
    lab_node_run "$node" env -i PATH="$LAB_ENV_PATH" LANG=C.UTF-8 HOME=/root \
        setsid -f "$@" >/dev/null 2>&1 </dev/null
}

lab_start_corosync() { lab_node_spawn "$1" corosync -f; }

lab_start_pacemaker() {
    lab_node_spawn "$1" env PCMK_logfile=/var/log/pacemaker/pacemaker.log \
        PCMK_logfacility=none pacemakerd
}

lab_start_libvirtd() {
    lab_node_spawn "$1" libvirtd --listen --pid-file /run/libvirtd.pid
}

lab_libvirtd_ready() {
    lab_node_run "$1" virsh -q -c qemu:///system uri >/dev/null 2>&1
}

lab_corosync_ready() {
    lab_node_run "$1" corosync-cmapctl -g totem.cluster_name >/dev/null 2>&1
}

# Start corosync, pacemaker and libvirtd in a booted node.
lab_start_node_daemons() {
    local node=$1
    lab_start_libvirtd "$node"
    lab_start_corosync "$node"
    lab_wait 20 "corosync on $node" lab_corosync_ready "$node"
    lab_start_pacemaker "$node"
    lab_wait 30 "libvirtd on $node" lab_libvirtd_ready "$node"
}

# Keep the QEMU capabilities a node probed, for the next nodes and labs of
# its release.
lab_save_caps() {
    local caps cache
    caps=$(lab_node_root "$1")/var/cache/libvirt/qemu/capabilities
    cache=$(lab_caps_cache "$(lab_node_release "$1")")
    compgen -G "$caps/*.xml" >/dev/null || return 0
    mkdir -p "$cache"
    cp -a "$caps/." "$cache/"
}

lab_copy_caps() {
    local from to
    from=$(lab_node_root "$1")/var/cache/libvirt/qemu/capabilities
    to=$(lab_node_root "$2")/var/cache/libvirt/qemu/capabilities
    cp -a "$from/." "$to/"
}

# Kill NODE at once: SIGKILL to its init takes every process of the node
# with it; the network namespace and its interfaces follow.
lab_node_kill() {
    local node=$1 pid i
    pid=$(lab_node_pid "$node") || return 0
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 500; i++)); do
        lab_node_up "$node" || break
        sleep 0.01
    done
    for net in "${LAB_NETS[@]}"; do
        lab_net_detach "$node" "$net"
    done
    rm -f "$(lab_node_dir "$node")/pid"
    lab_forget_free_namespaces "$node"
}

# Forget the records of NODE's namespaces that no process uses any more:
# the kernel reuses a freed namespace's inode number, and another lab's
# node (labs side by side) may get it; `lab down` kills what it finds in a
# recorded namespace.  A namespace still in use keeps its number (and its
# record, for `lab down` to clean).
lab_forget_free_namespaces() {
    local dir f used
    dir=$(lab_node_dir "$1")
    used=$(find /proc/[0-9]*/ns -maxdepth 1 -type l -printf '%l\n' 2>/dev/null | sort -u)
    for f in "$dir"/ns.*; do
        [ -r "$f" ] || continue
        grep -qxF -- "$(cat "$f")" <<<"$used" || rm -f "$f"
    done
}
