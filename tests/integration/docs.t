#!/bin/bash
# The documentation, followed as an admin would: every command an admin is
# meant to paste from README.md and docs/*.md (tests/docs/commands lists
# them), in the documents' order, done as tests/docs/plan says (run on a
# lab node, or skipped for a reason written there).  The lab's VMs start
# under ocf:heartbeat:VirtualDomain: the admin guide switches them to
# drover, creates NodeHealth, sets networks, policies, limits and TLS,
# drains n1 and brings it back, twice, then monitoring; the other pages'
# commands follow.  All along: no VM restarted (a guest that boots again
# prints "drover-guest ready" again), none runs twice, no failed operation.
# shellcheck disable=SC2317,SC2016  # checks called by name from the plan
. "$(dirname "$0")/../lab/lib.sh"

DOCS=(README.md docs/*.md)
PLAN=tests/docs/plan
NODES="n1 n2 n3"
VMS="vm1 vm2 vm3"
cd "$LAB_REPO" || BAIL_OUT "no repository at $LAB_REPO"

# --- the documents and the plan, in step ------------------------------------
mapfile -t documented < <(tests/docs/commands "${DOCS[@]}")
mapfile -t planned < <(grep -v -e '^#' -e '^$' "$PLAN")
in_step=1
for i in "${!documented[@]}"; do
    IFS=$'\t' read -r where doc_cmd _ <<<"${documented[$i]}"
    plan_cmd=${planned[$i]%%$'\t'*}
    if [ "$doc_cmd" != "$plan_cmd" ]; then
        diag "$where: the document has: $doc_cmd"
        diag "line $((i + 1)) of the plan's commands has: ${plan_cmd:-(nothing)}"
        in_step=0
        break
    fi
done
[ "${#planned[@]}" -eq "${#documented[@]}" ] || in_step=0
ok "tests/docs/plan lists the ${#documented[@]} documented commands in order" \
    [ "$in_step" = 1 ]
[ "$in_step" = 1 ] || BAIL_OUT "the documents and $PLAN differ: change them together"

# --- the lab, as a cluster before drover ------------------------------------
export LAB_VM_AGENT=ocf:heartbeat:VirtualDomain
lab_start --nodes 3 --vms 3
WORK=$LAB_DIR/docs-work
BIN=$LAB_DIR/docs-bin
mkdir -p "$WORK" "$BIN"
ln -sf "$LAB_REPO/build/drover" "$BIN/drover"
printf '#!/bin/sh\nexec "$@"\n' >"$BIN/sudo"
chmod 755 "$BIN/sudo"
for vm in $VMS; do
    ok "$vm runs under ocf:heartbeat:VirtualDomain" \
        wait_for --timeout 90 guest_ready "$vm"
done

boots() { guest_boots "$1"; }
declare -A boots_at_start
for vm in $VMS; do boots_at_start[$vm]=$(boots "$vm"); done

# --- checks the plan names (then=) ------------------------------------------
lists_both_agents() { grep -qx NodeHealth <<<"$out" && grep -qx VirtualDomain <<<"$out"; }
vm1_is_drover() {
    on n1 cibadmin --query --xpath "//primitive[@id='$VM']" | grep -q 'provider="drover"'
}
all_started() {
    local vm
    for vm in $VMS; do
        [ "$(vm_role "$vm")" = Started ] || return 1
        [ "$(vm_running_nodes "$vm" | wc -w)" -eq 1 ] || return 1
    done
}
not_restarted() {
    local vm
    for vm in $VMS; do
        [ "$(boots "$vm")" = "${boots_at_start[$vm]}" ] || {
            diag "$vm booted again"
            return 1
        }
    done
}
no_failures() { ! on n1 crm_mon -1 --output-as=xml | grep -q '<failure '; }
vms_steady() {
    wait_for --timeout 180 all_started && not_restarted && no_failures
}
health_of() {
    on n1 crm_attribute --node "$1" --name '#health-drover' --lifetime reboot \
        --query --quiet 2>/dev/null
}
every_node_green() {
    local node
    for node in $NODES; do [ "$(health_of "$node")" = green ] || return 1; done
}
all_green() { wait_for --timeout 90 every_node_green; }
facts_of() {
    on n1 crm_attribute --node "$1" --name "drover-net-$2" --lifetime reboot \
        --query --quiet 2>/dev/null
}
every_node_has_facts() {
    local node net
    for node in $NODES; do
        for net in lm1 lm2 mgmt; do [ -n "$(facts_of "$node" "$net")" ] || return 1; done
    done
}
facts_published() { wait_for --timeout 60 every_node_has_facts; }
n1_empty() {
    local vm
    for vm in $VMS; do
        [ "$(vm_running_nodes "$vm")" != n1 ] || return 1
    done
    all_started && not_restarted && no_failures
}

some_vm_on_n1() { # a drain that follows has something to move
    local vm
    for vm in $VMS; do [ "$(vm_running_nodes "$vm")" = n1 ] && return 0; done
    return 1
}
n1_in_service() {
    [ "$(on n1 crm_attribute --node n1 --name standby --query --quiet 2>/dev/null)" != on ]
}

# --- a documented command, run on a node ------------------------------------
# run_on NODE COMMAND: sets out and rc
run_on() {
    local cmd=${2//\/usr\/sbin\/drover/drover}
    cmd=${cmd//\/usr\/bin\/sudo/sudo}
    out=$(on "$1" env PATH="$BIN:/usr/sbin:/usr/bin:/sbin:/bin" \
        bash -c "cd '$WORK' && $cmd" 2>&1)
    rc=$?
}

# one DESC NODE COMMAND OPTIONS...: run it and test what the plan says
one() {
    local desc=$1 node=$2 cmd=$3 want_rc=0 then="" has="" opt
    shift 3
    for opt in "$@"; do
        case $opt in
        rc=*) want_rc=${opt#rc=} ;;
        has=*) has=${opt#has=} ;;
        then=*) then=${opt#then=} ;;
        on=* | each-node | each-vm) ;;
        *) diag "tests/docs/plan: unknown option '$opt'"; return 1 ;;
        esac
    done
    run_on "$node" "$cmd"
    is "$rc" "$want_rc" "$desc: exit $want_rc"
    [ "$rc" = "$want_rc" ] || diag "$out"
    if [ -n "$has" ]; then
        # in any case: Pacemaker 3.0 says "returned 0 (OK)", 2.1 "(ok)"
        ok "...prints '$has'" grep -qiF -- "$has" <<<"$out" || diag "$out"
    fi
    if [ -n "$then" ]; then
        ok "...then $then" "$then" || diag "$out"
    fi
}

for i in "${!documented[@]}"; do
    IFS=$'\t' read -r where doc_cmd _ <<<"${documented[$i]}"
    IFS=$'\t' read -r _ action options <<<"${planned[$i]}"
    case $action in
    skip\ *)
        note "$where: skipped: ${action#skip }"
        continue
        ;;
    as\ *)
        cmd=${action#as }
        action="run $options"
        ;;
    run*)
        cmd=$doc_cmd
        ;;
    *)
        fail "$where: tests/docs/plan says '$action': run, as or skip" && continue
        ;;
    esac
    # options: the words after "run", up to has= (whose text may have spaces)
    read -r -a opts <<<"${action#run}"
    if [[ $action == *has=* ]]; then
        before_has=${action%%has=*}
        read -r -a opts <<<"${before_has#run}"
        opts+=("has=${action#*has=}")
    fi
    node=n1
    for opt in "${opts[@]}"; do [[ $opt == on=* ]] && node=${opt#on=}; done
    if [[ " ${opts[*]} " == *" each-node "* ]]; then
        for n in $NODES; do
            ni=${n#n}
            one "$where ($n) $doc_cmd" "$n" \
                "$(sed -e "s/\bn1\b/$n/g" -e "s/\(10\.20\.[0-9]\)\.11\b/\1.1$ni/g" <<<"$cmd")" \
                "${opts[@]}"
        done
    elif [[ " ${opts[*]} " == *" each-vm "* ]]; then
        for VM in $VMS; do
            one "$where ($VM) $doc_cmd" "$node" "${cmd//vm1/$VM}" "${opts[@]}"
        done
    else
        one "$where $doc_cmd" "$node" "$cmd" "${opts[@]}"
    fi
done

# --- what the admin must see at the end -------------------------------------
for vm in $VMS; do
    is "$(vm_running_nodes "$vm" | wc -w)" 1 "$vm runs on exactly one node"
    is "$(boots "$vm")" "${boots_at_start[$vm]}" "$vm's guest never booted again (not restarted)"
done
no_failed_ops "crm_mon shows no failed operation"
ok "crm_verify -L: configuration valid" on n1 crm_verify -L
lab_stop
done_testing
