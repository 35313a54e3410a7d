#!/bin/bash
# A queue longer than an operation: a crm_standby starts every migrate_to
# at once, and with one migration at a time the last VM leaves long after
# its migrate_to would have timed out had it waited inside the operation.
# With Pacemaker's migration-limit at drover's lowest per-node limit (what
# `drover config check` asks for), Pacemaker queues them itself: no
# failed operation, no restarted guest, one VM moving at a time.
# shellcheck disable=SC2317,SC2016  # predicates called through ok/wait_for/eval
. "$(dirname "$0")/../lab/lib.sh"

export LAB_VM_AGENT=ocf:drover:VirtualDomain
# ~16 s per move (128 MiB at 8 MiB/s); five take ~80 s against 30 s
export LAB_VM_MEMORY=128 LAB_VM_FILL=48 LAB_VM_PARAMS="migration_speed=8"
export LAB_VM_MIGRATE_TO_TIMEOUT=30s
vms=5
lab_start --nodes 2 --vms "$vms"
DROVER=$LAB_REPO/build/drover

for vm in $(lab_vm_list); do
    ok "$vm's guest is up" wait_for --timeout 60 guest_ready "$vm"
done

# --- the check says what to set -------------------------------------------------
for node in n1 n2; do
    on n1 crm_attribute --node "$node" --name drover-max-outgoing --update 1
done
out=$(on n1 "$DROVER" config check)
ok "drover config check asks for migration-limit 1" \
    grep -q "^warning: cluster: migration-limit 'unset': .*set migration-limit to 1 " <<<"$out"
on n1 crm_attribute --type crm_config --name migration-limit --update 1
is "$(on n1 "$DROVER" config check | tail -n 1)" "0 error(s), 0 warning(s)" \
    "...and is content once it is set"

# --- everything onto n1, then n1 to standby ----------------------------------------
on n1 crm_attribute --node n2 --name standby --update on
ok "standby n2: every VM on n1" wait_for --timeout 200 all_vms_on n1
on n1 crm_attribute --node n2 --name standby --delete
on n1 crm_resource --wait --timeout=60s
declare -A hb lines
for vm in $(lab_vm_list); do
    hb[$vm]=$(guest_heartbeat "$vm")
    lines[$vm]=$(guest_serial_mark "$vm" n2)
done
t_standby=$(lab_now)
on n1 crm_attribute --node n1 --name standby --update on
ok "standby n1: every VM on n2" wait_for --timeout 300 all_vms_on n2
read -r first _ <<<"$(migrations "${t_standby%.*}" | head -n 1)"
read -r _ last _ <<<"$(migrations "${t_standby%.*}" | tail -n 1)"
span=$(awk -v a="$first" -v b="$last" 'BEGIN { printf "%d", b - a }')
is "$(migrations "${t_standby%.*}" | awk '$5 == 0' | wc -l)" "$vms" \
    "$vms migrate_to, all succeeded"
cmp_ok "$span" -gt 30 "the queue (${span} s) outlasted one migrate_to's 30 s"
is "$(migrations_max_overlap "${t_standby%.*}")" 1 "one migration at a time"
no_failed_ops "crm_mon shows no failed operation"
for vm in $(lab_vm_list); do
    is "$(vm_running_nodes "$vm")" n2 "$vm runs on n2 only"
    wait_for --timeout 10 guest_has_beat_after "$vm" n2 "${lines[$vm]}"
    after=$(guest_beat_after "$vm" n2 "${lines[$vm]}")
    cmp_ok "${after:--1}" -ge "${hb[$vm]}" "$vm's guest was not restarted (${hb[$vm]} -> $after)"
done
on n1 crm_attribute --node n1 --name standby --delete

ok "crm_verify -L: configuration valid" on n1 crm_verify -L
lab_stop
done_testing
