#!/bin/bash
# What blocks a move, before anything moves: a VM whose disk is a file on
# a node's own file system (/var/lib/libvirt/images is private to each lab
# node) cannot move live.  drover drain --dry-run names it and why; the
# drain leaves it running where it is (--on-unmovable=skip) while the
# others leave; and the agent's migrate_to refuses it with that reason
# before touching it: it is never half-migrated.
# (Host devices, which the lab cannot present, are in the CLI goldens.)
# shellcheck disable=SC2317,SC2016  # predicates called through ok/wait_for/eval
. "$(dirname "$0")/../lab/lib.sh"

export LAB_VM_AGENT=ocf:drover:VirtualDomain
export LAB_VM_MEMORY=128 LAB_VM_FILL=16
lab_start --nodes 2 --vms 2

ok "vm1's guest is up" wait_for --timeout 60 guest_ready vm1
set_role() { on n1 crm_resource --resource "$1" --meta --set-parameter target-role --parameter-value "$2" --quiet; }
like() { grep -q -- "$2" <<<"$1"; }
drover() { on n1 "$LAB_REPO/build/drover" "$@"; }

# vm2 gets a disk that only n1 has
set_role vm2 Stopped
ok "vm2 stopped" wait_for --timeout 60 eval '[ "$(vm_role vm2)" = Stopped ] && [ -z "$(vm_running_nodes vm2)" ]'
disk=/var/lib/libvirt/images/vm2-data.img
on n1 mkdir -p /var/lib/libvirt/images
on n1 truncate -s 16M "$disk"
config=$(lab_vm_xml vm2)
sed -i "s|</devices>|<disk type='file' device='disk'><driver name='qemu' type='raw' cache='none'/><source file='$disk'/><target dev='vda' bus='virtio'/></disk></devices>|" "$config"
on n1 crm_resource --resource vm2 --move --node n1 --quiet
mark=$(guest_serial_mark vm2 n1)
set_role vm2 Started
ok "vm2 runs on n1 with its disk there" wait_for --timeout 60 vm_started_on vm2 n1
on n1 crm_resource --resource vm2 --clear --quiet
for vm in vm1 vm2; do
    [ "$(vm_node "$vm")" = n1 ] || { on n1 crm_resource --move -r "$vm" -N n1 --quiet; }
done
ok "vm1 and vm2 run on n1" wait_for --timeout 90 eval 'vm_started_on vm1 n1 && vm_started_on vm2 n1'
for vm in vm1 vm2; do on n1 crm_resource --clear -r "$vm" --quiet; done
booted_with_disk() { on n1 tail -c "+$((mark + 1))" "$(lab_vm_serial_log vm2)" | grep -aq 'drover-guest ready'; }
ok "vm2's guest is up" wait_for --timeout 60 booted_with_disk
boots=$(guest_boots vm2)

# --- the plan -------------------------------------------------------------------------------
plan=$(drover drain n1 --dry-run --on-unmovable=skip 2>&1)
diag "$plan"
ok "dry run: vm1 leaves n1 for n2" like "$plan" "vm1 *-> n2"
ok "...vm2 is skipped: blocked by its disk on a file system only n1 sees" \
    like "$plan" "vm2 *skip *blocked: disk $disk is on [a-z0-9]*, a file system only its host sees"
xml=$(drover drain n1 --dry-run --on-unmovable=skip --output-as=xml)
ok "...and the XML says what blocks it" like "$xml" "vm=\"vm2\" action=\"skip\".*blocked=\"disk $disk is on"
out=$(drover drain n1 --dry-run 2>&1)
ok "without --on-unmovable there is no plan, naming vm2" like "$out" "vm2 cannot be moved: blocked: disk $disk"

# --- the agent refuses it before anything moves --------------------------------------------
agent_out=$(on n1 env OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=vm2 \
    OCF_RESKEY_config="$config" OCF_RESKEY_hypervisor=qemu:///system \
    OCF_RESKEY_migration_transport=tcp OCF_RESKEY_CRM_meta_migrate_source=n1 \
    OCF_RESKEY_CRM_meta_migrate_target=n2 OCF_RESKEY_CRM_meta_timeout=60000 \
    /usr/lib/ocf/resource.d/drover/VirtualDomain migrate_to 2>&1)
rc=$?
is "$rc" 1 "migrate_to of vm2 to n2 fails (OCF_ERR_GENERIC)"
ok "...saying why, before anything moved" \
    like "$agent_out" "ocf-exit-reason:Not migrating vm2 to n2: disk $disk is on [a-z0-9]* here, which n2 does not see"
is "$(vm_running_nodes vm2)" n1 "vm2 still runs on n1 only"

# --- the drain -------------------------------------------------------------------------------
out=$(drover drain n1 --on-unmovable=skip --wait 2>&1)
is "$?" 113 "drover drain n1 --on-unmovable=skip --wait: 113, a VM left on n1"
ok "...naming it" like "$out" "n1 is drained but for vm2 (not movable, skipped)"
ok "vm1 left for n2" vm_started_on vm1 n2
is "$(vm_running_nodes vm1)" n2 "...and runs there only"
ok "vm2 still runs on n1" vm_started_on vm2 n1
is "$(vm_running_nodes vm2)" n1 "...there only"
is "$(guest_boots vm2)" "$boots" "...its guest never restarted"
no_failed_ops "crm_mon shows no failed operation"

ok "drover undrain n1" drover undrain n1
ok "crm_verify -L: configuration valid" on n1 crm_verify -L
lab_stop
done_testing
