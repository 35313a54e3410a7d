#!/bin/bash
# Lab self-test: a 3-node cluster forms and is quorate, and one VM under the
# stock ocf:heartbeat:VirtualDomain live-migrates n1 -> n2 over lm1 without
# its guest noticing.  Run: prove -v tests/lab/selftest.t
# shellcheck disable=SC2317  # small predicates, called through ok/wait_for
. "$(dirname "$0")/lib.sh"

fill=${LAB_VM_FILL:-64}
export LAB_VM_FILL=$fill
t_start=$(lab_now)

lab_start --nodes 3 --vms 1

# --- the cluster -------------------------------------------------------------
for node in n1 n2 n3; do
    q=$(on "$node" corosync-quorumtool -s 2>&1)
    ok "$node: corosync quorate with 3 nodes" \
        grep -Eq '^Quorate: +Yes' <<<"$q"
    is "$(awk '/^Total votes:/ { print $3 }' <<<"$q")" 3 "$node: 3 votes"
done
xml=$(crm_mon_xml n2)
is "$(lab_xml_online_nodes <<<"$xml" | xargs)" "n1 n2 n3" "crm_mon: n1 n2 n3 online"
ok "crm_mon: partition with quorum" lab_xml_quorate <<<"$xml"

# --- vm1 before the move -------------------------------------------------------
is "$(vm_node vm1)" n1 "Pacemaker runs vm1 on n1"
is "$(vm_running_nodes vm1)" n1 "libvirt/QEMU run vm1 on n1 only"
ok "vm1's guest is up (heartbeat on ttyS0)" wait_for --timeout 60 guest_ready vm1
# A few beats first, so that a guest rebooted by the move would show.
warm() { [ "$(guest_heartbeat vm1)" -ge 5 ]; }
ok "vm1's guest has beaten 5 times" wait_for --timeout 30 warm

hb_before=$(guest_heartbeat vm1)
lines=$(guest_serial_mark vm1 n2)
lm1_tx0=$(net_tx_bytes n1 lm1)
mgmt_tx0=$(net_tx_bytes n1 mgmt)
lm1_rx0=$(net_rx_bytes n2 lm1)
t_move=$(lab_now)

# --- the move ------------------------------------------------------------------
ok "crm_resource --move vm1 to n2" on n1 crm_resource --move -r vm1 -N n2 --quiet
moved() { vm_started_on vm1 n2; }
ok "Pacemaker reports vm1 started on n2" wait_for --timeout 60 moved
move_secs=$(lab_since "$t_move")
ok "crm_resource --clear vm1" on n1 crm_resource --clear -r vm1 --quiet

lm1_tx=$(($(net_tx_bytes n1 lm1) - lm1_tx0))
mgmt_tx=$(($(net_tx_bytes n1 mgmt) - mgmt_tx0))
lm1_rx=$(($(net_rx_bytes n2 lm1) - lm1_rx0))

# A live migration, not a stop and a start.
read -r m_start m_end m_vm m_node m_rc <<<"$(migrations "${t_move%.*}" | tail -n 1)"
is "$m_vm $m_node ${m_rc:-}" "vm1 n1 0" "a migrate_to of vm1 ran on n1 and succeeded"
is "$(migrations_max_overlap "${t_move%.*}")" 1 "one migration in flight at a time"

# --- vm1 after the move ----------------------------------------------------------
is "$(vm_running_nodes vm1)" n2 "libvirt/QEMU run vm1 on n2 only"
wait_for --timeout 10 guest_has_beat_after vm1 n2 "$lines"
hb_first=$(guest_beat_after vm1 n2 "$lines")
cmp_ok "$hb_first" -ge "$hb_before" "the guest's heartbeat goes on at n2 ($hb_before -> $hb_first), no reboot"
hb_after=$(guest_heartbeat vm1)
beats() { [ "$(guest_heartbeat vm1)" -ge $((hb_after + 2)) ]; }
ok "the guest keeps beating on n2" wait_for --timeout 20 beats
is "$(vm_running_nodes vm1)" n2 "still only on n2"

# --- which network carried the memory ------------------------------------------------
fill_bytes=$((fill * 1024 * 1024))
cmp_ok "$lm1_tx" -ge $((fill_bytes * 9 / 10)) "n1 sent >= ~${fill} MiB on lm1 ($((lm1_tx / 1048576)) MiB)"
cmp_ok "$lm1_rx" -ge $((fill_bytes * 9 / 10)) "n2 received >= ~${fill} MiB on lm1 ($((lm1_rx / 1048576)) MiB)"
cmp_ok "$mgmt_tx" -lt $((lm1_tx / 20)) "mgmt carried far less ($((mgmt_tx / 1024)) KiB)"

ok "crm_verify -L: configuration valid" on n1 crm_verify -L

diag "selftest: vm1 n1->n2 in ${move_secs} s (migrate_to $(awk -v a="$m_start" -v b="$m_end" 'BEGIN { printf "%.1f", b - a }') s)," \
    "lm1 $((lm1_tx / 1048576)) MiB, mgmt $((mgmt_tx / 1024)) KiB, heartbeat $hb_before -> $(guest_heartbeat vm1)"

lab_stop
diag "selftest: total $(lab_since "$t_start") s"
done_testing
