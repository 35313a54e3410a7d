#!/bin/bash
# ocf:drover:VirtualDomain on the real lab cluster, checked the way an admin
# would: crm_mon, virsh on every node, the guests' serial heartbeats.
#  1. three VMs live-migrate n1 -> n2 -> n3, never running in two places,
#     their guests never restarted;
#  2. libvirtd hung (SIGSTOP) under VMs: the monitor fails within its
#     deadline, the stop still succeeds (no failed stop, which would fence),
#     the VMs end up running once elsewhere;
#  3. a migration that cannot converge is stepped up, then aborted by the
#     agent before Pacemaker's timeout;
#  4. bad parameters give the OCF codes and exit reasons an admin can act on;
#  5. a stop that cannot tell its domain (no config, no remembered name)
#     never says stopped while a domain nobody claims runs there;
#  6. the VMs' config storage hangs on a node: its monitors go on by the
#     remembered names within their deadline, and crm_standby still moves
#     every VM away live.
# shellcheck disable=SC2317,SC2016  # predicates called through ok/wait_for/eval
. "$(dirname "$0")/../lab/lib.sh"

export LAB_VM_AGENT=ocf:drover:VirtualDomain
AGENT=/usr/lib/ocf/resource.d/drover/VirtualDomain
VMS="vm1 vm2 vm3"

lab_start --nodes 3 --vms 3

# "running" domains of VM over all nodes at one moment (an incoming or
# paused copy is not running; during a switchover there may be none for an
# instant).  The nodes are read one after the other, so a single pass can
# see the source still running and, a moment later, the target already
# running.  Two passes: a node counts only if running in both, i.e.
# throughout an interval that contains the other nodes' first reads.
running_count() {
    local vm=$1 node n=0 _
    declare -A seen=()
    for _ in 1 2; do
        for node in n1 n2 n3; do
            [ "$(on "$node" timeout 5 virsh -q domstate "$vm" 2>/dev/null)" = running ] &&
                seen[$node]=$((${seen[$node]:-0} + 1))
        done
    done
    for node in n1 n2 n3; do
        [ "${seen[$node]:-0}" = 2 ] && n=$((n + 1))
    done
    echo "$n"
}

# Sample every VM's running count in the background until stopped
samples=$(mktemp /tmp/drover-vm-agent.XXXXXX)
start_sampler() {
    (while :; do
        for vm in $VMS; do echo "$vm $(running_count "$vm")"; done
        sleep 0.2
    done) >"$samples" 2>/dev/null &
    sampler=$!
}
stop_sampler() { kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null; }
max_running() { awk -v vm="$1" '$1 == vm && $2 > m { m = $2 } END { print m + 0 }' "$samples"; }


# The exit reason Pacemaker recorded for the first failed operation whose
# key starts with $1 (from crm_mon)
exit_reason() {
    crm_mon_xml n1 |
        xmllint --xpath "string((//failure[starts-with(@op_key,'$1')])[1]/@exitreason)" - 2>/dev/null
}

# --- 1. live migrations n1 -> n2 -> n3 ----------------------------------------
for vm in $VMS; do
    ok "$vm's guest is up" wait_for --timeout 60 guest_ready "$vm"
done
start_sampler
t_moves=$(lab_now)
moves=0
for target in n1 n2 n3; do
    for vm in $VMS; do
        [ "$(vm_node "$vm")" = "$target" ] && continue
        hb_before=$(guest_heartbeat "$vm")
        lines=$(guest_serial_mark "$vm" "$target")
        on n1 crm_resource --move -r "$vm" -N "$target" --quiet
        ok "$vm moves to $target" wait_for --timeout 60 vm_started_on "$vm" "$target"
        on n1 crm_resource --clear -r "$vm" --quiet
        moves=$((moves + 1))
        is "$(vm_running_nodes "$vm")" "$target" "$vm runs on $target only"
        wait_for --timeout 10 guest_has_beat_after "$vm" "$target" "$lines"
        hb_first=$(guest_beat_after "$vm" "$target" "$lines")
        cmp_ok "$hb_first" -ge "$hb_before" \
            "$vm's guest went on beating at $target ($hb_before -> $hb_first)"
    done
done
stop_sampler
for vm in $VMS; do
    is "$(max_running "$vm")" 1 "$vm never ran in two places (sampled)"
done
is "$(migrations "${t_moves%.*}" | awk '$5 == 0' | wc -l)" "$moves" \
    "all $moves moves were live migrations (migrate_to succeeded)"
ok "the agent logged the memory stream going to lm1" \
    on n1 grep -q "memory to tcp://n2-lm1" /var/log/pacemaker/pacemaker.log

# --- 1b. libvirtd restarted under the VMs -------------------------------------
# A package upgrade restarts libvirtd: down for a few seconds, the VMs' QEMU
# running on.  A monitor meanwhile asks again until libvirtd answers; one
# that failed would make Pacemaker restart the VM (seen in the soak).
declare -A boots_before
for vm in $VMS; do boots_before[$vm]=$(guest_boots "$vm"); done
# node by node, down for longer than the monitor interval (10 s): every
# VM's monitor comes while libvirtd is away, and asks again until a fifth
# of its 30 s timeout is left
for node in n1 n2 n3; do
    "$LAB" fault libvirtd "$node" kill >/dev/null
    sleep 10.5
    "$LAB" fault libvirtd "$node" start >/dev/null
done
sleep 12
no_failed_ops "libvirtd down for 10.5 s on each node in turn: no monitor failed"
for vm in $VMS; do
    is "$(vm_running_nodes "$vm" | wc -w)" 1 "$vm runs on exactly one node"
    is "$(guest_boots "$vm")" "${boots_before[$vm]}" "...its guest did not boot again"
done
for vm in $VMS; do
    ok "...$vm's monitor asked again while libvirtd was away" \
        on "$(vm_node "$vm")" grep -q "while QEMU of $vm runs here: asking again" \
        /var/log/pacemaker/pacemaker.log
done

# --- 2. libvirtd hung under the VMs ---------------------------------------------
# All three VMs are on n3 now.
t_hang=$(date +%s)  # for the report only
"$LAB" fault libvirtd n3 stop >/dev/null
# Counted before the monitors fail: Pacemaker 3.0 recovers the VMs (stop
# here, kill of QEMU without libvirt) within seconds of the failure
is "$(vm_running_nodes vm1 | wc -w)" 1 "vm1 still counted once (QEMU lives on n3, libvirtd hung)"
monitor_failed() {
    crm_mon_xml n1 | grep -q 'op_key="vm[123]_monitor_10000".*did not answer'
}
ok "a recurring monitor on n3 fails with 'did not answer'" \
    wait_for --timeout 90 monitor_failed
diag "monitor failure seen $(($(date +%s) - t_hang)) s after libvirtd stopped"
ok "...returned by the agent itself, not killed at Pacemaker's timeout" \
    eval '! crm_mon_xml n1 | grep "_monitor_10000" | grep -q "Timed Out"'
# shellcheck disable=SC2086  # the VM names split at blanks
elsewhere() { vms_started_off n3 $VMS; } # n1 or n2: the lab has three nodes
ok "Pacemaker recovers every VM on n1 or n2" wait_for --timeout 120 elsewhere
failures=$(crm_mon_xml n1 | grep -o 'op_key="[^"]*"' | sort -u | xargs)
ok "no stop failed (a failed stop would fence n3): $failures" \
    eval '! grep -q _stop_ <<<"$failures"'
ok "no QEMU left on n3" eval '! on n3 pgrep -f qemu-system >/dev/null'
"$LAB" fault libvirtd n3 cont >/dev/null
for vm in $VMS; do
    ok "$vm runs on exactly one node" \
        wait_for --timeout 20 eval '[ "$(vm_running_nodes '"$vm"' | wc -w)" -eq 1 ]'
done
on n1 crm_resource --cleanup --quiet >/dev/null 2>&1

# --- 3. a migration that cannot converge ---------------------------------------------
# vm4 dirties 64 MiB/s while its migration may use 8 MiB/s: it stalls, the
# allowed downtime is stepped up, and the agent aborts before the 40 s
# migrate_to timeout (budget 36 s, abort at 32 s).
LAB_VM_FILL=96 LAB_VM_DIRTY=64 lab_vm_write_xml vm4
LAB_VM_PARAMS="migration_speed=8 migration_stall_timeout=4 migration_downtime_steps=30,60" \
    lab_write_vm_primitive vm4 |
    sed 's/name="migrate_to" interval="0s" timeout="120s"/name="migrate_to" interval="0s" timeout="40s"/' \
        >"$LAB_DIR/vm4.xml"
on n1 cibadmin -C -o resources -x "$LAB_DIR/vm4.xml"
ok "vm4 starts" wait_for --timeout 60 eval '[ "$(vm_role vm4)" = Started ]'
src=$(vm_node vm4)
dst=n1
[ "$src" = n1 ] && dst=n2
ok "vm4's guest is up" wait_for --timeout 60 guest_ready vm4
t_mig=$(lab_now)
on n1 crm_resource --move -r vm4 -N "$dst" --quiet
mig_done() { migrations "${t_mig%.*}" | grep -q ' vm4 .* [0-9]$'; }
ok "vm4's migrate_to ended" wait_for --timeout 60 mig_done
read -r m_start m_end _ m_node m_rc <<<"$(migrations "${t_mig%.*}" | grep ' vm4 ' | tail -n 1)"
m_secs=$(awk -v a="$m_start" -v b="$m_end" 'BEGIN { printf "%d", b - a }')
is "$m_node" "$src" "the migrate_to ran on the source ($src)"
cmp_ok "$m_rc" -ne 0 "it failed (exit $m_rc)"
cmp_ok "$m_secs" -lt 40 "it returned before Pacemaker's 40 s timeout (${m_secs} s)"
cmp_ok "$m_secs" -ge 20 "after trying for most of its budget (${m_secs} s)"
# crm_mon lists the failure; Pacemaker 2.1.5 keeps no exit reason for a
# migrate_to in the CIB, so read it where the controller logs it
failure_attr() {
    crm_mon_xml n1 | xmllint --xpath "string(//failure[@op_key='$1']/@$2)" - 2>/dev/null
}
is "$(pcmk_words "$(failure_attr vm4_migrate_to_0 exitstatus) $(failure_attr vm4_migrate_to_0 status)")" \
    "error complete" "crm_mon: migrate_to failed with an error, not 'Timed Out' (not killed)"
reason=$(on "$src" grep -h "Result of migrate_to operation for vm4 on $src" \
    /var/log/pacemaker/pacemaker.log | tail -n 1)
ok "exit reason: aborted, still running on the source (${reason##*: error })" \
    grep -qE "(error|Error occurred) \(Aborted migration of vm4 to $dst: not done in time; vm4 still runs here" <<<"$reason"
ok "the allowed downtime was stepped up on the stall" \
    on "$src" grep -q "vm4.*Migration stalled: allowing 30 ms" /var/log/pacemaker/pacemaker.log
on n1 crm_resource --clear -r vm4 --quiet
ok "vm4 ends up started" wait_for --timeout 90 eval '[ "$(vm_role vm4)" = Started ]'
ok "vm4 runs on exactly one node" \
    wait_for --timeout 20 eval '[ "$(vm_running_nodes vm4 | wc -w)" -eq 1 ]'

# --- 4. bad parameters -------------------------------------------------------------
run_agent() { # ACTION VAR=VALUE... -> "exit-code|exit-reason"
    local action=$1 out rc
    shift
    out=$(on n1 env OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=bad "$@" \
        "$AGENT" "$action" 2>&1)
    rc=$?
    echo "$rc|$(sed -n 's/^ocf-exit-reason://p' <<<"$out")"
}
cfg=$(lab_vm_xml vm1)
is "$(run_agent validate-all)" \
    "6|Required parameter 'config' is not set" "unset config: OCF_ERR_CONFIGURED"
is "$(run_agent validate-all OCF_CHECK_LEVEL=10 OCF_RESKEY_config=/nonexistent/vm.xml)" \
    "5|Cannot read config '/nonexistent/vm.xml': No such file or directory" \
    "unreadable config: OCF_ERR_INSTALLED"
is "$(run_agent monitor OCF_RESKEY_CRM_meta_interval=0 OCF_RESKEY_config=/nonexistent/vm.xml)" \
    "7|" "a probe without the config: not running"
is "$(run_agent validate-all OCF_RESKEY_config="$cfg" OCF_RESKEY_migration_speed=-5)" \
    "6|Parameter 'migration_speed' must be from 0 to 1048576, not '-5'" "negative speed: OCF_ERR_CONFIGURED"
res=$(run_agent validate-all OCF_RESKEY_config="$cfg" "OCF_RESKEY_migrate_options=--live --frobnicate")
ok "unknown migrate_options word: OCF_ERR_CONFIGURED naming it ($res)" \
    grep -q "^6|migrate_options: unknown option '--frobnicate'; valid: " <<<"$res"
# What the node's QEMU lacks of the migration options, asked of its libvirt
qemu=$(on n1 qemu-system-x86_64 --version | sed -n '1s/.*version \([0-9.]*\).*/\1/p')
res=$(run_agent validate-all OCF_CHECK_LEVEL=10 OCF_RESKEY_config="$cfg" \
    OCF_RESKEY_postcopy=after-stall OCF_RESKEY_parallel_connections=2)
case $qemu in
[0-9].* | 10.0.*)
    is "$res" "6|post-copy with parallel connections: QEMU $qemu on n1 refuses the pair (10.1 is the first to have it)" \
        "validate-all 10: post-copy with parallel connections refused on QEMU $qemu" ;;
*) is "$res" "0|" "validate-all 10: post-copy with parallel connections on QEMU $qemu" ;;
esac
res=$(run_agent validate-all OCF_CHECK_LEVEL=10 OCF_RESKEY_config="$cfg" OCF_RESKEY_compression=mt,zstd)
case $qemu in
[0-8].* | 9.0.*) is "$res" "0|" "validate-all 10: compression mt on QEMU $qemu" ;;
*) is "$res" "6|compression method mt: QEMU $qemu on n1 has none since 9.1 (zstd, zlib and xbzrle remain)" \
    "validate-all 10: compression mt refused on QEMU $qemu" ;;
esac
is "$(run_agent validate-all OCF_RESKEY_config="$cfg" OCF_RESKEY_compression=mt \
    OCF_RESKEY_postcopy=after-stall OCF_RESKEY_parallel_connections=2)" "0|" \
    "validate-all below level 10 asks no libvirtd"
lab_vm_write_xml ghost # a domain that runs nowhere
is "$(run_agent stop OCF_RESKEY_config="$(lab_vm_xml ghost)" OCF_RESKEY_migration_speed=-5)" \
    "0|" "stop with a bad parameter still succeeds"

# The same through Pacemaker: the failure and its reason show in crm_mon
lab_vm_write_xml vm5
LAB_VM_PARAMS="migrate_options=--frobnicate" lab_write_vm_primitive vm5 >"$LAB_DIR/vm5.xml"
on n1 cibadmin -C -o resources -x "$LAB_DIR/vm5.xml"
bad_start() { exit_reason vm5_ | grep -q "^migrate_options: unknown option .*--frobnicate.*; valid: "; }
ok "crm_mon shows vm5's failure with the reason" wait_for --timeout 60 bad_start
ok "crm_mon says 'not configured'" eval 'crm_mon_xml n1 | grep "op_key=\"vm5_" | grep -qi "exitstatus=\"not configured\""'
for vm in $VMS vm4; do
    is "$(vm_running_nodes "$vm" | wc -w)" 1 "$vm still runs on exactly one node"
done
on n1 cibadmin --delete -o resources -X '<primitive id="vm5"/>' >/dev/null

# --- 5. a stop that cannot know which domain is its own -------------------------
# No readable config and no remembered name: "stopped" only when every
# domain running here belongs to another resource; a stray one makes the
# stop (and the probe) fail, naming it, instead of letting Pacemaker start
# the VM a second time elsewhere.
is "$(run_agent stop OCF_RESKEY_config=/nonexistent/vm.xml)" "0|" \
    "stop without config or name, only other resources' domains here: stopped"
lab_vm_write_xml stray
on n1 virsh -q create "$(lab_vm_xml stray)" >/dev/null
is "$(run_agent stop OCF_RESKEY_config=/nonexistent/vm.xml)" \
    "1|Config '/nonexistent/vm.xml' unreadable and no domain name remembered; running here and claimed by no other resource: stray" \
    "...with a stray domain here: the stop fails and names it"
is "$(run_agent monitor OCF_RESKEY_CRM_meta_interval=0 OCF_RESKEY_config=/nonexistent/vm.xml | cut -d'|' -f1)" \
    "1" "...and so does the probe"
on n1 virsh -q destroy stray >/dev/null

# Through Pacemaker: vm1's config gone from the shared storage and its name
# forgotten on its node, then a stop: it fails (blocked without fencing),
# and vm1 is never started a second time
vm1_node=$(vm_node vm1)
cfg1=$(lab_vm_xml vm1)
mv "$cfg1" "$cfg1.away"
on "$vm1_node" rm -f /run/resource-agents/drover-VirtualDomain-vm1.name
on n1 crm_resource --resource vm1 --set-parameter target-role --meta --parameter-value Stopped >/dev/null 2>&1
stop_failed() { crm_mon_xml n1 | grep -q 'op_key="vm1_stop_0"'; }
ok "vm1's stop fails" wait_for --timeout 60 stop_failed
sleep 5
is "$(vm_running_nodes vm1)" "$vm1_node" "vm1 still runs on $vm1_node only (not started elsewhere)"
ok "the reason names vm1 as the unclaimed domain" \
    on "$vm1_node" grep -q "claimed by no other resource: vm1" /var/log/pacemaker/pacemaker.log
mv "$cfg1.away" "$cfg1"
on n1 crm_resource --resource vm1 --delete-parameter target-role --meta >/dev/null 2>&1
on n1 crm_resource --cleanup -r vm1 --quiet >/dev/null 2>&1
ok "with its config back, vm1 runs again" wait_for --timeout 90 eval '[ "$(vm_role vm1)" = Started ]'
is "$(vm_running_nodes vm1 | wc -w)" 1 "vm1 runs on exactly one node"
# Found running by the probe, not started: its monitor remembers the name,
# so a stop with the config's storage hung later still knows its domain
vm1_node=$(vm_node vm1)
ok "vm1's monitor on $vm1_node remembers its name again" wait_for --timeout 30 \
    on "$vm1_node" grep -qx vm1 /run/resource-agents/drover-VirtualDomain-vm1.name

# --- 6. the VMs' config storage hangs on one node --------------------------------
# A FUSE file system over the configs' directory in one node's view reads
# every open() and answers none, as a hard NFS mount whose server went
# away (--killable: a killed reader dies, as NFS's killable waits let it).
# vm4 was built never to converge (section 3): it leaves first, stopped,
# or a standby of its node would fail its migration whatever the storage
on n1 crm_resource --resource vm4 --set-parameter target-role --meta --parameter-value Stopped >/dev/null 2>&1
ok "vm4 (built not to converge) is stopped first" \
    wait_for --timeout 60 eval '[ -z "$(vm_running_nodes vm4)" ]'
on n1 cibadmin --delete -o resources -X '<primitive id="vm4"/>' >/dev/null
on n1 crm_resource --cleanup --quiet >/dev/null 2>&1
# vm1's node: vm1 was found running there by a probe (section 5), not
# started, so only its monitor remembered its name
hung=$(vm_node vm1)
hung_vms=$(for vm in $VMS; do [ "$(vm_node "$vm")" = "$hung" ] && echo "$vm"; done | xargs)
on "$hung" "$LAB_REPO/build/tests/hang-fs" --here --killable "$LAB_DIR/vms" \
    >"$LAB_DIR/hang-fs.out" 2>&1 &
hang_fs=$!
ok "$hung's view of the configs hangs" wait_for --timeout 10 grep -q ready "$LAB_DIR/hang-fs.out"
on "$hung" timeout 3 cat "$(lab_vm_xml vm1)" >/dev/null 2>&1
is "$?" 124 "...reading vm1's config there waits (cat killed after 3 s)"
hung_monitored() {
    on "$hung" grep -q "Config '$(lab_vm_xml vm1)' did not answer within .*going on by the remembered name" \
        /var/log/pacemaker/pacemaker.log
}
ok "vm1's monitor on $hung goes on by the remembered name" wait_for --timeout 60 hung_monitored
sleep 20 # two more monitors each
no_failed_ops "crm_mon shows no failed operation (the monitors said running)"
declare -A hb_before
for vm in $hung_vms; do hb_before[$vm]=$(guest_heartbeat "$vm"); done
on n1 crm_attribute --node "$hung" --name standby --update on
# shellcheck disable=SC2086  # the VM names split at blanks
off_hung() { vms_started_off "$hung" $hung_vms; }
ok "crm_standby $hung: $hung_vms leave it" wait_for --timeout 180 off_hung
for vm in $hung_vms; do
    is "$(vm_running_nodes "$vm" | wc -w)" 1 "$vm runs on exactly one node"
    wait_for --timeout 10 eval "[ \"\$(guest_heartbeat $vm)\" -gt ${hb_before[$vm]} ]"
    cmp_ok "$(guest_heartbeat "$vm")" -gt "${hb_before[$vm]}" \
        "$vm's guest went on beating (${hb_before[$vm]} -> $(guest_heartbeat "$vm"), live, not restarted)"
done
no_failed_ops "crm_mon shows no failed operation (the migrations went by name)"
stuck_agents() { # agents on the hung node alive for over 60 s
    on "$hung" ps -eo etimes=,stat=,args= |
        awk '$1 > 60 && /resource.d\/drover\/VirtualDomain/'
}
is "$(stuck_agents)" "" "no agent is left waiting on the hung file system"
kill "$hang_fs" 2>/dev/null
wait "$hang_fs" 2>/dev/null
on "$hung" umount -l "$LAB_DIR/vms" 2>/dev/null
on n1 crm_attribute --node "$hung" --name standby --delete >/dev/null 2>&1

ok "crm_verify -L: configuration valid" on n1 crm_verify -L
rm -f "$samples"
lab_stop
done_testing
