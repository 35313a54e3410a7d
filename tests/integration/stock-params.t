#!/bin/bash
# The stock agent's parameters, with the stock meaning, as an admin sees
# them (crm_resource, crm_mon, virsh, qemu-img):
#   autoset_utilization_* (default true) and unset_utilization_*: the
#     resource's utilization follows the domain;
#   monitor_scripts: a failing check fails the monitor, with its output;
#   snapshot: stop saves the memory state, start restores it (the guest
#     does not boot again);
#   backingfile + stateless: a qcow2 layer over a base image, afresh on
#     each start (stateless) or kept;
#   start_resources: the libvirt network and storage pool the domain names
#     are started before a start and on the target before a migration.
# shellcheck disable=SC2317,SC2016  # predicates called through ok/wait_for/eval
. "$(dirname "$0")/../lab/lib.sh"

export LAB_VM_AGENT=ocf:drover:VirtualDomain
export LAB_VM_MEMORY=128 LAB_VM_FILL=16
lab_start --nodes 2 --vms 1

ok "vm1's guest is up" wait_for --timeout 60 guest_ready vm1

set_param() { on n1 crm_resource --resource vm1 --set-parameter "$1" --parameter-value "$2" --quiet; }
del_param() { on n1 crm_resource --resource vm1 --delete-parameter "$1" --quiet; }
set_role() { on n1 crm_resource --resource vm1 --meta --set-parameter target-role --parameter-value "$1" --quiet; }
settle() { on n1 crm_resource --wait --timeout=120s; }
utilization() { on n1 crm_resource --resource vm1 --utilization --get-parameter "$1" --quiet 2>/dev/null; }
vm_stopped() { [ "$(vm_role vm1)" = Stopped ] && [ -z "$(vm_running_nodes vm1)" ]; }

# --- utilization ----------------------------------------------------------------------------
util_is() { [ "$(utilization "$1")" = "$2" ]; }
ok "autoset (the default) sets cpu utilization to vm1's 1 vCPU" wait_for --timeout 30 util_is cpu 1
ok "...host_memory to its 128 MiB" util_is host_memory 128
ok "...and hv_memory" util_is hv_memory 128
boots=$(guest_boots vm1)
set_param autoset_utilization_cpu false
set_param unset_utilization_cpu true
settle
util_gone() { [ -z "$(utilization cpu)" ]; }
ok "unset_utilization_cpu removes it at the next monitor" wait_for --timeout 30 util_gone
ok "...host_memory stays" util_is host_memory 128
is "$(guest_boots vm1)" "$boots" "...and vm1 was not restarted (reloaded)"

# --- monitor_scripts ----------------------------------------------------------------------
check=$LAB_DIR/check-service
flag=$LAB_DIR/service-down
rm -f "$flag"
cat >"$check" <<EOF
#!/bin/sh
if [ -e $flag ]; then echo "service in vm1 down"; exit 3; fi
echo fine
EOF
chmod 755 "$check"
set_param monitor_scripts "$check"
settle
sleep 12 # a monitor with the script
no_failed_ops "a passing monitor script: no failed operation"
is "$(guest_boots vm1)" "$boots" "...and vm1 was not restarted"
touch "$flag"
monitor_failed() { on n1 crm_mon -1 --output-as=xml | grep -q '<failure .*task="monitor"'; }
ok "a failing script fails the monitor" wait_for --timeout 30 monitor_failed
rm -f "$flag"
reason=$(on n1 crm_mon -1 --output-as=xml | grep '<failure .*task="monitor"' | head -n 1)
like() { grep -q -- "$2" <<<"$1"; }
ok "...its exit reason names the command" like "$reason" "Monitor command .*$check"
ok "...its status and what it said" like "$reason" "for domain vm1 returned 3 with output: service in vm1 down"
ok "Pacemaker recovers vm1" wait_for --timeout 90 eval '[ "$(vm_role vm1)" = Started ]'
on n1 crm_resource --cleanup --resource vm1 --quiet
settle
del_param monitor_scripts
settle

# --- snapshot -----------------------------------------------------------------------------
snap=$LAB_DIR/snapshots
mkdir -p "$snap"
rm -f "$snap"/vm1.state*
set_param force_stop false
set_param snapshot "$snap"
settle
ok "vm1's guest is up" wait_for --timeout 60 guest_ready vm1
boots=$(guest_boots vm1)
sleep 3
hb=$(guest_heartbeat vm1)
set_role Stopped
ok "stop: vm1 stopped" wait_for --timeout 90 vm_stopped
ok "...its memory state saved in $snap/vm1.state" test -s "$snap/vm1.state"
declare -A mark
for n in n1 n2; do mark[$n]=$(guest_serial_mark vm1 "$n"); done
set_role Started
ok "start: vm1 started" wait_for --timeout 90 eval '[ "$(vm_role vm1)" = Started ]'
node=$(vm_node vm1)
ok "...its guest beats again" wait_for --timeout 30 guest_has_beat_after vm1 "$node" "${mark[$node]}"
after=$(guest_beat_after vm1 "$node" "${mark[$node]}")
cmp_ok "$after" -ge "$hb" "...going on from where it stopped (heartbeat $hb -> $after)"
is "$(guest_boots vm1)" "$boots" "...without booting again"
ok "...and the state file is gone" eval '[ ! -e "$snap/vm1.state" ]'
no_failed_ops "crm_mon shows no failed operation"
set_role Stopped
wait_for --timeout 90 vm_stopped
del_param snapshot
set_param force_stop true
settle
rm -f "$snap"/vm1.state*

# --- backingfile, stateless -----------------------------------------------------------------
config=$(lab_vm_xml vm1)
overlay=${config%%.*}.qcow2
base=$LAB_DIR/base.img
rm -f "$overlay"
truncate -s 16M "$base"
cp "$config" "$LAB_DIR/vm1-plain.xml"
disk="<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='$overlay'/><target dev='vda' bus='virtio'/></disk>"
sed -i "s|</devices>|$disk</devices>|" "$config"
set_param backingfile "$base"
set_param stateless true
set_role Started
ok "backingfile: vm1 starts" wait_for --timeout 90 eval '[ "$(vm_role vm1)" = Started ]'
info=$(qemu-img info -U "$overlay" 2>&1)
ok "...on a new qcow2 layer $overlay" like "$info" "file format: qcow2"
ok "...over $base (raw)" like "$info" "backing file: $base"
ok "...with the domain defined on $(vm_node vm1)" \
    eval 'on "$(vm_node vm1)" virsh -q -c qemu:///system list --all --persistent --name | grep -qx vm1'
set_role Stopped
ok "stop" wait_for --timeout 90 vm_stopped
qemu-io -f qcow2 -c 'write -P 0xab 0 4k' "$overlay" >/dev/null
ok "a write into the layer while stopped" qemu-io -f qcow2 -r -c 'read -P 0xab 0 4k' "$overlay"
set_role Started
ok "stateless: vm1 starts" wait_for --timeout 90 eval '[ "$(vm_role vm1)" = Started ]'
ok "...on a layer made afresh (the write is gone)" qemu-io -U -f qcow2 -r -c 'read -P 0 0 4k' "$overlay"
set_role Stopped
wait_for --timeout 90 vm_stopped
set_param stateless false
qemu-io -f qcow2 -c 'write -P 0xab 0 4k' "$overlay" >/dev/null
set_role Started
ok "stateless=false: vm1 starts" wait_for --timeout 90 eval '[ "$(vm_role vm1)" = Started ]'
ok "...on the same layer (the write is kept)" qemu-io -U -f qcow2 -r -c 'read -P 0xab 0 4k' "$overlay"
no_failed_ops "crm_mon shows no failed operation"

# A memory state older than its disk is never resumed: set aside, the VM boots
set_param force_stop false
set_param snapshot "$snap"
settle
ok "vm1's guest is up" wait_for --timeout 60 guest_ready vm1
set_role Stopped
ok "snapshot: stop saves vm1's state" wait_for --timeout 90 eval 'vm_stopped && [ -s "$snap/vm1.state" ]'
boots=$(guest_boots vm1)
sleep 1
qemu-io -f qcow2 -c 'write -P 0xcd 0 4k' "$overlay" >/dev/null
set_role Started
ok "after a write to its disk, vm1 starts" wait_for --timeout 90 eval '[ "$(vm_role vm1)" = Started ]'
ok "...booting afresh, not resuming the older memory" wait_for --timeout 60 eval '[ "$(guest_boots vm1)" -gt "$boots" ]'
ok "...the state set aside as vm1.state.stale" eval '[ ! -e "$snap/vm1.state" ] && [ -s "$snap/vm1.state.stale" ]'
no_failed_ops "crm_mon shows no failed operation"
set_role Stopped
wait_for --timeout 90 vm_stopped
del_param snapshot
set_param force_stop true
del_param backingfile
del_param stateless
settle
for n in n1 n2; do on "$n" virsh -q -c qemu:///system undefine vm1 >/dev/null 2>&1 || true; done

# --- start_resources --------------------------------------------------------------------------
pool=$LAB_DIR/pool
mkdir -p "$pool"
truncate -s 1M "$pool/data.img"
# a network onto a bridge of the node's own (libvirt's NAT and isolated
# modes want iptables, which the lab's nodes do without)
cat >"$LAB_DIR/drover-t.xml" <<EOF
<network><name>drover-t</name><forward mode='bridge'/><bridge name='drvt0'/></network>
EOF
for n in n1 n2; do
    on "$n" ip link add drvt0 type bridge
    on "$n" ip link set drvt0 up
    on "$n" virsh -q -c qemu:///system net-define "$LAB_DIR/drover-t.xml" >/dev/null
    on "$n" virsh -q -c qemu:///system pool-define-as drover-p dir --target "$pool" >/dev/null
done
net_active() { on "$1" virsh -q -c qemu:///system net-info drover-t | grep -q '^Active: *yes'; }
pool_active() { on "$1" virsh -q -c qemu:///system pool-info drover-p | grep -q '^State: *running'; }
ok "drover-t is defined, not active, on n1" eval '! net_active n1'
ok "drover-p is defined, not active, on n1" eval '! pool_active n1'
cp "$LAB_DIR/vm1-plain.xml" "$config"
devs="<interface type='network'><source network='drover-t'/><model type='virtio'/></interface>"
devs+="<disk type='volume' device='disk'><driver name='qemu' type='raw'/><source pool='drover-p' volume='data.img'/><target dev='vdb' bus='virtio'/><readonly/></disk>"
sed -i "s|</devices>|$devs</devices>|" "$config"
set_param start_resources true
set_role Started
ok "start_resources: vm1 starts" wait_for --timeout 90 eval '[ "$(vm_role vm1)" = Started ]'
here=$(vm_node vm1)
ok "...with drover-t active on $here" net_active "$here"
ok "...and drover-p running on $here" pool_active "$here"
there=$(other_node "$here")
ok "neither is active on $there yet" eval '! net_active "$there" && ! pool_active "$there"'
ok "vm1's guest is up" wait_for --timeout 60 guest_ready vm1
ok "vm1 moves live to $there" move_vm vm1
vm_not_restarted vm1
ok "...drover-t was started on $there for it" net_active "$there"
ok "...and drover-p" pool_active "$there"

# --- what a parameter needs, checked before anything is done ---------------------------------
validate() {
    on n1 crm_resource --validate --class ocf --provider drover --agent VirtualDomain \
        --option "config=$config" "$@" 2>&1
}
if on n1 sh -c 'command -v csync2' >/dev/null; then
    diag "csync2 is installed on n1: its absence cannot be shown"
else
    out=$(validate --option sync_config_on_stop=true)
    ok "validate: sync_config_on_stop without csync2 is refused" like "$out" "not installed"
    ok "...naming the parameter and the package" \
        like "$out" "Parameter 'sync_config_on_stop' needs csync2, which is not installed on this node (package csync2)"
fi
out=$(validate --option force_stop=true --option "snapshot=$snap")
ok "validate: snapshot with force_stop is refused" like "$out" "can not be used together"

ok "crm_verify -L: configuration valid" on n1 crm_verify -L
lab_stop
done_testing
