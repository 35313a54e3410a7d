#!/bin/bash
# Soak: live migrations on a 3-node lab, one after the other, each under a
# fault drawn at random from the lab's knobs, the guests dirtying memory.
# Bounded: SOAK_MIGRATIONS moves (default 200) or SOAK_SECONDS (default
# 10800; a move takes about 45 s), whichever comes first; SOAK_SEED replays
# a run (the draws; the lab's timing differs).  It prints what
# happened to every move and a table at the end; it fails when a VM was
# lost, ran twice, or restarted (but where its migrate_to's agent was
# SIGKILLed: Pacemaker restarts a VM whose migrate_to failed).  `make soak`
# runs it; it is not part of `make check`.
# shellcheck disable=SC2317,SC2016  # predicates called through ok/wait_for/eval
. "$(dirname "$0")/../lab/lib.sh"

export LAB_VM_AGENT=ocf:drover:VirtualDomain
export LAB_VM_MEMORY=${LAB_VM_MEMORY:-128} LAB_VM_FILL=${LAB_VM_FILL:-32}
export LAB_VM_DIRTY=${LAB_VM_DIRTY:-2}
export LAB_VM_PARAMS="migration_stall_timeout=5"
moves_wanted=${SOAK_MIGRATIONS:-200}
seconds=${SOAK_SECONDS:-10800}
seed=${SOAK_SEED:-$$}
RANDOM=$seed
VMS="vm1 vm2 vm3"
NODES="n1 n2 n3"

lab_start --nodes 3 --vms 3
note "seed $seed (SOAK_SEED=$seed replays this run's draws)"
on n1 crm_attribute --type crm_config --name drover-migration-networks \
    --update "lm1=10.20.1.0/24 lm2=10.20.2.0/24"
nodehealth_clone
for vm in $VMS; do
    ok "$vm's guest is up" wait_for --timeout 90 guest_ready "$vm"
done

# --- what a move did ---------------------------------------------------------
log_lines() { on "$1" cat /var/log/pacemaker/pacemaker.log 2>/dev/null | wc -l; }
log_since() { # NODE LINES: the node's log after its first LINES lines
    on "$1" tail -n "+$(($2 + 1))" /var/log/pacemaker/pacemaker.log 2>/dev/null
}
online() { on n1 crm_mon -1 2>/dev/null | grep -q "Online: .*$1"; }
settled() { on n1 crm_resource --wait --timeout=5s >/dev/null 2>&1; }
started() { [ "$(vm_role "$1")" = Started ]; }
failures() { on n1 crm_mon -1 --output-as=xml 2>/dev/null | grep -c '<failure '; }

# The domain's "running" nodes, twice over: a node counts only if running
# in both passes (one pass can see the source still running and, a moment
# later, the target already running)
running_twice() {
    local vm=$1 node _ up
    declare -A seen=()
    for _ in 1 2; do
        up=$(on n1 crm_mon -1 2>/dev/null | grep "Online:")
        for node in $NODES; do
            [[ $up == *" $node "* ]] || continue
            [ "$(on "$node" timeout 5 virsh -q domstate "$vm" 2>/dev/null)" = running ] &&
                seen[$node]=$((${seen[$node]:-0} + 1))
        done
    done
    local n=0
    for node in $NODES; do [ "${seen[$node]:-0}" = 2 ] && n=$((n + 1)); done
    [ "$n" -gt 1 ]
}

# --- faults, drawn per move ---------------------------------------------------
# Each is applied while the migration runs (ARM: after the move is asked)
# and undone by HEAL.
FAULTS=(none none libvirtd-stop-source libvirtd-restart-target lm1-port-down-target
    lm1-loss-target lm1-mtu-target agent-kill-source crash-bystander)
arm() { # FAULT SRC DST BYSTANDER
    case $1 in
    none) ;;
    libvirtd-stop-source) sleep 1; "$LAB" fault libvirtd "$2" stop; sleep 5
        "$LAB" fault libvirtd "$2" cont ;;
    libvirtd-restart-target) sleep 1; "$LAB" fault libvirtd "$3" restart ;;
    lm1-port-down-target) "$LAB" fault port "$3" lm1 down ;;
    lm1-loss-target) "$LAB" fault loss "$3" lm1 5 ;;
    lm1-mtu-target) "$LAB" fault mtu "$3" lm1 1400 ;;
    agent-kill-source) sleep 2
        on "$2" pkill -KILL -f "resource.d/drover/VirtualDomain migrate_to" ;;
    crash-bystander) sleep 1; "$LAB" fault crash "$4" ;;
    esac
}
heal() { # FAULT SRC DST BYSTANDER
    case $1 in
    lm1-port-down-target | lm1-loss-target) "$LAB" fault heal "$3" ;;
    lm1-mtu-target) "$LAB" fault mtu "$3" lm1 1500 ;;
    crash-bystander)
        "$LAB" fault boot "$4"
        wait_for --timeout 120 online "$4" ;;
    esac
}

declare -A count=()
KEYS="attempted live fallback refused restarted restarted_agent_killed restarted_bystander restarted_node_crash lost twice failed_ops crashes"
for key in $KEYS; do count[$key]=0; done
bad() { count[$1]=$((count[$1] + 1)); problems+=" $1"; }
t_end=$(($(date +%s) + seconds))
move=0
while [ "$move" -lt "$moves_wanted" ] && [ "$(date +%s)" -lt "$t_end" ]; do
    move=$((move + 1))
    vm=vm$((RANDOM % 3 + 1))
    src=$(vm_node "$vm")
    others=()
    for node in $NODES; do [ "$node" != "$src" ] && others+=("$node"); done
    pick=$((RANDOM % 2))
    dst=${others[$pick]}
    bystander=${others[$((1 - pick))]}
    fault=${FAULTS[$((RANDOM % ${#FAULTS[@]}))]}
    [ "$fault" = crash-bystander ] && [ "$bystander" = n1 ] && fault=none # the lab is driven from n1
    problems=""
    # every VM's boots and node: a VM that is not moving may be restarted
    # too (a failed monitor on its node), which the mover's heartbeat misses
    declare -A boots_before=() node_before=()
    for v in $VMS; do
        boots_before[$v]=$(guest_boots "$v")
        node_before[$v]=$(vm_node "$v")
    done
    hb_before=$(guest_heartbeat "$vm")
    src_lines=$(log_lines "$src")
    t0=$(date +%s)
    count[attempted]=$((count[attempted] + 1))
    [ "$fault" = crash-bystander ] && count[crashes]=$((count[crashes] + 1))

    on n1 crm_resource --move -r "$vm" -N "$dst" --quiet >/dev/null 2>&1
    arm "$fault" "$src" "$dst" "$bystander" >/dev/null 2>&1 &
    armer=$!
    twice=0
    until settled && started "$vm"; do
        running_twice "$vm" && twice=1
        [ $(($(date +%s) - t0)) -lt 240 ] || break
    done
    wait "$armer"
    on n1 crm_resource --clear -r "$vm" --quiet >/dev/null 2>&1
    heal "$fault" "$src" "$dst" "$bystander" >/dev/null 2>&1
    wait_for --timeout 60 settled

    now=$(vm_node "$vm")
    log=$(log_since "$src" "$src_lines")
    rc=$(migrations "$t0" | awk -v vm="$vm" '$3 == vm { rc = $5 } END { print rc }')
    [ "$twice" = 1 ] && bad twice
    if [ -z "$(vm_running_nodes "$vm")" ]; then
        wait_for --timeout 60 eval '[ -n "$(vm_running_nodes '"$vm"')" ]' || bad lost
    fi
    wait_for --timeout 20 eval '[ "$(guest_heartbeat '"$vm"')" -gt '"$hb_before"' ]'
    hb_after=$(guest_heartbeat "$vm")
    if [ "$hb_after" -le "$hb_before" ]; then
        # a migrate_to that dies is a failed one: Pacemaker stops the VM on
        # both nodes and starts it again (docs/virtualdomain.md)
        if [ "$fault" = agent-kill-source ]; then
            count[restarted_agent_killed]=$((count[restarted_agent_killed] + 1))
        else
            bad restarted
        fi
    fi
    if [ "$rc" = 0 ] && [ "$now" = "$dst" ] && [[ $problems != *restarted* ]]; then
        count[live]=$((count[live] + 1))
        grep -q "over lm2\|memory to tcp://$dst-lm2" <<<"$log" &&
            count[fallback]=$((count[fallback] + 1))
    else
        count[refused]=$((count[refused] + 1))
    fi
    for v in $VMS; do
        wait_for --timeout 20 eval '[ -n "$(vm_running_nodes '"$v"')" ]'
        [ "$(guest_boots "$v")" -gt "${boots_before[$v]}" ] || continue
        if [ "$v" = "$vm" ]; then # booted again after its heartbeat was read
            [ "$fault" = agent-kill-source ] || [[ $problems == *restarted* ]] ||
                bad restarted
        elif [ "$fault" = crash-bystander ] && [ "${node_before[$v]}" = "$bystander" ]; then
            count[restarted_node_crash]=$((count[restarted_node_crash] + 1))
        else
            bad restarted_bystander
            problems+="($v)"
        fi
    done
    reason=$(grep -o 'ocf-exit-reason:.*' <<<"$log" | tail -n 1)
    nfail=$(failures)
    if [ "$nfail" -gt 0 ]; then
        count[failed_ops]=$((count[failed_ops] + nfail))
        on n1 crm_resource --cleanup --quiet >/dev/null 2>&1
        wait_for --timeout 60 settled
    fi
    note "$(printf '%3d %-4s %s->%-3s %-26s rc=%-2s now=%-3s hb %s->%s fails=%s%s %s' \
        "$move" "$vm" "$src" "$dst" "$fault" "${rc:--}" "$now" "$hb_before" "$hb_after" \
        "$nfail" "${problems:+ PROBLEM:$problems}" "$reason")"
done

# --- the table -----------------------------------------------------------------
note ""
note "soak: $move moves in $(($(date +%s) - t_end + seconds)) s, seed $seed"
for key in $KEYS; do
    note "$(printf '%-22s %5d' "$key" "${count[$key]}")"
done
note "fencing                  n/a (the lab runs without fencing: a crashed node's VMs die with it)"
is "${count[lost]}" 0 "no VM lost"
is "${count[twice]}" 0 "no VM ran twice"
is "${count[restarted]}" 0 "no VM restarted but by its migrate_to's agent killed"
is "${count[restarted_bystander]}" 0 "no VM restarted while another moved (but on a crashed node)"
for vm in $VMS; do
    is "$(vm_running_nodes "$vm" | wc -w)" 1 "$vm runs on exactly one node at the end"
done
lab_stop
done_testing
