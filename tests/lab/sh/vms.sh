# shellcheck shell=bash
# The lab's VMs: domain XML on a path every node sees, a Pacemaker
# primitive per VM, and where each VM really runs.

: "${LAB_VM_MEMORY:=256}"      # MiB per guest
: "${LAB_VM_FILL:=64}"         # MiB of guest memory filled with random data
: "${LAB_VM_DIRTY:=}"          # MiB/s the guest re-dirties (empty: default)
# Extra instance attributes for every VM primitive: "name=value ...".
: "${LAB_VM_PARAMS:=}"

lab_vm_dir() { echo "$LAB_DIR/vms"; }
lab_vm_xml() { echo "$LAB_DIR/vms/$1.xml"; }
# Inside each node (its private /var/log); one file per node the VM ran on.
lab_vm_serial_log() { echo "/var/log/libvirt/qemu/$1-serial.log"; }

# TLB flushes per second in the guests.  QEMU before 9.0 (Debian 12's
# 7.2) loses guest writes during a migration under TCG, and the guests
# work around it by flushing their TLB 100 times a second
# (guest/memdirty.c), at 10% of a host core per idle guest.  A lab whose
# nodes all run a later QEMU (the releases given to `lab up`) spares
# its guests that: an idle guest then costs next to nothing.
lab_vm_flush() {
    local releases r
    releases=$(sed -n 's/^releases=//p' "$LAB_DIR/lab.env" 2>/dev/null)
    for r in ${releases:-$LAB_HOST_RELEASE}; do
        [ "$r" -le 12 ] && { echo 100; return; } # QEMU 7.2
    done
    echo 0
}

# LAB_VM_FILL_<vm> (e.g. LAB_VM_FILL_vm3=192) overrides LAB_VM_FILL for one
lab_vm_write_xml() {
    local vm=$1 args fill_var="LAB_VM_FILL_$1"
    args=(--name "$vm" --memory "$LAB_VM_MEMORY" --fill "${!fill_var:-$LAB_VM_FILL}"
        --serial-log "$(lab_vm_serial_log "$vm")"
        --kernel "$LAB_GUEST_DIR/vmlinuz" --initrd "$LAB_GUEST_DIR/initrd.img")
    [ -n "$LAB_VM_DIRTY" ] && args+=(--dirty "$LAB_VM_DIRTY")
    args+=(--flush "$(lab_vm_flush)")
    mkdir -p "$(lab_vm_dir)"
    "$LAB_HOME/guest/domain-xml" "${args[@]}" > "$(lab_vm_xml "$vm").tmp"
    mv "$(lab_vm_xml "$vm").tmp" "$(lab_vm_xml "$vm")"
}

lab_nvpair() {
    printf '          <nvpair id="%s-%s" name="%s" value="%s"/>\n' "$1" "$2" "$2" "$3"
}

# Instance attributes for the VM agent.  ocf:heartbeat:VirtualDomain and
# (later) ocf:drover:VirtualDomain share these names; anything else comes
# from LAB_VM_PARAMS.
lab_vm_params() {
    local vm=$1 pair
    lab_nvpair "$vm" config "$(lab_vm_xml "$vm")"
    lab_nvpair "$vm" hypervisor qemu:///system
    lab_nvpair "$vm" migration_transport tcp
    # The memory stream goes to the target's lm1 address; the libvirt
    # control connection stays on mgmt (qemu+tcp://<target>/system).
    lab_nvpair "$vm" migrateuri "tcp://%n-lm1"
    # The guests have no disks and ignore ACPI: stop means destroy.
    lab_nvpair "$vm" force_stop true
    for pair in $LAB_VM_PARAMS; do
        lab_nvpair "$vm" "${pair%%=*}" "${pair#*=}"
    done
}

lab_write_vm_primitive() {
    local vm=$1 class provider type
    IFS=: read -r class provider type <<<"$LAB_VM_AGENT"
    [ -n "$type" ] || lab_die "LAB_VM_AGENT must be class:provider:type, not '$LAB_VM_AGENT'"
    cat <<EOF
      <primitive id="$vm" class="$class" provider="$provider" type="$type">
        <instance_attributes id="$vm-instance_attributes">
$(lab_vm_params "$vm")
        </instance_attributes>
        <meta_attributes id="$vm-meta_attributes">
          <nvpair id="$vm-meta-allow-migrate" name="allow-migrate" value="true"/>
        </meta_attributes>
        <operations>
          <op id="$vm-monitor-10s" name="monitor" interval="10s" timeout="30s"/>
          <op id="$vm-start-0" name="start" interval="0s" timeout="90s"/>
          <op id="$vm-stop-0" name="stop" interval="0s" timeout="90s"/>
          <op id="$vm-migrate_to-0" name="migrate_to" interval="0s" timeout="${LAB_VM_MIGRATE_TO_TIMEOUT:-120s}"/>
          <op id="$vm-migrate_from-0" name="migrate_from" interval="0s" timeout="60s"/>
        </operations>
      </primitive>
EOF
}

# Where VM really is, one node per line: nodes whose libvirtd lists the
# domain as active (running, paused, ...), or that have a QEMU process for it
# when libvirtd does not answer within 5 s (SIGSTOPped, dead).  A node that
# is down runs nothing.
lab_vm_running_nodes() {
    local vm=$1 node state
    for node in $(lab_nodes); do
        lab_node_up "$node" || continue
        if state=$(lab_node_run "$node" timeout 5 virsh -q -c qemu:///system \
            domstate "$vm" 2>/dev/null); then
            [ -n "$state" ] && [ "${state#shut off}" = "$state" ] && echo "$node"
        elif lab_node_run "$node" pgrep -f -- "-name guest=$vm," >/dev/null 2>&1; then
            echo "$node"
        fi
    done
    return 0
}

# Serial logs of VM on all nodes, most recently written last.
lab_vm_serial_logs() {
    find "$LAB_DIR"/nodes/*/root/var/log/libvirt/qemu -maxdepth 1 \
        -name "$1-serial.log" -printf '%T@ %p\n' 2>/dev/null | sort -n | cut -d' ' -f2-
}

# Last heartbeat counter the guest printed (-1: none yet): the last one in
# the most recently written of the nodes' serial logs.  The counter lives in
# guest memory, so it goes on across migrations and restarts from 0 when
# the VM is started afresh.
lab_vm_heartbeat() {
    local log hb
    log=$(lab_vm_serial_logs "$1" | tail -n 1)
    # the blank after the number: a line being written may end mid-number
    [ -n "$log" ] && hb=$(grep -a -o 'drover-guest hb=[0-9]* ' "$log" | tail -n 1)
    hb=${hb:-hb=-1 }
    hb=${hb#*hb=}
    echo "${hb% }"
}

# True when VM printed its "ready" line on the node it runs on.
lab_vm_guest_ready() {
    local vm=$1 node log
    for node in $(lab_nodes); do
        log=$(lab_node_root "$node")$(lab_vm_serial_log "$vm")
        [ -r "$log" ] && grep -aq 'drover-guest ready' "$log" && return 0
    done
    return 1
}
