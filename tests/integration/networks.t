#!/bin/bash
# Migration networks on the lab: the cluster's order, the target's incoming
# policy, a VM's own order, and fallback when a network is unusable —
# checked by which interface's byte counters carried the guest's memory,
# and by the reasons the agent logged.
# shellcheck disable=SC2317,SC2016  # predicates called through ok/wait_for/eval
. "$(dirname "$0")/../lab/lib.sh"

export LAB_VM_AGENT=ocf:drover:VirtualDomain
lab_start --nodes 3 --vms 1

fill_mib=${LAB_VM_FILL:-64}
carried=$((fill_mib * 1024 * 1024 * 3 / 4)) # the memory went this way
little=$((8 * 1024 * 1024))                  # no memory went this way

on n1 crm_attribute --type crm_config --name drover-migration-networks \
    --update "lm1=10.20.1.0/24 lm2=10.20.2.0/24 mgmt=10.20.0.0/24"
nodehealth_clone

published() { # NODE NETWORK PATTERN
    on n1 crm_attribute --node "$1" --name "drover-net-$2" --lifetime reboot \
        --query --quiet 2>/dev/null | grep -q -- "$3"
}
for node in n1 n2 n3; do
    ok "NodeHealth publishes $node's lm1 facts" \
        wait_for --timeout 60 published "$node" lm1 "address=10.20.1.1.* link=up"
done

started_on() { vm_started_on vm1 "$1"; }

# Asked on the source itself, the explanation includes the path probes
explained=$(on n1 "$LAB_REPO/build/drover" networks explain vm1 --to n2)
diag "$explained"
ok "drover networks explain on n1 probes and picks lm1 for n2" \
    grep -q "^  1. lm1 *chosen *first usable network in the order (10.20.1.12)" <<<"$explained"
ok "...and says the probes ran" eval '! grep -q "probes not run" <<<"$explained"'

# Move vm1 to TARGET; report the bytes SOURCE sent on each network
move() {
    local target=$1 src net
    src=$(vm_node vm1)
    declare -gA sent
    for net in lm1 lm2 mgmt; do sent[$net]=$(net_tx_bytes "$src" "$net"); done
    on n1 crm_resource --move -r vm1 -N "$target" --quiet
    wait_for --timeout 90 started_on "$target" || return 1
    on n1 crm_resource --clear -r vm1 --quiet
    for net in lm1 lm2 mgmt; do
        sent[$net]=$(($(net_tx_bytes "$src" "$net") - sent[$net]))
    done
    moved_from=$src
}
mib() { echo "$(($1 / 1048576)) MiB"; }
carried_on() { # NET: the memory went over NET and not the others
    local net=$1 other
    cmp_ok "${sent[$net]}" -ge "$carried" "memory over $net ($(mib "${sent[$net]}"))"
    for other in lm1 lm2 mgmt; do
        [ "$other" = "$net" ] && continue
        cmp_ok "${sent[$other]}" -lt "$little" "  not over $other ($(mib "${sent[$other]}"))"
    done
}
logged() { on "$moved_from" grep -q -- "$1" /var/log/pacemaker/pacemaker.log; }

# --- the cluster's order: lm1 first --------------------------------------------
ok "vm1 moves n1 -> n2" move n2
carried_on lm1
ok "the agent logged lm1 as chosen" logged "Network lm1 chosen for the migration to n2"
last() { # FIELD: of vm1's last migration, as drover status shows it
    on n1 "$LAB_REPO/build/drover" status --output-as=xml |
        xmllint --xpath "string(//vm[@id='vm1']/last-migration/@$1)" -
}
# last_is DESCRIPTION EXPECTED FIELD...: the record's FIELDs read EXPECTED
# (attrd hands a record on to the other nodes asynchronously: up to 10 s)
last_is() {
    local desc=$1 want=$2 got f i
    shift 2
    for ((i = 0; i < 20; i++)); do
        got=""
        for f in "$@"; do got+="${got:+ }$(last "$f")"; done
        [ "$got" = "$want" ] && break
        sleep 0.5
    done
    is "$got" "$want" "$desc" && return 0
    # what each node's attrd holds, and what the agents said of records
    local node
    for node in n1 n2 n3; do
        diag "$node: $(on "$node" attrd_updater --query --all \
            --name drover-migration-vm1 2>&1 | tr '\n' ' ')"
        grep -h 'VirtualDomain(vm1).*\(record\|offline\|accepts no live\|stopped here\|Cannot set\)' \
            "$(lab_node_root "$node")/var/log/pacemaker/pacemaker.log" 2>/dev/null |
            tail -n 4 | sed "s/^/# $node: /" >&2
    done
    return 1
}
is "$(last network) $(last from) $(last to) $(last mode) $(last result)" \
    "lm1 n1 n2 live ok" "drover status: vm1's last migration went n1 -> n2 over lm1"

# --- lm1's link down at the target: lm2 ------------------------------------------
"$LAB" fault port n3 lm1 down >/dev/null
ok "n3 publishes lm1 link=down" wait_for --timeout 30 published n3 lm1 "link=down"
ok "vm1 moves n2 -> n3" move n3
carried_on lm2
ok "the reason names lm1's link" logged "Network lm1 skipped: n3's link is down"
is "$(last network)" lm2 "drover status: ...over lm2"
ok "...and why lm1 was skipped: $(last skipped)" eval '[[ "$(last skipped)" == *"lm1: n3'"'"'s link is down"* ]]'
"$LAB" fault heal n3 >/dev/null

# --- the target accepts only lm2 (by name, then by its own address) ---------------------
on n1 crm_attribute --node n1 --name drover-incoming --update lm2
ok "vm1 moves n3 -> n1" move n1
carried_on lm2
ok "the reason names the policy" \
    logged "Network lm1 skipped: n1 does not accept migrations on it (drover-incoming)"
on n1 crm_attribute --node n2 --name drover-incoming --update 10.20.2.12
ok "vm1 moves n1 -> n2" move n2
carried_on lm2

# --- an MTU mismatch on lm1 ------------------------------------------------------------
on n1 crm_attribute --node n1 --name drover-incoming --delete
on n1 crm_attribute --node n2 --name drover-incoming --delete
"$LAB" fault mtu n2 lm1 9000 >/dev/null
ok "n2 publishes lm1 mtu=9000" wait_for --timeout 30 published n2 lm1 "mtu=9000"
ok "vm1 moves n2 -> n1" move n1
carried_on lm2
ok "the reason names the MTU" logged "Network lm1 skipped: MTU mismatch: n2 has 9000, n1 has 1500"
"$LAB" fault heal n2 >/dev/null
ok "n2 publishes lm1 mtu=1500 again" wait_for --timeout 30 published n2 lm1 "mtu=1500"

# --- the VM's own order overrides the cluster's --------------------------------------------
on n1 crm_resource --resource vm1 --set-parameter migration_networks \
    --parameter-value "mgmt lm1" >/dev/null
ok "vm1 runs again after the parameter change" wait_for --timeout 60 started_on n1
ok "vm1 moves n1 -> n3" move n3
carried_on mgmt

# --- lm1 fails in the middle of the transfer: aborted, retried on lm2 --------------------
# 16 MiB/s makes the transfer last seconds; the frames of n1's lm1 port are
# then dropped silently at the switch (no carrier loss, no reset).
on n1 crm_resource --resource vm1 --set-parameter migration_networks \
    --parameter-value "lm1 lm2" >/dev/null
on n1 crm_resource --resource vm1 --set-parameter migration_speed \
    --parameter-value 16 >/dev/null
on n1 crm_resource --resource vm1 --set-parameter migration_stall_timeout \
    --parameter-value 3 >/dev/null
running() { [[ "$(vm_state vm1)" == "Started "* ]]; }
ok "vm1 runs again after the parameter changes" wait_for --timeout 60 running
ok "the cluster settles (every restart done)" on n1 crm_resource --wait --timeout=90s
src=$(vm_node vm1)
dst=n1
[ "$src" = n1 ] && dst=n2
diag "vm1 runs on $src; moving it to $dst, dropping $dst's lm1 frames mid-way"
ok "vm1's guest is up" wait_for --timeout 60 guest_ready vm1
# a beat printed from now on comes from the guest that will move
src_lines=$(guest_serial_mark vm1 "$src")
ok "vm1's guest beats on $src" wait_for --timeout 30 guest_has_beat_after vm1 "$src" "$src_lines"
count_log() { on "$src" grep -c -- "$1" /var/log/pacemaker/pacemaker.log; }
gave_up=$(count_log "over lm1 failed (no data moved for 3 s)")
chose_lm2=$(count_log "Network lm2 chosen for the migration to $dst")
hb_before=$(guest_beat_on vm1 "$src")
lines=$(guest_serial_mark vm1 "$dst")
lm2_before=$(net_tx_bytes "$src" lm2)
lm1_before=$(net_tx_bytes "$src" lm1)
# mid-way: once lm1 carries the memory (not a fixed time after the move:
# on a loaded machine the migration may not have started, and lm1 would
# be skipped before it, not given up)
lm1_carries() { [ "$(net_tx_bytes "$src" lm1)" -gt $((lm1_before + 4194304)) ]; }
t_mig=$(lab_now)
on n1 crm_resource --move -r vm1 -N "$dst" --quiet
wait_for --timeout 60 lm1_carries || diag "lm1 carried nothing within 60 s"
"$LAB" fault drop "$dst" lm1 >/dev/null
ok "vm1 ends up started on $dst" wait_for --timeout 120 started_on "$dst"
on n1 crm_resource --clear -r vm1 --quiet
"$LAB" fault undrop "$dst" lm1 >/dev/null
cmp_ok "$(count_log "over lm1 failed (no data moved for 3 s); vm1 still runs here, trying the next network")" \
    -gt "$gave_up" "the agent gave up on lm1 (no data moved) with vm1 still on $src"
cmp_ok "$(count_log "Network lm2 chosen for the migration to $dst")" -gt "$chose_lm2" \
    "...and went on over lm2"
lm2_sent=$(($(net_tx_bytes "$src" lm2) - lm2_before))
cmp_ok "$lm2_sent" -ge "$carried" "the memory went over lm2 in the end ($(mib "$lm2_sent"))"
is "$(migrations "${t_mig%.*}" | awk '{print $3, $4, $5}' | xargs)" "vm1 $src 0" \
    "one migrate_to, and it succeeded (no stop/start)"
wait_for --timeout 10 guest_has_beat_after vm1 "$dst" "$lines"
hb_first=$(guest_beat_after vm1 "$dst" "$lines")
cmp_ok "$hb_first" -ge "$hb_before" "the guest went on beating on $dst ($hb_before -> $hb_first, no restart)"
is "$(vm_running_nodes vm1)" "$dst" "vm1 runs on $dst only"

# --- a node that accepts no live migration (drover-incoming=none) -----------------------
# The documented rule keeps Pacemaker from choosing it while another node
# can take the VM; when it is the only node left, the VM moves there by a
# quick migration (stopped here, started there), with no failed operation.
cur=$dst
others=$(printf '%s\n' n1 n2 n3 | grep -vx "$cur" | xargs)
none_node=${others%% *}
other=${others##* }
on n1 cibadmin -C -o constraints -X '<rsc_location id="vm1-avoid-none" rsc="vm1">
  <rule id="vm1-avoid-none-rule" score="1000" boolean-op="or">
    <expression id="vm1-avoid-none-unset" attribute="drover-incoming"
                operation="not_defined"/>
    <expression id="vm1-avoid-none-set" attribute="drover-incoming"
                operation="ne" value="none"/></rule></rsc_location>'
on n1 crm_attribute --node "$none_node" --name drover-incoming --update none
diag "vm1 on $cur; $none_node accepts none; standby $cur, then $other"
t_none=$(lab_now)
on n1 crm_attribute --node "$cur" --name standby --update on
ok "standby $cur: vm1 goes to $other, not to $none_node" wait_for --timeout 90 started_on "$other"
last_is "...by a live migration" "live $other" mode to
lines=$(guest_serial_mark vm1 "$none_node")
on n1 crm_attribute --node "$other" --name standby --update on
ok "standby $other too: vm1 runs on $none_node, the only node left" \
    wait_for --timeout 120 started_on "$none_node"
last_is "drover status: a quick (offline) migration to $none_node" \
    "offline $none_node ok" mode to result
ok "the agent said why" on "$other" grep -q -- \
    "$none_node accepts no live migration (drover-incoming=none): stopping vm1" \
    /var/log/pacemaker/pacemaker.log
is "$(migrations "${t_none%.*}" | awk '{print $5}' | xargs)" "0 0" \
    "both migrate_to operations succeeded"
no_failed_ops "crm_mon shows no failed operation"
ok "vm1's guest booted again on $none_node" wait_for --timeout 60 guest_has_beat_after vm1 "$none_node" "$lines"
is "$(vm_running_nodes vm1)" "$none_node" "vm1 runs on $none_node only"
on n1 crm_attribute --node "$cur" --name standby --delete
on n1 crm_attribute --node "$other" --name standby --delete
off_none() { running && [ "$(vm_node vm1)" != "$none_node" ] && [ "$(vm_running_nodes vm1 | wc -w)" = 1 ]; }
ok "the others back: the rule moves vm1 off $none_node again" wait_for --timeout 90 off_none
last_is "...by a live migration" "live $none_node ok" mode from result
# the nodes that left standby had not published their facts yet when
# Pacemaker moved vm1 to one of them: the agent waited for them
no_failed_ops "...with no failed operation"
on n1 crm_attribute --node "$none_node" --name drover-incoming --delete
on n1 cibadmin -D -o constraints -X '<rsc_location id="vm1-avoid-none"/>'

# --- bad configuration: drover config check names it -------------------------------------------
on n1 crm_attribute --node n3 --name drover-incoming --update lm9
out=$(on n1 "$LAB_REPO/build/drover" config check 2>&1)
is "$?" 78 "drover config check exits 78 on a bad incoming policy"
ok "...naming the node and the value: $(head -n 1 <<<"$out")" \
    grep -q "^error: node n3: drover-incoming 'lm9'" <<<"$out"

is "$(vm_running_nodes vm1 | wc -w)" 1 "vm1 runs on exactly one node"
ok "crm_verify -L: configuration valid" on n1 crm_verify -L
lab_stop
done_testing
