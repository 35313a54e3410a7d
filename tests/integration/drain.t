#!/bin/bash
# drover drain on the lab: six VMs of mixed priority and memory leave n1 in
# the planned order (from the executors' migration times), to the planned
# targets, within the targets' memory; n1 ends empty and in standby, each
# VM on one node; drover undrain --failback brings them back.
# shellcheck disable=SC2317,SC2016  # predicates called through ok/wait_for/eval
. "$(dirname "$0")/../lab/lib.sh"

export LAB_VM_AGENT=ocf:drover:VirtualDomain
export LAB_VM_FILL=${LAB_VM_FILL:-16} LAB_VM_MEMORY=${LAB_VM_MEMORY:-128}
export LAB_VM_PARAMS="migration_speed=16"
lab_start --nodes 3 --vms 6
drover() { on n1 "$LAB_REPO/build/drover" "$@"; }

# priority and memory (Pacemaker utilization) per VM; node capacities
declare -A prio=([vm1]=0 [vm2]=10 [vm3]=10 [vm4]=5 [vm5]=0 [vm6]=20)
declare -A mem=([vm1]=1024 [vm2]=2048 [vm3]=512 [vm4]=1024 [vm5]=256 [vm6]=1024)
for vm in "${!prio[@]}"; do
    on n1 crm_resource -r "$vm" --meta --set-parameter priority \
        --parameter-value "${prio[$vm]}" >/dev/null
    on n1 crm_resource -r "$vm" --utilization --set-parameter memory \
        --parameter-value "${mem[$vm]}" >/dev/null
done
declare -A cap=([n1]=16384 [n2]=3072 [n3]=4096)
for node in n1 n2 n3; do
    on n1 crm_attribute --node "$node" --utilization --name memory --update "${cap[$node]}"
done
ok "the six VMs gather on n1" gather_vms_on n1 240

# --- the plan ------------------------------------------------------------------
plan=$(drover drain n1 --dry-run)
diag "$plan"
drover drain n1 --dry-run --output-as=xml >"$LAB_DIR/plan.xml"
ok "the plan validates against schemas/drover-output.rng" \
    xmllint --noout --relaxng "$LAB_REPO/schemas/drover-output.rng" "$LAB_DIR/plan.xml"
planned_order=$(xmllint --xpath '//step/@vm' "$LAB_DIR/plan.xml" | grep -o '"[^"]*"' | tr -d '"' | xargs)
is "$planned_order" "vm6 vm3 vm2 vm4 vm5 vm1" "planned order: priority, then smallest first"
declare -A target
for vm in $planned_order; do
    target[$vm]=$(xmllint --xpath "string(//step[@vm='$vm']/@target)" "$LAB_DIR/plan.xml")
done

# --- the drain -------------------------------------------------------------------
# the guests' heartbeat counters live in guest memory: a VM stopped and
# started again anywhere would count from 0
declare -A beat
for vm in $planned_order; do beat[$vm]=$(guest_heartbeat "$vm"); done
t0=$(lab_now)
out=$(drover drain n1 --wait --timeout=300)
rc=$?
diag "$out"
is "$rc" 0 "drover drain n1 --wait exits 0"
ok "...and says n1 is drained" grep -q '^n1 is drained$' <<<"$out"
ok "progress shows migrations" grep -q ' migrating ' <<<"$out"
ok "...with bytes, speed and ETA" grep -qE ' migrating .* MiB sent, [0-9]+ MiB left, [0-9.]+ MiB/s, ETA [0-9]+ s' <<<"$out"
ok "...and the whole drain's ETA" grep -qE ' [0-9] of 6 done, [0-9]+ MiB to move, [0-9.]+ MiB/s, ETA [0-9]+ s' <<<"$out"
for vm in $planned_order; do
    is "$(vm_node "$vm")" "${target[$vm]}" "$vm went where planned (${target[$vm]})"
    is "$(vm_running_nodes "$vm")" "${target[$vm]}" "  and runs there only"
done
for vm in $planned_order; do
    cmp_ok "$(guest_heartbeat "$vm")" -gt "${beat[$vm]}" "$vm's guest ran on throughout (heartbeat went on from ${beat[$vm]})"
done
ok "n1 is in standby" eval '[ "$(on n1 crm_attribute --node n1 --name standby --query --quiet)" = on ]'
for node in n2 n3; do
    used=0
    for vm in $planned_order; do [ "${target[$vm]}" = "$node" ] && used=$((used + mem[$vm])); done
    cmp_ok "$used" -le "${cap[$node]}" "$node holds $used MiB of its ${cap[$node]}"
done
# order: the executors' migrate_to times; two at a time (n1's outgoing
# limit): each VM starts after the one two places before it ended
mapfile -t runs < <(migrations "${t0%.*}" | sort -n)
declare -A start end
for line in "${runs[@]}"; do
    read -r s e vm _ rc <<<"$line"
    start[$vm]=$s end[$vm]=$e
    is "$rc" 0 "$vm: one migrate_to, successful"
done
read -ra order <<<"$planned_order"
for ((i = 2; i < ${#order[@]}; i++)); do
    prev=${order[i - 2]} vm=${order[i]}
    ok "$vm started after $prev ended (${start[$vm]} >= ${end[$prev]})" \
        awk -v s="${start[$vm]}" -v e="${end[$prev]}" 'BEGIN { exit !(s >= e - 0.5) }'
done
no_failed_ops "crm_mon shows no failed operation"
is "$(drover drain n1)" "n1 is drained" "drover drain n1 again: already drained"

# --- undrain with failback ---------------------------------------------------------
out=$(drover undrain n1 --failback --timeout=300)
rc=$?
diag "$out"
is "$rc" 0 "drover undrain n1 --failback exits 0"
ok "the VMs are back on n1" all_vms_on n1
ok "n1 is out of standby" eval '[ -z "$(on n1 crm_attribute --node n1 --name standby --query --quiet 2>/dev/null | grep on)" ]'
is "$(on n1 cibadmin -Q -o constraints | grep -c 'drover-')" 0 "no drover constraint left"

# --- the tool killed halfway: the drain goes on, a re-run follows it --------------
drover drain n1 --wait --timeout=300 >"$LAB_DIR/killed.out" 2>&1 &
migrating() { grep -q ' migrating ' "$LAB_DIR/killed.out"; }
ok "a second drain of n1 starts migrating" wait_for --timeout 60 migrating
pkill -KILL -f 'build/drover drain n1 --wait'
wait 2>/dev/null
out=$(drover drain n1 --wait --timeout=300)
is "$?" 0 "after SIGKILL of the tool, drover drain n1 --wait follows the drain to its end"
ok "...n1 is drained" grep -q '^n1 is drained$' <<<"$out"
for vm in $planned_order; do
    is "$(vm_running_nodes "$vm" | wc -w)" 1 "$vm runs on exactly one node"
done
drover undrain n1 >/dev/null

# --- --cancel: what runs finishes, nothing else moves, nothing is left ------------
src=$(vm_node vm1)
drover drain "$src" >/dev/null
drover drain "$src" --cancel
once() { [ "$(vm_running_nodes "$1" | wc -w)" = 1 ] && [ "$(vm_role "$1")" = Started ]; }
for vm in $planned_order; do
    # a migration under way finishes first
    ok "after --cancel, $vm runs on exactly one node" wait_for --timeout 120 once "$vm"
done
on n1 crm_resource --wait --timeout=120s
is "$(on n1 cibadmin -Q -o constraints | grep -c 'drover-')" 0 "no drover constraint left"
ok "$src is not in standby" eval '[ -z "$(on n1 crm_attribute --node "$src" --name standby --query --quiet 2>/dev/null | grep on)" ]'
no_failed_ops "crm_mon shows no failed operation"

# --- a VM that cannot be live-migrated ---------------------------------------------
ok "the VMs gather on n1 again" gather_vms_on n1 240
on n1 crm_resource -r vm5 --meta --set-parameter allow-migrate --parameter-value false >/dev/null
err=$(drover drain n1 --dry-run 2>&1)
is "$?" 113 "a plan with an unmovable VM: exit 113 (--on-unmovable=fail)"
ok "...naming it" grep -q "vm5 cannot be moved: not live-migratable" <<<"$err"
is "$(on n1 crm_attribute --node n1 --name drover-drain --query --quiet 2>/dev/null)" "" "...and nothing is changed"
out=$(drover drain n1 --wait --on-unmovable=skip --timeout=300)
is "$?" 113 "--on-unmovable=skip: the others leave, exit 113 (n1 is not empty)"
diag "$out"
ok "...naming the VM left behind" grep -q '^n1 is drained but for vm5 ' <<<"$out"
is "$(vm_running_nodes vm5)" n1 "vm5 still runs on n1, once"
for vm in $planned_order; do
    [ "$vm" = vm5 ] && continue
    ok "$vm left n1" eval '[ "$(vm_running_nodes "$vm")" != n1 ] && [ "$(vm_running_nodes "$vm" | wc -w)" = 1 ]'
done
ok "n1 is not in standby (vm5 still runs there)" eval '[ -z "$(on n1 crm_attribute --node n1 --name standby --query --quiet 2>/dev/null | grep on)" ]'
drover undrain n1 >/dev/null
on n1 crm_resource -r vm5 --meta --set-parameter allow-migrate --parameter-value true >/dev/null

# --- two drains at once: n1 to n3, and n2 (only n3 is left) ----------------------
# (the VMs are on n1, n2 and n3 after the last drain) n3 holds all six
# with 512 MiB to spare; n2's plan must count what n1's drain sends to n3
on n1 crm_attribute --node n3 --utilization --name memory --update 6400
drover drain n1 --target n3 >/dev/null
drover drain n2 --dry-run --output-as=xml >"$LAB_DIR/plan-n2.xml"
on_n2=$(xmllint --xpath '//step/@vm' "$LAB_DIR/plan-n2.xml" | grep -o '"[^"]*"' | tr -d '"' | xargs)
free=6400
for vm in $planned_order; do
    [[ " $on_n2 " == *" $vm "* ]] || free=$((free - mem[$vm]))
done
first=${on_n2%% *}
ok "n2's plan counts n1's moves to n3 ($first: $free MiB free before it)" \
    xmllint --xpath "//step[@vm='$first'][contains(@reason, '($free MiB before it)')]" "$LAB_DIR/plan-n2.xml"
drover drain n2 >/dev/null
drover drain n1 --wait --timeout=300 --output-as=json >"$LAB_DIR/n1.json" &
out=$(drover drain n2 --wait --timeout=300)
is "$?" 0 "drover drain n2 --wait exits 0"
wait $!
is "$?" 0 "drover drain n1 --wait (at the same time) exits 0"
bad=0
while read -r line; do json_pp <<<"$line" >/dev/null 2>&1 || bad=$((bad + 1)); done <"$LAB_DIR/n1.json"
is "$bad" 0 "--output-as=json: every line is a JSON object"
ok "...the last says n1 is drained" eval '[ "$(tail -1 "$LAB_DIR/n1.json")" = "{\"event\": \"drained\", \"node\": \"n1\"}" ]'
ok "every VM is on n3" all_vms_on n3
used=0
for vm in $planned_order; do
    is "$(vm_running_nodes "$vm")" n3 "$vm runs on n3 only"
    used=$((used + mem[$vm]))
done
cmp_ok "$used" -le 6400 "n3 holds $used MiB of its 6400"
drover undrain n1 >/dev/null
drover undrain n2 >/dev/null
on n1 crm_attribute --node n3 --utilization --name memory --update "${cap[n3]}"

no_failed_ops "crm_mon shows no failed operation"

ok "crm_verify -L: configuration valid" on n1 crm_verify -L
lab_stop
done_testing
