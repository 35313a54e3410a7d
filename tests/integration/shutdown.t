#!/bin/bash
# Host shutdown moves the VMs, it does not kill them.  On poweroff systemd
# stops pacemaker.service first (drover's drop-in orders it before
# libvirt's units: packaging/systemd/drover.conf, checked by make
# check-systemd); what the lab can show is the rest: a graceful stop of
# Pacemaker on a node with VMs migrates them away live, one at a time
# within drover's limits, while libvirtd there stays up until the last
# one has gone.  Seen from the node (its libvirtd and QEMU processes,
# sampled), from Pacemaker on the others, and from the guests.
# shellcheck disable=SC2317,SC2016  # predicates called through ok/wait_for/eval
. "$(dirname "$0")/../lab/lib.sh"

export LAB_VM_AGENT=ocf:drover:VirtualDomain
export LAB_VM_MEMORY=128 LAB_VM_FILL=24 LAB_VM_PARAMS="migration_speed=16"
lab_start --nodes 3 --vms 3

for vm in $(lab_vm_list); do
    ok "$vm's guest is up" wait_for --timeout 60 guest_ready "$vm"
done
for node in n1 n2 n3; do
    on n1 crm_attribute --node "$node" --name drover-max-outgoing --update 1
done
on n1 crm_attribute --type crm_config --name migration-limit --update 1
ok "every VM gathers on n1" gather_vms_on n1 200

declare -A hb boots
for vm in $(lab_vm_list); do
    hb[$vm]=$(guest_heartbeat "$vm")
    boots[$vm]=$(guest_boots "$vm")
done
libvirtd=$(on n1 pgrep -x libvirtd)
# On n1, every 0.2 s: "TIME LIBVIRTD-PIDS QEMUS PACEMAKERDS"
on n1 bash -c 'while :; do
        echo "$EPOCHREALTIME $(pgrep -x libvirtd | xargs) $(pgrep -c "^qemu-system") $(pgrep -c -x pacemakerd)"
        sleep 0.2
    done' >"$LAB_DIR/n1-processes.log" 2>/dev/null &
sampler=$!
t0=$(lab_now)
# what systemctl stop pacemaker does
on n1 pkill -TERM -x pacemakerd
ok "Pacemaker on n1 shuts down" wait_for --timeout 300 eval '! on n1 pgrep -x pacemakerd >/dev/null'
sleep 1
kill "$sampler" 2>/dev/null
wait "$sampler" 2>/dev/null

# --- what n1 saw ------------------------------------------------------------------
samples=$LAB_DIR/n1-processes.log
cmp_ok "$(wc -l <"$samples")" -gt 5 "n1's processes sampled while it shut down"
is "$(awk '{ print $2 }' "$samples" | sort -u | xargs)" "$libvirtd" \
    "libvirtd on n1 ran throughout, the same process"
is "$(awk '$3 > 0 && $4 == 0' "$samples" | wc -l)" 0 \
    "Pacemaker on n1 ended only once no QEMU ran there"
is "$(tail -n 1 "$samples" | awk '{ print $3 }')" 0 "no VM is left on n1"

# --- what the cluster and the guests saw ----------------------------------------------
table=$(lab_crm_mon_xml n2 | lab_xml_rsc_table)
for vm in $(lab_vm_list); do
    ok "$vm is started on n2 or n3 (Pacemaker)" grep -qE "^$vm Started n[23]\$" <<<"$table"
    where=$(vm_running_nodes "$vm")
    ok "$vm runs on exactly one node, not n1 ($where)" eval '[[ "$where" =~ ^n[23]$ ]]'
    now=$(guest_heartbeat "$vm")
    cmp_ok "$now" -gt "${hb[$vm]}" "$vm's guest went on (${hb[$vm]} -> $now)"
    is "$(guest_boots "$vm")" "${boots[$vm]}" "...and did not boot again"
done
moves=$(migrations "${t0%.*}")
diag "migrate_to: ${moves//$'\n'/; }"
is "$(awk '$5 == 0' <<<"$moves" | wc -l)" 3 "three migrate_to, all succeeded"
is "$(migrations_max_overlap "${t0%.*}")" 1 "one migration at a time (the limits)"
failures=$(lab_crm_mon_xml n2 | grep -c '<failure ')
is "$failures" 0 "crm_mon on n2 shows no failed operation"

lab_stop
done_testing
