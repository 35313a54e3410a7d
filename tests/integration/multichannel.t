#!/bin/bash
# Multichannel on the lab: lm1 and lm2 of one group (equal preference).  A
# drain of two VMs runs both migrations at once, one over each network —
# both of n1's interfaces' byte counters carry a guest's memory, mgmt
# none.  Then a drain while lm2 turns into a black hole part-way: the
# migration on it stalls, is abandoned and goes over lm1; no VM restarted,
# no failed operation.  Last, a bad network setting: the VM still moves.
# shellcheck disable=SC2317,SC2016  # predicates called through ok/wait_for/eval
. "$(dirname "$0")/../lab/lib.sh"

export LAB_VM_AGENT=ocf:drover:VirtualDomain
export LAB_VM_FILL=${LAB_VM_FILL:-32} LAB_VM_MEMORY=${LAB_VM_MEMORY:-128}
# a migration that moves no byte for 8 s is abandoned (the next network)
export LAB_VM_PARAMS="migration_speed=16 migration_stall_timeout=8"
lab_start --nodes 3 --vms 2
drover() { on n1 "$LAB_REPO/build/drover" "$@"; }

carried=$((LAB_VM_FILL * 1048576 * 3 / 4)) # a guest's memory went this way
little=$((8 * 1048576))                     # none went this way

on n1 crm_attribute --type crm_config --name drover-migration-networks \
    --update "lm1=10.20.1.0/24 lm2=10.20.2.0/24 mgmt=10.20.0.0/24"
for net in lm1 lm2; do
    on n1 crm_attribute --type crm_config --name "drover-network-$net-group" --update fast
done
nodehealth_clone
published() { # NODE NETWORK
    on n1 crm_attribute --node "$1" --name "drover-net-$2" --lifetime reboot \
        --query --quiet 2>/dev/null | grep -q "link=up"
}
for node in n1 n2 n3; do
    for net in lm1 lm2; do
        ok "NodeHealth publishes $node's $net facts" wait_for --timeout 60 published "$node" "$net"
    done
done
ok "drover config check accepts the group" drover config check
explained=$(drover networks explain vm1 --to n2)
diag "$explained"
ok "networks explain: lm1 chosen, lm2 of equal preference" \
    grep -qE '^  2\. lm2 +equal +usable, of equal preference \(group fast\)' <<<"$explained"
ok "the two VMs gather on n1" gather_vms_on n1 240
for vm in vm1 vm2; do ok "$vm's guest is up" wait_for --timeout 60 guest_ready "$vm"; done

# drain_n1 NAME: drain n1 and back; sets sent[NET], the bytes n1 sent
drain_n1() {
    local net vm
    declare -gA sent beat
    for vm in vm1 vm2; do beat[$vm]=$(guest_heartbeat "$vm"); done
    for net in lm1 lm2 mgmt; do sent[$net]=$(net_tx_bytes n1 "$net"); done
    out=$(drover drain n1 --wait --timeout=240)
    is "$?" 0 "$1: drover drain n1 --wait exits 0"
    diag "$out"
    for net in lm1 lm2 mgmt; do sent[$net]=$(($(net_tx_bytes n1 "$net") - sent[$net])); done
    diag "n1 sent: lm1 $(mib "${sent[lm1]}"), lm2 $(mib "${sent[lm2]}"), mgmt $(mib "${sent[mgmt]}")"
    for vm in vm1 vm2; do
        ok "$vm left n1 and runs on one node" \
            eval '[ "$(vm_running_nodes "$vm" | wc -w)" = 1 ] && [ "$(vm_running_nodes "$vm")" != n1 ]'
        cmp_ok "$(guest_heartbeat "$vm")" -gt "${beat[$vm]}" "$vm's guest ran on throughout"
    done
    no_failed_ops "crm_mon shows no failed operation"
}
last_network() { # VM: the network of its last migration, as drover status has it
    drover status --output-as=xml |
        xmllint --xpath "string(//vm[@id='$1']/last-migration/@network)" -
}

# --- both networks at once -----------------------------------------------------
plan=$(drover drain n1 --dry-run)
diag "$plan"
ok "the plan spreads the two VMs over lm1 and lm2" \
    eval 'grep -q " over lm1 " <<<"$plan" && grep -q " over lm2 " <<<"$plan"'
drain_n1 "spread"
ok "progress names each migration's network" \
    eval 'grep -q " migrating  n1 over lm1  " <<<"$out" && grep -q " migrating  n1 over lm2  " <<<"$out"'
ok "...and each network's part of the speed" \
    grep -qE 'MiB/s, ETA [0-9]+ s \(lm1 [0-9.]+ MiB/s, lm2 [0-9.]+ MiB/s\)' <<<"$out"
cmp_ok "${sent[lm1]}" -ge "$carried" "a guest's memory over lm1 ($(mib "${sent[lm1]}"))"
cmp_ok "${sent[lm2]}" -ge "$carried" "a guest's memory over lm2 ($(mib "${sent[lm2]}"))"
cmp_ok "${sent[mgmt]}" -lt "$little" "none over mgmt ($(mib "${sent[mgmt]}"))"
networks_used() { echo "$(last_network vm1) $(last_network vm2)" | xargs -n1 | sort | xargs; }
ok "drover status: one VM moved over lm1, the other over lm2" \
    wait_for --timeout 10 eval '[ "$(networks_used)" = "lm1 lm2" ]'
out=$(drover undrain n1 --failback --timeout=240)
is "$?" 0 "drover undrain n1 --failback exits 0"
ok "the VMs are back on n1" all_vms_on n1

# --- lm2 fails part-way: its migration falls back to lm1 -----------------------
# both targets' lm2 swallow their migration ports' traffic after 8 MB
for node in n2 n3; do
    "$LAB" fault drop "$node" lm2 tcp dport 49152-49215 quota over 8 mbytes >/dev/null
done
t0=$(lab_now)
drain_n1 "lm2 failing"
for node in n2 n3; do "$LAB" fault undrop "$node" lm2 >/dev/null; done
fell_back() { grep -q "over lm2 failed (.*); vm[12] still runs here, trying the next network" \
    "$(lab_node_root n1)/var/log/pacemaker/pacemaker.log"; }
ok "the migration on lm2 stalled and went over lm1" fell_back
cmp_ok "${sent[lm1]}" -ge $((2 * carried)) "both guests' memory over lm1 in the end ($(mib "${sent[lm1]}"))"
mapfile -t runs < <(migrations "${t0%.*}")
for line in "${runs[@]}"; do
    read -r _ _ vm _ rc <<<"$line"
    is "$rc" 0 "$vm: one migrate_to, successful"
done
is "${#runs[@]}" 2 "two migrate_to in all"
drover undrain n1 >/dev/null

# --- a bad network setting: the VM moves without the networks ------------------
# (failing migrate_to as "not configured" would have Pacemaker stop the VM
# on every node)
on n1 crm_attribute --type crm_config --name drover-network-lm1-transport --update carrier-pigeon
drover config check >"$LAB_DIR/check.out" 2>&1
is "$?" 78 "drover config check: exit 78"
ok "...naming the bad transport" grep -q "drover-network-lm1-transport 'carrier-pigeon'" "$LAB_DIR/check.out"
from=$(vm_node vm1)
hb=$(guest_heartbeat vm1)
on n1 crm_resource --move -r vm1 -N n1 --quiet
ok "vm1 moves to n1 all the same" wait_for --timeout 120 vm_started_on vm1 n1
on n1 crm_resource --clear -r vm1 --quiet
is "$(vm_running_nodes vm1)" n1 "vm1 runs on n1 only"
cmp_ok "$(guest_heartbeat vm1)" -gt "$hb" "vm1's guest ran on throughout"
no_failed_ops "crm_mon shows no failed operation"
ok "the agent said it migrated without the networks, and why" \
    grep -q "Migrating without the migration networks: drover-network-lm1-transport: Unknown transport 'carrier-pigeon'" \
    "$(lab_node_root "$from")/var/log/pacemaker/pacemaker.log"
on n1 crm_attribute --type crm_config --name drover-network-lm1-transport --delete

ok "crm_verify -L: configuration valid" on n1 crm_verify -L
lab_stop
done_testing
