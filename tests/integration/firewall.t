#!/bin/bash
# A network that accepts nothing: the target's migration ports filtered on
# lm1 while ping and the MTU probe still pass.
#  1. SYNs dropped: the agent's pre-flight TCP probe finds it, skips lm1
#     and the memory goes over lm2 (interface byte counters);
#  2. only the data dropped (the probe passes, the connection opens, no
#     byte gets through): the migration is abandoned within
#     migration_stall_timeout and the next network carries the VM;
#  3. the target's libvirtd restarts during the migration: the agent
#     waits for it and tries the same network again;
#  4. the target takes three stall timeouts to start its QEMU (a loaded
#     node, a libvirtd just restarted): no data moves meanwhile, yet the
#     network is not at fault; the stall clock starts once the stream
#     opens, and the memory goes over lm1.
# None costs the guest a restart or a failed operation.
# shellcheck disable=SC2317,SC2016  # predicates called through ok/wait_for/eval
. "$(dirname "$0")/../lab/lib.sh"

export LAB_VM_AGENT=ocf:drover:VirtualDomain
# 20 MiB/s: a move lasts a few seconds, long enough to restart libvirtd in
export LAB_VM_PARAMS="migration_stall_timeout=4 migration_speed=20"
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

# --- 1. SYNs to the migration ports dropped on the way to the target ----------------
target=$(other_node "$(vm_node vm1)")
"$LAB" fault drop "$target" lm1 tcp dport 49152-49215 >/dev/null
ok "ping over lm1 still works" on "$(vm_node vm1)" ping -c 1 -W 2 "$target-lm1"
t0=$(date +%s)
ok "vm1 moves" move_vm vm1
diag "moved in $(($(date +%s) - t0)) s"
ok "the probe found lm1 filtered" \
    logged "Network lm1 skipped: TCP to 10.20.1.1[12] port 49152 gets no answer"
cmp_ok "${sent[lm2]}" -ge $((40 * 1048576)) "memory over lm2 ($(mib "${sent[lm2]}"))"
cmp_ok "${sent[lm1]}" -lt $((8 * 1048576)) "  not over lm1 ($(mib "${sent[lm1]}"))"
vm_not_restarted vm1
"$LAB" fault undrop "$target" lm1 >/dev/null

# --- 2. the connection opens, no data gets through ------------------------------
target=$(other_node "$(vm_node vm1)")
"$LAB" fault drop "$target" lm1 tcp dport 49152-49215 meta length gt 200 >/dev/null
t0=$(date +%s)
ok "vm1 moves" move_vm vm1
diag "moved in $(($(date +%s) - t0)) s"
ok "the migration over lm1 was abandoned for want of progress" \
    logged "Migration moves no data: aborting"
ok "...and lm2 took over" logged "over lm1 failed (no data moved for 4 s); vm1 still runs here, trying the next network"
cmp_ok "${sent[lm2]}" -ge $((40 * 1048576)) "memory over lm2 ($(mib "${sent[lm2]}"))"
vm_not_restarted vm1
"$LAB" fault undrop "$target" lm1 >/dev/null

# --- 3. the target's libvirtd restarts during the migration ------------------------
target=$(other_node "$(vm_node vm1)")
source=$(vm_node vm1)
migrating() { on "$source" virsh domjobinfo vm1 2>/dev/null | grep -q "^Operation: *Outgoing"; }
log_lines=$(on "$source" cat /var/log/pacemaker/pacemaker.log | wc -l)
logged_now() { # what the source logged since
    on "$source" tail -n "+$((log_lines + 1))" /var/log/pacemaker/pacemaker.log | grep -q -- "$1"
}
(wait_for --timeout 60 migrating && "$LAB" fault libvirtd "$target" restart >/dev/null) &
restarter=$!
t0=$(date +%s)
ok "vm1 moves" move_vm vm1
diag "moved in $(($(date +%s) - t0)) s"
wait "$restarter"
ok "the first attempt failed with libvirtd's restart" logged_now "Migration of vm1 to $target.*failed"
ok "...and the agent tried again" \
    logged_now "failed on libvirtd there.*trying again (1 of 3)"
vm_not_restarted vm1

# --- 4. the target starts its QEMU slowly -------------------------------------------
# A libvirt hook on the target sleeps at "prepare" while a flag file exists
# (libvirtd finds its hooks when it starts, hence the restart)
target=$(other_node "$(vm_node vm1)")
source=$(vm_node vm1)
on "$target" mkdir -p /etc/libvirt/hooks
on "$target" tee /etc/libvirt/hooks/qemu >/dev/null <<'HOOK'
#!/bin/sh
if [ "$2" = prepare ] && [ -e /run/slow-prepare ]; then
    echo "$1 $(date +%s)" >> /run/slow-prepare
    sleep 12
fi
exit 0
HOOK
on "$target" chmod 755 /etc/libvirt/hooks/qemu
"$LAB" fault libvirtd "$target" restart >/dev/null
on "$target" touch /run/slow-prepare
log_lines=$(on "$source" cat /var/log/pacemaker/pacemaker.log | wc -l)
t0=$(date +%s)
ok "vm1 moves" move_vm vm1
diag "moved in $(($(date +%s) - t0)) s"
ok "the target's QEMU started 12 s late" on "$target" grep -q "^vm1 " /run/slow-prepare
ok "...no data moved meanwhile, and no stall was counted" \
    eval '! logged_now "moves no data"'
ok "...the first attempt went through" eval '! logged_now "trying the next network"'
cmp_ok "${sent[lm1]}" -ge $((40 * 1048576)) "memory over lm1 ($(mib "${sent[lm1]}"))"
vm_not_restarted vm1
on "$target" rm -f /run/slow-prepare

ok "crm_verify -L: configuration valid" on n1 crm_verify -L
lab_stop
done_testing
