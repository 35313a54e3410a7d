#!/bin/bash
# Post-copy on the real lab: a guest that dirties memory faster than its
# migration may send it never converges.  With postcopy=after-stall:
#  1. when what is left can be sent before migrate_to's timeout, the agent
#     switches to post-copy and the guest goes on running on the target
#     (heartbeat not reset, one node, no failed operation);
#  2. when it cannot, the agent does not switch (a post-copy cannot be
#     aborted: Pacemaker would kill the agent mid-way and stop the guest on
#     both nodes) and aborts the pre-copy in time instead.
# shellcheck disable=SC2317,SC2016  # predicates called through ok/wait_for/eval
. "$(dirname "$0")/../lab/lib.sh"

export LAB_VM_AGENT=ocf:drover:VirtualDomain

lab_start --nodes 2

other() { if [ "$1" = n1 ]; then echo n2; else echo n1; fi; }
log_has() { on "$1" grep -q "$2" /var/log/pacemaker/pacemaker.log; }

# pc_vm NAME MIGRATE_TO_TIMEOUT: a guest dirtying 64 MiB/s whose migration
# may send 8 MiB/s
pc_vm() {
    LAB_VM_FILL=96 LAB_VM_DIRTY=64 lab_vm_write_xml "$1"
    LAB_VM_PARAMS="migration_speed=8 migration_stall_timeout=3 postcopy=after-stall" \
        lab_write_vm_primitive "$1" |
        sed "s/name=\"migrate_to\" interval=\"0s\" timeout=\"120s\"/name=\"migrate_to\" interval=\"0s\" timeout=\"$2\"/" \
            >"$LAB_DIR/$1.xml"
    on n1 cibadmin -C -o resources -x "$LAB_DIR/$1.xml"
    ok "$1 starts" wait_for --timeout 60 eval '[ "$(vm_role '"$1"')" = Started ]'
    ok "$1's guest is up" wait_for --timeout 60 guest_ready "$1"
}

# --- 1. post-copy that fits -------------------------------------------------
pc_vm pc1 120s
src=$(vm_node pc1)
dst=$(other "$src")
hb_before=$(guest_heartbeat pc1)
lines=$(guest_serial_mark pc1 "$dst")
t_mig=$(lab_now)
on n1 crm_resource --move -r pc1 -N "$dst" --quiet
ok "pc1 moves to $dst" wait_for --timeout 150 vm_started_on pc1 "$dst"
on n1 crm_resource --clear -r pc1 --quiet
read -r _ _ _ m_node m_rc <<<"$(migrations "${t_mig%.*}" | grep ' pc1 ' | tail -n 1)"
is "$m_node $m_rc" "$src 0" "migrate_to on $src succeeded"
ok "the agent switched to post-copy on the stall" \
    log_has "$src" "pc1.*Migration stalled: switching to post-copy"
is "$(vm_running_nodes pc1)" "$dst" "pc1 runs on $dst only"
ok "pc1's guest beats on $dst" wait_for --timeout 20 guest_has_beat_after pc1 "$dst" "$lines"
hb_first=$(guest_beat_after pc1 "$dst" "$lines")
cmp_ok "$hb_first" -ge "$hb_before" \
    "pc1's guest was not restarted ($hb_before -> $hb_first)"
no_failed_ops "crm_mon shows no failed operation"

# --- 2. post-copy that would not fit ---------------------------------------------
# 30 s: the first pass alone takes about 12 s at 8 MiB/s, so at the stall
# twice the ~64 MiB left at 8 MiB/s no longer fits before the deadline
pc_vm pc2 30s
src=$(vm_node pc2)
dst=$(other "$src")
t_mig=$(lab_now)
on n1 crm_resource --move -r pc2 -N "$dst" --quiet
mig_done() { migrations "${t_mig%.*}" | grep -q ' pc2 .* [0-9]$'; }
ok "pc2's migrate_to ended" wait_for --timeout 60 mig_done
read -r m_start m_end _ m_node m_rc <<<"$(migrations "${t_mig%.*}" | grep ' pc2 ' | tail -n 1)"
m_secs=$(awk -v a="$m_start" -v b="$m_end" 'BEGIN { printf "%d", b - a }')
cmp_ok "$m_rc" -ne 0 "it failed (exit $m_rc): aborted, not switched"
cmp_ok "$m_secs" -lt 30 "it returned before Pacemaker's 30 s timeout (${m_secs} s)"
ok "the agent said why it did not switch" \
    log_has "$src" "pc2.*no post-copy, it would not finish in time"
ok "it never switched to post-copy" eval '! log_has '"$src"' "pc2.*switching to post-copy"'
on n1 crm_resource --clear -r pc2 --quiet
ok "pc2 ends up started" wait_for --timeout 90 eval '[ "$(vm_role pc2)" = Started ]'
ok "pc2 runs on exactly one node" \
    wait_for --timeout 20 eval '[ "$(vm_running_nodes pc2 | wc -w)" -eq 1 ]'

ok "crm_verify -L: configuration valid" on n1 crm_verify -L
lab_stop
done_testing
