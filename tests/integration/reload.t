#!/bin/bash
# Reload without restart: a migration tuning parameter changed on a
# running VM (crm_resource --set-parameter) is reloadable (OCF 1.1):
# Pacemaker runs reload-agent, the guest goes on without a restart, and
# the next migration uses the new value (migration_speed: 4 MiB/s, then
# 64).  A parameter that changes the VM itself (config) stays
# non-reloadable.
# shellcheck disable=SC2317,SC2016  # predicates called through ok/wait_for/eval
. "$(dirname "$0")/../lab/lib.sh"

export LAB_VM_AGENT=ocf:drover:VirtualDomain
export LAB_VM_MEMORY=128 LAB_VM_FILL=48 LAB_VM_PARAMS="migration_speed=4"
lab_start --nodes 2 --vms 1

ok "vm1's guest is up" wait_for --timeout 60 guest_ready vm1
meta=$(on n1 crm_resource --show-metadata ocf:drover:VirtualDomain)
ok "the meta-data offers reload-agent" grep -q '<action name="reload-agent"' <<<"$meta"
ok "...with migration_speed reloadable" \
    grep -q '<parameter name="migration_speed" .*reloadable="1"' <<<"$meta"
ok "...and config not" eval '! grep -q "<parameter name=\"config\" .*reloadable" <<<"$meta"'

# duration (s) of the last migrate_to since EPOCH
last_move_s() { migrations "$1" | tail -n 1 | awk '{ printf "%d", $2 - $1 }'; }

t=$(lab_now)
ok "vm1 moves at 4 MiB/s" move_vm vm1
vm_not_restarted vm1
slow=$(last_move_s "${t%.*}")
diag "at 4 MiB/s: ${slow} s"

# --- the change -----------------------------------------------------------------------
here=$dst
boots=$(guest_boots vm1)
hb=$(guest_heartbeat vm1)
t=$(lab_now)
on n1 crm_resource --resource vm1 --set-parameter migration_speed --parameter-value 64
on n1 crm_resource --wait --timeout=60s
reloaded() {
    on "$here" grep -aiE "Result of reload-agent operation for vm1 on $here: (ok|done)" \
        /var/log/pacemaker/pacemaker.log >/dev/null
}
ok "Pacemaker ran reload-agent on $here" wait_for --timeout 30 reloaded ||
    on "$here" grep -ai 'reload' /var/log/pacemaker/pacemaker.log | tail -n 5 | sed 's/^/# /' >&2
ok "vm1 still runs on $here" vm_started_on vm1 "$here"
is "$(guest_boots vm1)" "$boots" "...its guest did not boot again"
now=$(guest_heartbeat vm1)
cmp_ok "$now" -gt "$hb" "...its heartbeat went on ($hb -> $now)"
no_failed_ops "crm_mon shows no failed operation"

# --- the next migration uses it -----------------------------------------------------------
t=$(lab_now)
ok "vm1 moves back at 64 MiB/s" move_vm vm1
vm_not_restarted vm1
fast=$(last_move_s "${t%.*}")
diag "at 64 MiB/s: ${fast} s"
cmp_ok "$((fast * 2))" -lt "$slow" "the second move took less than half as long (${fast} s, ${slow} s)"

ok "crm_verify -L: configuration valid" on n1 crm_verify -L
lab_stop
done_testing
