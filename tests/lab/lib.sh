# shellcheck shell=bash
# Scenario tests on the lab: TAP output for prove, one lab per test file,
# and questions a user would ask the cluster.  A test file is a bash script:
#
#   #!/bin/bash
#   . "$(dirname "$0")/lib.sh"          # (tests elsewhere: source tests/lab/lib.sh)
#   lab_start --nodes 3 --vms 1         # lab down is guaranteed by a trap
#   is "$(vm_node vm1)" n1 "vm1 starts on n1"
#   lab_stop                            # tears down and checks it is clean
#   done_testing
#
# Run with: prove -v tests/lab/selftest.t

_lib_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for _part in common net node cluster vms down; do
    # shellcheck source=/dev/null
    . "$_lib_here/sh/$_part.sh"
done
unset _part
LAB=$_lib_here/lab

# --- TAP -------------------------------------------------------------------

_tap_count=0
_tap_failed=0
_tap_planned=

plan() { _tap_planned=$1; echo "1..$1"; }

# ok DESCRIPTION CMD...: one test, passing when CMD succeeds.
ok() {
    local desc=$1
    shift
    if "$@"; then
        _tap_result 0 "$desc"
    else
        _tap_result 1 "$desc"
    fi
}

# is GOT EXPECTED DESCRIPTION
is() {
    if [ "$1" = "$2" ]; then
        _tap_result 0 "$3"
    else
        _tap_result 1 "$3"
        diag "     got: '$1'"
        diag "expected: '$2'"
    fi
}

# cmp_ok GOT OP EXPECTED DESCRIPTION, OP one of test's -eq -ne -lt -le -gt -ge
cmp_ok() {
    if [[ $1 =~ ^-?[0-9]+$ ]] && [[ $3 =~ ^-?[0-9]+$ ]] && test "$1" "$2" "$3"; then
        _tap_result 0 "$4"
    else
        _tap_result 1 "$4"
        diag "'$1' $2 '$3' is false"
    fi
}

pass() { _tap_result 0 "$1"; }
fail() { _tap_result 1 "$1"; }

# Each result line ends with the seconds since the test began, so that a
# log shows where a scenario's time goes.
_tap_result() {
    _tap_count=$((_tap_count + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $_tap_count - $2 [${SECONDS} s]"
    else
        _tap_failed=$((_tap_failed + 1))
        echo "not ok $_tap_count - $2 [${SECONDS} s]"
        diag "Failed test '$2' at ${BASH_SOURCE[2]##*/} line ${BASH_LINENO[1]}."
    fi
    return "$1" # so that ok can be asked: if ! ok ...; then diagnose
}

diag() { printf '# %s\n' "$*" >&2; }      # shown by prove even without -v
note() { printf '# %s\n' "$*"; }

skip_all() { echo "1..0 # SKIP $*"; exit 0; }
BAIL_OUT() { echo "Bail out!  $*"; exit 255; }

done_testing() {
    [ -n "$_tap_planned" ] || echo "1..$_tap_count"
    if [ -n "$_tap_planned" ] && [ "$_tap_planned" -ne "$_tap_count" ]; then
        diag "planned $_tap_planned tests but ran $_tap_count"
        exit 255
    fi
    [ "$_tap_failed" -eq 0 ] || diag "failed $_tap_failed of $_tap_count tests"
    exit $((_tap_failed > 254 ? 254 : _tap_failed))
}

# --- the lab of this test file ---------------------------------------------

_lab_started=0

# lab_start [lab up options]: a fresh lab, torn down on any exit.
lab_start() {
    [ "$(id -u)" -eq 0 ] || skip_all "the lab needs root"
    trap '_lab_exit_trap' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    _lab_started=1
    local log=$LAB_DIR.up.log
    mkdir -p "$(dirname "$log")"
    if ! "$LAB" up "$@" >"$log" 2>&1; then
        sed 's/^/# /' "$log" >&2
        BAIL_OUT "lab up $* failed"
    fi
    grep -E '^lab: up:' "$log" | sed 's/^/# /'
}

# lab_stop: tear down now, as a test ("lab down clean").
lab_stop() {
    local out
    _lab_started=0
    if out=$("$LAB" down 2>&1); then
        pass "lab down is clean"
    else
        fail "lab down is clean"
    fi
    printf '%s\n' "$out" | sed 's/^/# /'
}

_lab_exit_trap() {
    local rc=$?
    if [ "$_lab_started" -eq 1 ]; then
        _lab_started=0
        "$LAB" down 2>&1 | sed 's/^/# /' >&2
    fi
    exit "$rc"
}

# --- waiting ---------------------------------------------------------------

# wait_for [--timeout SECONDS] CMD...: poll CMD until it succeeds; false
# after the deadline (default 60 s).  Every 0.2 s for 3 s, then every
# 0.5 s: most questions cost a crm_mon, and a poll of a long wait would
# otherwise take a quarter of a core from the lab it waits on.
wait_for() {
    local secs=60 deadline
    if [ "$1" = --timeout ]; then
        secs=$2
        shift 2
    fi
    deadline=$((SECONDS + secs))
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        if [ $((deadline - SECONDS)) -gt $((secs - 3)) ]; then sleep 0.2; else sleep 0.5; fi
    done
}

# --- questions -------------------------------------------------------------

# crm_mon's words for a result in Pacemaker 2.1's form: 3.0 writes the
# exit status and operation status as its messages ("Error occurred",
# "Not configured", "Done") where 2.1 wrote "error", "not configured",
# "complete".
pcmk_words() {
    tr '[:upper:]' '[:lower:]' <<<"$1" | sed -e 's/error occurred/error/g' -e 's/\bdone\b/complete/g'
}

# on NODE CMD...: run CMD inside NODE.
on() { lab_node_run "$@"; }

crm_mon_xml() { lab_crm_mon_xml "$@"; }

# Every resource as Pacemaker sees it, one line each: "ID ROLE NODE..."
# (lab_xml_rsc_table).  One crm_mon: a question about several VMs reads
# one table, not a crm_mon per VM and per question.
vm_table() { lab_crm_mon_xml | lab_xml_rsc_table; }

# "ROLE NODE..." of VM, e.g. "Started n2", "Migrating n1", "Stopped".
vm_state() { vm_table | awk -v id="$1" '$1 == id { sub(/^[^ ]+ /, ""); print; exit }'; }

# Where Pacemaker says VM is active (node names, space-separated; empty if
# nowhere), and its role (Started, Stopped, Migrating, ...).
vm_node() { vm_state "$1" | cut -s -d' ' -f2-; }
vm_role() { vm_state "$1" | cut -d' ' -f1; }

# Whether VM is started on NODE, and there only.
vm_started_on() { [ "$(vm_state "$1")" = "Started $2" ]; }

# vms_started_off NODE VM...: whether every VM is started on one node,
# not NODE (one crm_mon)
vms_started_off() {
    local off=$1 table vm
    shift
    table=$(vm_table) || return 1
    for vm; do
        awk -v id="$vm" -v off="$off" '$1 == id && $2 == "Started" && NF == 3 && $3 != off { f = 1 }
            END { exit !f }' <<<"$table" || return 1
    done
}

# Where the VM really is, per libvirt and QEMU on every node (space-separated;
# see lab_vm_running_nodes).  Must be exactly one node for a running VM.
vm_running_nodes() { lab_vm_running_nodes "$1" | xargs; }

# Interface counters of NODE's interface NET, from its /sys/class/net.
net_tx_bytes() { lab_node_run "$1" cat "/sys/class/net/$2/statistics/tx_bytes"; }
net_rx_bytes() { lab_node_run "$1" cat "/sys/class/net/$2/statistics/rx_bytes"; }

# Last heartbeat counter of VM's guest (-1 if it never printed one).
guest_heartbeat() { lab_vm_heartbeat "$1"; }


guest_ready() { lab_vm_guest_ready "$1"; }

# Times VM's guest booted, across every node's serial log: a restart makes
# it print "drover-guest ready" again, a live migration does not
guest_boots() {
    cat "$LAB_DIR"/nodes/*/root/var/log/libvirt/qemu/"$1"-serial.log 2>/dev/null |
        grep -a -c 'drover-guest ready'
}

# A node's serial log of a VM appends across visits: mark its end before
# a move (guest_serial_mark VM NODE: its size in bytes), then read the
# first heartbeat written after it (guest_beat_after VM NODE MARK; empty
# until there is one).  Bytes, and a beat only at the start of a line: a
# VM that left the node may have left its last line unfinished (QEMU
# killed mid-line), and the next visit's output goes on from there.
guest_serial_mark() { on "$2" stat -c %s "$(lab_vm_serial_log "$1")" 2>/dev/null || echo 0; }
guest_beat_after() {
    on "$2" tail -c "+$(($3 + 1))" "$(lab_vm_serial_log "$1")" 2>/dev/null |
        grep -a -o '^drover-guest hb=[0-9]* ' | head -n 1 | cut -d= -f2 | tr -d ' '
}
guest_has_beat_after() { [ -n "$(guest_beat_after "$@")" ]; }
# The lab's VMs (vm1..vmK, from lab up --vms K)
lab_vm_list() { seq -f 'vm%g' 1 "$(sed -n 's/^vms=//p' "$LAB_DIR/lab.env")"; }

# Whether every VM runs, started, on NODE
all_vms_on() {
    local table vm
    table=$(vm_table) || return 1
    for vm in $(lab_vm_list); do
        grep -qx "$vm Started $1" <<<"$table" || return 1
    done
}

# gather_vms_on NODE SECONDS: every VM moves to NODE (within drover's
# limits) and stays there (stickiness).  One CIB change: standing the
# other nodes by one after the other would start migrations towards a node
# that then goes to standby, and Pacemaker restarts a VM whose migration
# ended on a node it may no longer use.
gather_vms_on() {
    local rc=0
    on n1 cibadmin --create -o constraints -X \
        "<rsc_location id=\"lab-gather\" rsc-pattern=\"^vm[0-9]+\$\" node=\"$1\" score=\"INFINITY\"/>"
    wait_for --timeout "$2" all_vms_on "$1" || rc=1
    on n1 crm_resource --wait --timeout=60s
    on n1 cibadmin --delete -X '<rsc_location id="lab-gather"/>'
    on n1 crm_resource --wait --timeout=60s
    return "$rc"
}

# standby_at_once NODE...: all of them to standby in one CIB change (one
# after the other, a VM could start migrating to a node about to stand by)
standby_at_once() {
    local xml="" node id
    for node in "$@"; do
        id=$(lab_node_index "$node")
        xml+="<node id=\"$id\" uname=\"$node\"><instance_attributes id=\"nodes-$id\">"
        xml+="<nvpair id=\"nodes-$id-standby\" name=\"standby\" value=\"on\"/>"
        xml+="</instance_attributes></node>"
    done
    on n1 cibadmin --modify --allow-create -o nodes -X "<nodes>$xml</nodes>"
}

# The NodeHealth clone on every node, monitoring every 3 s (it publishes
# each node's facts on the migration networks and its health), kept
# running on a red node as a health agent must be; with NAME=VALUE
# arguments, those parameters
# shellcheck disable=SC2120  # parameters are optional
nodehealth_clone() {
    local params="" kv
    for kv in "$@"; do
        params+="<nvpair id=\"health-${kv%%=*}\" name=\"${kv%%=*}\" value=\"${kv#*=}\"/>"
    done
    [ -z "$params" ] || params="<instance_attributes id=\"health-params\">$params</instance_attributes>"
    on n1 cibadmin -C -o resources -X "<clone id=\"health-clone\">
  <meta_attributes id=\"health-clone-meta\">
    <nvpair id=\"health-clone-allow-unhealthy\" name=\"allow-unhealthy-nodes\" value=\"true\"/>
  </meta_attributes>
  <primitive id=\"health\" class=\"ocf\" provider=\"drover\" type=\"NodeHealth\">$params
    <operations>
      <op id=\"health-monitor\" name=\"monitor\" interval=\"3s\" timeout=\"20s\"/>
    </operations>
  </primitive></clone>"
}

# The last heartbeat in NODE's serial log of VM (guest_beat_on VM NODE)
guest_beat_on() {
    on "$2" cat "$(lab_vm_serial_log "$1")" 2>/dev/null |
        grep -a -o 'drover-guest hb=[0-9]* ' | tail -n 1 | cut -d= -f2 | tr -d ' '
}

# --- moving a VM in a 2-node lab ----------------------------------------------

other_node() { if [ "$1" = n1 ]; then echo n2; else echo n1; fi; }
mib() { echo "$(($1 / 1048576)) MiB"; }

# move_vm VM: move VM to the other node as an admin would (crm_resource
# --move, then --clear); sets src, dst, sent[NET] (the bytes src sent on
# lm1, lm2 and mgmt meanwhile), hb_before and lines (for vm_not_restarted)
move_vm() {
    local vm=$1 net
    src=$(vm_node "$vm")
    dst=$(other_node "$src")
    declare -gA sent
    for net in lm1 lm2 mgmt; do sent[$net]=$(net_tx_bytes "$src" "$net"); done
    hb_before=$(guest_heartbeat "$vm")
    lines=$(guest_serial_mark "$vm" "$dst")
    on n1 crm_resource --move -r "$vm" -N "$dst" --quiet
    wait_for --timeout 90 vm_started_on "$vm" "$dst" || return 1
    on n1 crm_resource --clear -r "$vm" --quiet
    for net in lm1 lm2 mgmt; do
        sent[$net]=$(($(net_tx_bytes "$src" "$net") - sent[$net]))
    done
}

# vm_not_restarted VM: after move_vm, VM runs on dst only, its guest's
# heartbeat went on (a restart resets it) and crm_mon shows no failed
# operation (4 tests)
vm_not_restarted() {
    local vm=$1 after
    is "$(vm_running_nodes "$vm")" "$dst" "$vm runs on $dst only"
    wait_for --timeout 10 guest_has_beat_after "$vm" "$dst" "$lines"
    after=$(guest_beat_after "$vm" "$dst" "$lines")
    cmp_ok "${after:--1}" -ge "$hb_before" "$vm's guest was not restarted ($hb_before -> $after)"
    no_failed_ops "crm_mon shows no failed operation"
}

# --- migrations, from the executors' logs ----------------------------------

# Every migrate_to the nodes' executors ran: "START END VM NODE RC" per line,
# times in seconds since the epoch (END "-" while still running).  With
# SINCE (epoch seconds), only those that started after it.
migrations() {
    local since=${1:-0} node
    for node in $(lab_nodes); do
        local log
        log=$(lab_node_root "$node")/var/log/pacemaker/pacemaker.log
        [ -r "$log" ] || continue
        perl -MTime::Local -ne '
            BEGIN { $since = shift @ARGV; $node = shift @ARGV; @y = localtime; $year = $y[5] + 1900;
                    %mon = (Jan=>0,Feb=>1,Mar=>2,Apr=>3,May=>4,Jun=>5,Jul=>6,Aug=>7,Sep=>8,Oct=>9,Nov=>10,Dec=>11); }
            sub t { my ($m, $d, $hms) = @_; my ($h, $mi, $s) = split /:/, $hms;
                    my $i = int($s); return timelocal($i, $mi, $h, $d, $mon{$m}, $year) + ($s - $i); }
            # Call ids restart with the executor: pair each end with the
            # open call of that id.
            if (/^(\w{3}) +(\d+) ([\d:.]+) \S+ pacemaker-execd .*executing - rsc:(\S+) action:migrate_to call_id:(\d+)/) {
                $open{$5} = [t($1, $2, $3), $4];
            } elsif (/^(\w{3}) +(\d+) ([\d:.]+) \S+ pacemaker-execd .* (\S+) migrate_to \(call (\d+), PID \d+\) exited with status (\d+)/) {
                my $o = delete $open{$5} or next;
                push @done, sprintf("%.3f %.3f %s %s %s", $o->[0], t($1, $2, $3), $o->[1], $node, $6) if $o->[0] >= $since;
            }
            END { print "$_\n" for @done;
                  for (values %open) { printf "%.3f - %s %s -\n", $_->[0], $_->[1], $node if $_->[0] >= $since; } }
        ' "$since" "$node" "$log"
    done | sort -n
}

# Test that crm_mon shows no failed operation (no_failed_ops DESC); when it
# does, show each failure and the agents' exit reasons from the nodes' logs
# (Pacemaker keeps no exit reason of a failed migrate_to in the CIB).
no_failed_ops() {
    local failures node
    failures=$(on n1 crm_mon -1 --output-as=xml | grep '<failure ')
    is "$(grep -c '<failure ' <<<"$failures")" 0 "$1"
    [ -n "$failures" ] || return 0
    diag "$failures"
    for node in $(lab_nodes); do
        grep -hE 'ocf-exit-reason|\((vm|health)[^)]*\).*(error|warning):' \
            "$(lab_node_root "$node")/var/log/pacemaker/pacemaker.log" 2>/dev/null |
            tail -n 8 | sed "s/^/# $node: /" >&2
    done
}

# Most migrations that were in flight at the same moment (from migrations).
migrations_max_overlap() {
    migrations "$@" | perl -ane '
        $F[1] = 9e9 if $F[1] eq "-";
        push @e, [$F[0], 1], [$F[1], -1];
        END { for (sort { $a->[0] <=> $b->[0] || $a->[1] <=> $b->[1] } @e) {
                $n += $_->[1]; $max = $n if $n > $max; }
              print $max + 0, "\n"; }'
}
