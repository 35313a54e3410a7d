#!/bin/bash
# Migration slots on the lab, continued: a network's bandwidth budget
# shared by the migrations on it (measured on the interface), and slots
# freed when their holder dies — SIGKILLed agent, crashed node.
# shellcheck disable=SC2317,SC2016  # predicates called through ok/wait_for/eval
. "$(dirname "$0")/../lab/lib.sh"

export LAB_VM_AGENT=ocf:drover:VirtualDomain
# vm3 is the big one: it goes on alone when the other two are done
export LAB_VM_FILL=${LAB_VM_FILL:-48} LAB_VM_FILL_vm3=192 LAB_VM_MEMORY=${LAB_VM_MEMORY:-256}
lab_start --nodes 3 --vms 3

budget=30 # MiB/s on lm1
on n1 crm_attribute --type crm_config --name drover-migration-networks \
    --update "lm1=10.20.1.0/24 lm2=10.20.2.0/24"
on n1 crm_attribute --type crm_config --name drover-network-lm1-bandwidth --update "$budget"
on n1 crm_attribute --node n1 --name drover-max-outgoing --update 3
nodehealth_clone
published() { on n1 crm_attribute --node "$1" --name drover-net-lm1 --lifetime reboot \
    --query --quiet 2>/dev/null | grep -q "link=up"; }
for node in n1 n2 n3; do
    ok "NodeHealth publishes $node's lm1" wait_for --timeout 60 published "$node"
done
ok "the VMs gather on n1" gather_vms_on n1 180
for vm in vm1 vm2 vm3; do
    ok "$vm's guest is up" wait_for --timeout 120 guest_ready "$vm"
done

# --- the budget: three migrations share lm1's 30 MiB/s ------------------------
# Sample n1 every 0.5 s: TIME LM1_TX_BYTES OUTGOING_JOBS VM3_MIB_PER_S
on n1 bash -c '
    while :; do
        o=0 v3=0
        for d in $(virsh -q list --name); do
            info=$(virsh domjobinfo "$d" 2>/dev/null)
            case $info in *"Outgoing migration"*) o=$((o + 1)) ;; esac
            [ "$d" = vm3 ] && v3=$(awk "/^Memory bandwidth:/ { print \$3 }" <<<"$info")
        done
        echo "$(date +%s.%N) $(cat /sys/class/net/lm1/statistics/tx_bytes) $o ${v3:-0}"
        sleep 0.5
    done' >"$LAB_DIR/lm1.log" 2>/dev/null &
# All three leave n1 in one transition (Pacemaker starts no new action
# while one runs, so separate moves would go one by one)
on n1 crm_attribute --node n1 --name standby --update on
off_n1() { vms_started_off n1 vm1 vm2 vm3; }
ok "the three VMs leave n1" wait_for --timeout 180 off_n1
pkill -f 'virsh domjobinfo' 2>/dev/null
wait 2>/dev/null
on n1 crm_attribute --node n1 --name standby --delete
# MiB/s while N jobs ran, in steady state: the median over the intervals
# between two samples whose neighbours also saw N (for up to a poll of the
# agents, 0.5 s, after a migration starts or ends, the others still send
# at their old share; and QEMU sends a migration's last dirty pages
# unthrottled, a burst in one interval that the median leaves out)
rate_with() {
    awk -v n="$1" '{ t[NR] = $1; b[NR] = $2; o[NR] = $3 }
        END {
            for (i = 2; i < NR - 1; i++)
                if (o[i - 1] == n && o[i] == n && o[i + 1] == n && o[i + 2] == n)
                    printf "%.3f\n", (b[i + 1] - b[i]) / (t[i + 1] - t[i]) / 1048576
        }' "$LAB_DIR/lm1.log" | sort -n |
        awk '{ v[NR] = $1 } END { if (NR < 2) print 0; else printf "%.1f\n", v[int((NR + 1) / 2)] }'
}
vm3_speed_with() { awk -v n="$1" '$3 == n && $4 > 0 { s += $4; c++ } END { printf "%.1f\n", c ? s / c : 0 }' \
    "$LAB_DIR/lm1.log"; }
three=$(rate_with 3)
diag "lm1 with 3 migrations: $three MiB/s; alone: $(rate_with 1) MiB/s; vm3 $(vm3_speed_with 3) -> $(vm3_speed_with 1) MiB/s"
ok "3 migrations on lm1: $three MiB/s, within 10 % of the $budget MiB/s budget" \
    awk -v r="$three" -v b="$budget" 'BEGIN { exit !(r >= b * 0.9 && r <= b * 1.1) }'
ok "the third speeds up when the other two are done ($(vm3_speed_with 3) -> $(vm3_speed_with 1) MiB/s)" \
    awk -v a="$(vm3_speed_with 3)" -v b="$(vm3_speed_with 1)" 'BEGIN { exit !(a > 0 && b >= 2 * a) }'
on n1 crm_attribute --type crm_config --name drover-network-lm1-bandwidth --delete

# --- a SIGKILLed agent's slot is free at once -----------------------------------
# vm1 on n2 moves to n1 slowly; its agent is killed while it holds the slot
# poll_until SECONDS CMD...: CMD every 0.1 s (wait_for polls too seldom to time)
poll_until() {
    local end
    end=$(awk -v s="$1" -v n="$(lab_now)" 'BEGIN { printf "%.1f", n + s }')
    shift
    until "$@"; do
        awk -v e="$end" -v n="$(lab_now)" 'BEGIN { exit !(n > e) }' && return 1
        sleep 0.1
    done
}
holds() { on "$1" "$LAB_REPO/build/drover" slots 2>/dev/null | grep -q '^holds'; }
none_held() { on "$1" "$LAB_REPO/build/drover" slots 2>/dev/null | grep -q '^No migration'; }
# the parameter change restarts vm1: wait for that (crm_resource --wait
# alone can return before the scheduler has seen the change, and the move
# below then turns the restart into a start on n1, no migration)
where_vm1() { local n; n=$(vm_node vm1); echo "$n:$(on "$n" virsh domid vm1 2>/dev/null)"; }
vm1_before=$(where_vm1)
on n1 crm_resource --resource vm1 --set-parameter migration_speed --parameter-value 4 >/dev/null
vm1_restarted() { [ "$(vm_role vm1)" = Started ] && [ "$(where_vm1)" != "$vm1_before" ]; }
wait_for --timeout 90 vm1_restarted || diag "vm1 did not restart after the parameter change"
on n1 crm_resource --wait --timeout=90s
on n1 crm_resource --move -r vm1 -N n1 --quiet
if ! ok "vm1's migration holds a slot" wait_for --timeout 60 holds n3; then
    for node in n1 n2 n3; do
        diag "$node: #health-drover=$(on n1 crm_attribute --node "$node" --name '#health-drover' \
            --lifetime reboot --query --quiet 2>/dev/null) $(on n1 crm_attribute --node "$node" \
            --name drover-health-reason --lifetime reboot --query --quiet 2>/dev/null)"
        grep -hE 'VirtualDomain\(vm1\).*(ocf-exit-reason|Not migrating|facts|Slot|warning)' \
            "$(lab_node_root "$node")/var/log/pacemaker/pacemaker.log" 2>/dev/null |
            grep -v pacemaker-execd | tail -n 5 | sed "s/^/# $node: /" >&2
    done
    no_failed_ops "...(what failed)"
fi
src=$(vm_node vm1)
t0=$(lab_now)
on "$src" pkill -KILL -f "VirtualDomain migrate_to"
ok "the slot is free again (seen from n3)" poll_until 10 none_held n3
freed=$(lab_since "$t0")
ok "...within the token timeout (1 s) + 1 s: $freed s" awk -v f="$freed" 'BEGIN { exit !(f <= 2) }'
settled() { [ "$(vm_role vm1)" = Started ] && [ "$(vm_running_nodes vm1 | wc -w)" = 1 ]; }
ok "vm1 runs on exactly one node afterwards" wait_for --timeout 120 settled
on n1 crm_resource --clear -r vm1 --quiet
on n1 crm_resource --cleanup -r vm1 --quiet >/dev/null

# --- a crashed node's slots are freed by the membership change --------------------
# vm2 (on n3 since the budget part) moves slowly to n1; n3 crashes meanwhile
on n1 crm_resource --resource vm2 --set-parameter migration_speed --parameter-value 4 >/dev/null
on n1 crm_resource --wait --timeout=90s
from=$(vm_node vm2)
if [ "$from" = n1 ]; then # the lab is driven from n1: crash another
    on n1 crm_resource --move -r vm2 -N n3 --quiet
    wait_for --timeout 90 eval '[ "$(vm_node vm2)" = n3 ]'
    on n1 crm_resource --clear -r vm2 --quiet
    from=n3
fi
to=n1
watcher=n2
[ "$from" = n2 ] && watcher=n3
on n1 crm_resource --move -r vm2 -N "$to" --quiet
ok "vm2's migration ($from -> $to) holds a slot" wait_for --timeout 60 holds "$watcher"
t0=$(lab_now)
"$LAB" fault crash "$from" >/dev/null
ok "$from crashed: its slot is free (seen from $watcher)" poll_until 15 none_held "$watcher"
freed=$(lab_since "$t0")
# Corosync reports a lost node after its token timeout and the consensus
# timeout that follows (the runtime values: token grows with the nodes)
cmap() { on "$watcher" corosync-cmapctl -g "runtime.config.totem.$1" | awk '{ print $NF }'; }
token=$(cmap token) consensus=$(cmap consensus)
ok "...within Corosync's membership change (token $token ms + consensus $consensus ms) + 1 s: $freed s" \
    awk -v f="$freed" -v t="$token" -v c="$consensus" 'BEGIN { exit !(f <= (t + c) / 1000 + 1) }'

# --- without quorum, no slot -----------------------------------------------------
"$LAB" fault boot "$from" >/dev/null
online() { on n1 crm_mon -1 | grep -q "Online: .*$from"; }
ok "$from is back" wait_for --timeout 90 online
take() { on "$1" timeout "$2" "$LAB_REPO/build/tests/slot-latency" 1 "$1" n1 >/dev/null; }
ok "$from takes a slot (quorate)" take "$from" 10
"$LAB" fault partition "$from" >/dev/null
inquorate() { on "$from" corosync-quorumtool -s | grep -q 'Quorate: *No'; }
ok "$from is cut off and inquorate" wait_for --timeout 30 inquorate
take "$from" 5
is "$?" 124 "$from asks for a slot and gets none in 5 s"
ok "n1 (quorate) still takes slots" take n1 10
"$LAB" fault heal "$from" >/dev/null
quorate() { on "$from" corosync-quorumtool -s | grep -q 'Quorate: *Yes'; }
ok "healed: $from is quorate again" wait_for --timeout 30 quorate
ok "$from takes a slot again (the partitions' tables merged)" take "$from" 10

lab_stop
done_testing
