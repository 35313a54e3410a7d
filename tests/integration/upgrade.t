#!/bin/bash
# A rolling upgrade from Debian 12 to Debian 13, as an admin does it: a
# 3-node cluster runs VMs under ocf:drover:VirtualDomain with NodeHealth,
# limits and migration networks; node by node, `drover drain NODE --wait`,
# the node reboots into Debian 13 (Pacemaker 3.0, libvirt 11, QEMU 10, and
# drover built there), rejoins, `drover undrain NODE --failback`.  At every
# step no guest boots again, no VM runs twice, no operation fails, the
# limit holds across old and new agents, and drover's commands answer on
# either release's nodes.
# shellcheck disable=SC2317,SC2016  # predicates through ok/wait_for, eval
. "$(dirname "$0")/../lab/lib.sh"

export LAB_VM_AGENT=ocf:drover:VirtualDomain
export LAB_VM_PARAMS="migration_stall_timeout=8"
# From the machine's release (12) to 13: it runs in that release's suite
[ "${LAB_RELEASE:-$LAB_HOST_RELEASE}" = "$LAB_HOST_RELEASE" ] ||
    skip_all "the upgrade starts from Debian $LAB_HOST_RELEASE (its suite runs it)"
[ "$LAB_HOST_RELEASE" = 12 ] || skip_all "the upgrade starts from Debian 12"
lab_start --nodes 3 --vms 3

drover() { local node=$1; shift; on "$node" "$LAB_REPO/build/drover" "$@"; }
VMS="vm1 vm2 vm3"

on n1 crm_attribute --type crm_config --name drover-migration-networks \
    --update "lm1=10.20.1.0/24 lm2=10.20.2.0/24"
# One migration at a time, cluster-wide, by drover's slots alone (no
# migration-limit): old and new agents share the slot group
on n1 crm_attribute --type crm_config --name drover-max-migrations --update 1
nodehealth_clone
for vm in $VMS; do
    ok "$vm's guest is up" wait_for --timeout 60 guest_ready "$vm"
done
published() { # NODE: NodeHealth published the node's lm1 facts
    on n1 crm_attribute --node "$1" --name drover-net-lm1 --lifetime reboot \
        --query --quiet 2>/dev/null | grep -q "link=up"
}
for node in n1 n2 n3; do
    ok "NodeHealth publishes $node's facts" wait_for --timeout 60 published "$node"
done

declare -A boots
for vm in $VMS; do
    boots[$vm]=$(guest_boots "$vm")
done

# Every VM on one node, its guest never booted again, no failed operation.
all_well() { # STEP
    local vm
    for vm in $VMS; do
        is "$(vm_running_nodes "$vm" | wc -w)" 1 "$1: $vm runs on exactly one node"
        is "$(guest_boots "$vm")" "${boots[$vm]}" "$1: $vm's guest did not boot again"
    done
    no_failed_ops "$1: crm_mon shows no failed operation"
}

node_release() { on "$1" sed -n 's/^VERSION_ID="\(.*\)"/\1/p' /etc/os-release; }
pacemaker_version() { on "$1" pacemakerd --version | sed -n '1s/^Pacemaker //p'; }
table=()
t_start=$(date +%s)
for node in n1 n2 n3; do
    before=$(node_release "$node")
    beats_before=$(for vm in $VMS; do printf '%s ' "$(guest_heartbeat "$vm")"; done)
    since=$(date +%s)
    ok "$node: drover drain --wait" drover "$(other_node "$node")" drain "$node" --wait --timeout=300
    moved=$(migrations "$since" | wc -l)
    ok "$node: runs no VM" eval '[ -z "$(on "$node" pgrep "^qemu-system")" ]'
    ok "$node: lab upgrade to Debian 13" "$LAB" upgrade "$node" 13
    is "$(node_release "$node")" 13 "$node: runs Debian 13 now"
    ok "$node: ...with Pacemaker 3 ($(pacemaker_version "$node"))" \
        eval '[[ "$(pacemaker_version "$node")" == 3.* ]]'
    ok "$node: drover health on it (docs/upgrade.md)" drover "$node" health
    ok "$node: drover undrain --failback" drover "$node" undrain "$node" --failback --timeout=300
    # NodeHealth does not run in standby: back with the undrain
    ok "$node: NodeHealth publishes its facts again" wait_for --timeout 90 published "$node"
    wait_for --timeout 120 eval '[ -z "$(migrations "$since" | awk "\$5 == \"-\"")" ]'
    moved_total=$(migrations "$since" | wc -l)
    all_well "after $node"
    for n in "$node" "$(other_node "$node")"; do
        ok "$node upgraded: drover status, slots and health answer on $n (Debian $(node_release "$n"))" \
            eval 'drover "$n" status >/dev/null && drover "$n" slots >/dev/null && drover "$n" health >/dev/null'
    done
    ok "$node: at most one migration at a time (drover-max-migrations=1, mixed releases)" \
        eval '[ "$(migrations_max_overlap "$since")" -le 1 ]'
    beats_after=$(for vm in $VMS; do printf '%s ' "$(guest_heartbeat "$vm")"; done)
    table+=("$(printf '%-4s %-3s -> %-3s  drained %d, moved back %d   heartbeats %s-> %s  failed ops 0' \
        "$node" "$before" "13" "$moved" "$((moved_total - moved))" "$beats_before" "$beats_after")")
done
diag "rolling upgrade in $(($(date +%s) - t_start)) s"

note "node release       VMs                         guest heartbeats"
for row in "${table[@]}"; do
    note "$row"
done
ok "crm_verify -L: configuration valid" on n1 crm_verify -L
lab_stop
done_testing
