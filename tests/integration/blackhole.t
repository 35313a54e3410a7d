#!/bin/bash
# A black hole at the switch-over: QEMU sends a migration's last pages with
# the guest paused and its big lock held; when the network swallows them
# then, QEMU's send() blocks (for TCP's 15 minutes), and so do libvirt's
# job queries and its abort.  drover sees libvirt not answering while the
# target acknowledges no byte of the memory stream, closes QEMU's
# connections to it, and the next network carries the VM: no restart, no
# failed operation.
#
# A migration_downtime of 60 s makes QEMU switch over after its first
# pass; the switch on lm1 drops what goes to the target's migration ports
# once 40 MB went through.  A stall timeout of 8 s: the target's QEMU
# takes 3-4 s to start on a loaded Debian 13 node (libvirt 11 reads each of
# QEMU 10's CPU properties on its own under TCG), and a migration that
# moves no data within the stall timeout is abandoned.
# shellcheck disable=SC2317  # predicates called through ok/wait_for
. "$(dirname "$0")/../lab/lib.sh"

export LAB_VM_AGENT=ocf:drover:VirtualDomain
export LAB_VM_PARAMS="migration_downtime=60000 migration_speed=20 migration_stall_timeout=8"
lab_start --nodes 2 --vms 1

on n1 crm_attribute --type crm_config --name drover-migration-networks \
    --update "lm1=10.20.1.0/24 lm2=10.20.2.0/24"
nodehealth_clone
published() { # NODE NETWORK
    on n1 crm_attribute --node "$1" --name "drover-net-$2" --lifetime reboot \
        --query --quiet 2>/dev/null | grep -q "link=up"
}
for node in n1 n2; do
    for net in lm1 lm2; do
        ok "NodeHealth publishes $node's $net facts" wait_for --timeout 60 published "$node" "$net"
    done
done
ok "vm1's guest is up" wait_for --timeout 60 guest_ready vm1

logged() { on "$src" grep -q -- "$1" /var/log/pacemaker/pacemaker.log; }

target=$(other_node "$(vm_node vm1)")
"$LAB" fault drop "$target" lm1 tcp dport 49152-49215 quota over 40 mbytes >/dev/null
t0=$(date +%s)
ok "vm1 moves" move_vm vm1
diag "moved in $(($(date +%s) - t0)) s"
ok "libvirt stopped answering during the switch-over" \
    logged "libvirt has not answered for"
ok "...drover closed QEMU's connections to the black hole" \
    logged "closing QEMU's"
ok "...and lm2 took over" \
    logged "over lm1 failed (.*black hole.*); vm1 still runs here, trying the next network"
cmp_ok "${sent[lm2]}" -ge $((40 * 1048576)) "memory over lm2 ($(mib "${sent[lm2]}"))"
vm_not_restarted vm1
"$LAB" fault undrop "$target" lm1 >/dev/null

ok "crm_verify -L: configuration valid" on n1 crm_verify -L
lab_stop
done_testing
