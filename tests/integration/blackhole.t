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
#
# Then the same fallback with a bandwidth budget on lm2 and a limit on
# lm1: the slot follows the migration to lm2 (docs/slots.md).
# shellcheck disable=SC2317,SC2016  # predicates called through ok/wait_for; scripts run on nodes
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

# --- the slot follows the network --------------------------------------------
# After the fallback the migration holds a slot on lm2: lm2's bandwidth
# budget (10 MiB/s, under the VM's own 20) paces it, by lm2's byte
# counters, and lm1's limit of one migration is free meanwhile.  With a
# usual downtime (QEMU sends a migration's last pages unpaced: with 60 s
# it would send them all that way); the parameter's change starts vm1
# again, before the move.
on n1 crm_resource --resource vm1 --set-parameter migration_downtime \
    --parameter-value 500 >/dev/null
vm1_started() { [ "$(vm_role vm1)" = Started ] && guest_ready vm1; }
sleep 5
ok "vm1 runs again with migration_downtime=500" wait_for --timeout 120 vm1_started
budget=10
on n1 crm_attribute --type crm_config --name drover-network-lm2-bandwidth --update "$budget"
on n1 crm_attribute --type crm_config --name drover-network-lm1-max-migrations --update 1
from=$(vm_node vm1)
"$LAB" fault drop "$(other_node "$from")" lm1 tcp dport 49152-49215 quota over 40 mbytes >/dev/null
# every 0.5 s on the source: TIME LM2_TX_BYTES NETWORK (of vm1's slot, "-" for none)
on "$from" bash -c 'while :; do
        net=$("$0" slots 2>/dev/null | awk "\$2 == \"vm1\" && \$1 == \"holds\" { print \$5 }")
        echo "$(date +%s.%N) $(cat /sys/class/net/lm2/statistics/tx_bytes) ${net:--}"
        sleep 0.5
    done' "$LAB_REPO/build/drover" >"$LAB_DIR/slot-network.log" 2>/dev/null &
sampler=$!
ok "vm1 moves again, lm1 failing" move_vm vm1
# lab exec's loop dies with it (the other release's lab runs its own)
pkill -P "$sampler" 2>/dev/null
kill "$sampler" 2>/dev/null
wait "$sampler" 2>/dev/null
"$LAB" fault undrop "$(other_node "$from")" lm1 >/dev/null
ok "...lm2 took over again" \
    logged "vm1: giving back the slot on lm1 for one on lm2"
# MiB/s of lm2 between two samples that both saw vm1's slot there
lm2_rates() {
    awk 'NR > 1 && $3 == "lm2" && last == "lm2" {
            printf "%.2f\n", ($2 - b) / ($1 - t) / 1048576 }
        { t = $1; b = $2; last = $3 }' "$LAB_DIR/slot-network.log" | sort -n
}
median() { awk '{ v[NR] = $1 } END { if (NR) printf "%.1f\n", v[int((NR + 1) / 2)]; else print -1 }'; }
on_lm1_while_lm2_moves() { # samples where lm2 sent > 1 MiB but vm1's slot was lm1's
    awk 'NR > 1 && $3 == "lm1" && $2 - b > 1048576 { n++ } { b = $2 } END { print n + 0 }' \
        "$LAB_DIR/slot-network.log"
}
diag "drover slots on $from, vm1's network every 0.5 s: $(awk '{ print $3 }' "$LAB_DIR/slot-network.log" | uniq -c | xargs)"
cmp_ok "$(lm2_rates | wc -l)" -ge 3 "drover slots shows vm1 holding a slot on lm2 while it moves"
is "$(on_lm1_while_lm2_moves)" 0 "...and none on lm1 meanwhile: lm1's limit is free"
rate=$(lm2_rates | median)
ok "lm2's budget holds: $rate MiB/s (median) for $budget MiB/s" \
    awk -v r="$rate" -v b="$budget" 'BEGIN { exit !(r > 0 && r <= b * 1.1) }'
vm_not_restarted vm1
on n1 crm_attribute --type crm_config --name drover-network-lm2-bandwidth --delete
on n1 crm_attribute --type crm_config --name drover-network-lm1-max-migrations --delete

ok "crm_verify -L: configuration valid" on n1 crm_verify -L
lab_stop
done_testing
