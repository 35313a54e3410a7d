#!/bin/bash
# A rolling upgrade from Debian 12 to Debian 13, as an admin does it: a
# 3-node cluster runs VMs under ocf:drover:VirtualDomain with NodeHealth,
# limits and migration networks; node by node, `drover drain NODE --wait`,
# the node reboots into Debian 13 (Pacemaker 3.0, libvirt 11, QEMU 10, and
# drover built there), rejoins, `drover undrain NODE --failback`.  At every
# step no guest boots again, no VM runs twice, no operation fails, the
# limit holds across old and new agents, and drover's commands answer on
# either release's nodes.  A move the new QEMU cannot take (a machine
# type it dropped) is refused before anything moves.
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
# What NodeHealth published of NODE's libvirt and QEMU (drover-platform)
platform() {
    on n1 attrd_updater --query --name drover-platform --node "$1" 2>/dev/null |
        sed -n 's/.*value="\(.*\)"$/\1/p'
}
# The VM agent's migrate_to of VM from FROM to TO, run by hand on FROM as
# Pacemaker runs it: its output, and its exit code as the function's
agent_migrate_to() { # VM FROM TO
    on "$2" env OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE="$1" \
        OCF_RESKEY_config="$(lab_vm_xml "$1")" OCF_RESKEY_CRM_meta_timeout=60000 \
        OCF_RESKEY_migration_transport=tcp \
        OCF_RESKEY_CRM_meta_migrate_source="$2" OCF_RESKEY_CRM_meta_migrate_target="$3" \
        /usr/lib/ocf/resource.d/drover/VirtualDomain migrate_to 2>&1
}
# A VM never moves to an older QEMU: with n1 on Debian 13 and n2, n3 still
# on 12, the agent refuses before anything moves, naming both nodes'
# versions, and a dry run of n1's drain says why no node can take its VMs
older_qemu_refused() {
    local vm out rc
    ok "NodeHealth publishes each node's QEMU (n1 $(platform n1), n2 $(platform n2))" \
        wait_for --timeout 90 eval '[[ "$(platform n1)" == *" qemu=10."* && "$(platform n2)" == *" qemu=7.2."* ]]'
    for vm in $VMS; do [ "$(vm_node "$vm")" = n1 ] && break; done
    is "$(vm_node "$vm")" n1 "a VM runs on n1 ($vm)"
    out=$(agent_migrate_to "$vm" n1 n2)
    rc=$?
    note "$(grep '^ocf-exit-reason:' <<<"$out")"
    is "$rc" 1 "migrate_to $vm from n1 (13) to n2 (12): refused"
    ok "...with a reason naming both nodes' versions" grep -qE \
        "^ocf-exit-reason:Not migrating $vm: n2 runs QEMU 7\.2\.[0-9]+ \(libvirt 9\.[0-9.]+\), older than n1's QEMU 10\.[0-9.]+ \(libvirt 11\.[0-9.]+\)$" <<<"$out"
    is "$(vm_running_nodes "$vm")" n1 "...and $vm still runs on n1 only"
    out=$(drover n1 drain n1 --dry-run --on-unmovable=skip 2>&1)
    note "drover drain n1 --dry-run --on-unmovable=skip:"
    while IFS= read -r line; do note "  $line"; done <<<"$out"
    ok "drover drain n1 --dry-run: $vm has no node, and says why" grep -qE \
        "$vm.*no node can take it \(n2 runs QEMU 7\.2\.[0-9]+ \(libvirt [0-9.]+\), older than n1's QEMU 10\.[0-9.]+ \(libvirt [0-9.]+\), n3 runs QEMU 7\.2" <<<"$out"
}
# VM on n2 cannot move to n1, saying WHY (a pattern): networks explain
# --check exits 113, migrate_to exits 1 with WHY as its exit reason, and
# the VM still runs on n2 only
refused_from_n2_to_n1() { # VM WHY
    local out rc
    out=$(drover n2 networks explain "$1" --to n1 --check 2>&1)
    rc=$?
    note "$out"
    is "$rc" 113 "drover networks explain $1 --to n1 --check: 113"
    ok "...$1 cannot move live: $2" grep -qE "$1 cannot move live: $2" <<<"$out"
    out=$(agent_migrate_to "$1" n2 n1)
    rc=$?
    note "$(grep '^ocf-exit-reason:' <<<"$out")"
    is "$rc" 1 "migrate_to $1 from n2 (12) to n1 (13): refused"
    ok "...before anything moved, saying why" grep -qE "^ocf-exit-reason:Not migrating $1: $2$" <<<"$out"
    is "$(vm_running_nodes "$1")" n2 "...and $1 still runs on n2 only"
}

# Nor to a QEMU without its machine type or its CPU: Debian 13's QEMU 10
# (n1, now) has no pc-i440fx-2.3 and, under TCG, no pcommit, which Debian
# 12's QEMU 7.2 has.  A VM started with either on n2 may go to n3 (12),
# never to n1: the drain's dry run and `drover networks explain --check`
# say so, and the agent refuses both before anything moves.  The VMs are
# removed after.
new_qemu_refused() {
    local out
    ok "n1's QEMU has no machine type pc-i440fx-2.3, n2's has" eval \
        '! on n1 qemu-system-x86_64 -machine help | grep -q "^pc-i440fx-2\.3 " &&
         on n2 qemu-system-x86_64 -machine help | grep -q "^pc-i440fx-2\.3 "'
    ok "NodeHealth publishes n1's and n2's machine types" wait_for --timeout 90 eval \
        '[[ "$(platform n1)" == *" machines="*pc-i440fx-10.0* && "$(platform n2)" == *" machines="*pc-i440fx-2.3* ]]'
    LAB_VM_FILL=0 lab_vm_write_xml vmold
    sed -i "s/machine='pc'/machine='pc-i440fx-2.3'/" "$(lab_vm_xml vmold)"
    LAB_VM_FILL=0 lab_vm_write_xml vmcpu
    sed -i "s|</os>|</os><cpu mode='custom' match='exact' check='full'><model fallback='forbid'>qemu64</model><feature policy='require' name='hypervisor'/><feature policy='require' name='lahf_lm'/><feature policy='require' name='pcommit'/></cpu>|" \
        "$(lab_vm_xml vmcpu)"
    # each made stopped, then pinned to n2, then started: it never
    # starts elsewhere first (a constraint must name a resource that is)
    for vm in vmold vmcpu; do
        lab_write_vm_primitive "$vm" |
            sed "s|<nvpair id=\"$vm-meta-allow-migrate\"|<nvpair id=\"$vm-meta-target-role\" name=\"target-role\" value=\"Stopped\"/>&|" \
                >"$LAB_DIR/$vm.xml"
        on n1 cibadmin -C -o resources -x "$LAB_DIR/$vm.xml"
        on n1 cibadmin -C -o constraints -X "<rsc_location id=\"$vm-on-n2\" rsc=\"$vm\" node=\"n2\" score=\"INFINITY\"/>"
        on n1 crm_resource --resource "$vm" --meta --set-parameter target-role --parameter-value Started --quiet
    done
    ok "vmold (machine type pc-i440fx-2.3) starts on n2" wait_for --timeout 90 vm_started_on vmold n2
    ok "vmcpu (CPU qemu64 with pcommit) starts on n2" wait_for --timeout 90 vm_started_on vmcpu n2
    out=$(drover n2 drain n2 --dry-run 2>&1)
    note "drover drain n2 --dry-run:"
    while IFS= read -r line; do note "  $line"; done <<<"$out"
    ok "drover drain n2 --dry-run: vmold goes to n3, not n1, and says why" grep -qE \
        "vmold +-> n3 .*; not n1 runs QEMU 10\.[0-9.]+, which has no machine type pc-i440fx-2\.3$" <<<"$out"
    ok "...and vmcpu goes to n3, not n1, whose libvirt cannot provide pcommit" grep -qE \
        "vmcpu +-> n3 .*; not n1 cannot provide its CPU \(.*pcommit\)$" <<<"$out"
    ok "n1's libvirt cannot provide pcommit, n2's can" eval \
        '! on n1 virsh -q hypervisor-cpu-compare --virttype qemu "$(lab_vm_xml vmcpu)" >/dev/null 2>&1 &&
         on n2 virsh -q hypervisor-cpu-compare --virttype qemu "$(lab_vm_xml vmcpu)" >/dev/null 2>&1'
    refused_from_n2_to_n1 vmold "n1 runs QEMU 10\.[0-9.]+, which has no machine type pc-i440fx-2\.3"
    refused_from_n2_to_n1 vmcpu "n1 cannot provide its CPU \(Host CPU does not provide required features: pcommit\)"
    for vm in vmold vmcpu; do
        on n1 crm_resource --resource "$vm" --meta --set-parameter target-role --parameter-value Stopped --quiet
    done
    for vm in vmold vmcpu; do
        ok "$vm stopped" wait_for --timeout 60 eval '[ "$(vm_role '"$vm"')" = Stopped ] && [ -z "$(vm_running_nodes '"$vm"')" ]'
        on n1 cibadmin -D -o constraints -X "<rsc_location id=\"$vm-on-n2\"/>"
        on n1 cibadmin -D -o resources -X "<primitive id=\"$vm\"/>"
        ok "$vm removed" wait_for --timeout 30 eval '[ -z "$(vm_role '"$vm"')" ]'
    done
}
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
    if [ "$node" = n1 ]; then
        older_qemu_refused
        new_qemu_refused
        all_well "after the refused moves"
    fi
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
