#!/bin/bash
# Cluster-wide migration slots on the lab: plain Pacemaker (crm_standby)
# moves many VMs at once, and the drover agents keep every node's
# outgoing and incoming migrations, and the cluster's total, within their
# limits.  Concurrency is measured from libvirt (each node's running
# migration jobs, sampled), not from what the agents say.
# shellcheck disable=SC2317,SC2016  # predicates called through ok/wait_for/eval
. "$(dirname "$0")/../lab/lib.sh"

export LAB_VM_AGENT=ocf:drover:VirtualDomain
export LAB_VM_FILL=${LAB_VM_FILL:-24} LAB_VM_MEMORY=${LAB_VM_MEMORY:-128}
# slow enough to overlap: each move takes a few seconds
export LAB_VM_PARAMS="migration_speed=12"
vms=8
lab_start --nodes 3 --vms "$vms"

all_vms() { seq -f 'vm%g' 1 "$vms"; }
on_node_count() { vm_table | grep -cE "^vm[0-9]+ Started $1\$"; } # NODE: VMs started there
# shellcheck disable=SC2046  # the VM names split at blanks
all_started_off() { vms_started_off "$1" $(all_vms); } # NODE: every VM started, none on NODE

# Sample each node's libvirt migration jobs: "TIME NODE VM out|in", one
# line per sighting.  A pass over the domains takes a while, so counts per
# pass would add up jobs seen at different moments; instead each VM's
# sightings make one interval that lies within its real job, and intervals
# that overlap did run at the same time.  Sightings of one VM up to 5 s
# apart belong to one job: a pass over 8 domains took 3 s on a loaded
# 2-core machine, and with a 1.5 s gap every sighting was an interval of
# its own that overlapped nothing (no VM migrates twice within 5 s here).
sampler_start() {
    local node
    : >"$LAB_DIR/jobs.log"
    for node in n1 n2 n3; do
        on "$node" bash -c '
            while :; do
                for d in $(virsh -q list --name); do
                    # the source runs a job; the target holds the domain
                    # paused until the switchover
                    case $(virsh domstate --reason "$d" 2>/dev/null) in
                        "paused (migrating)"*) echo "$EPOCHREALTIME $0 $d in" ;;
                        *) virsh domjobinfo "$d" 2>/dev/null |
                               grep -q "^Operation: *Outgoing" &&
                               echo "$EPOCHREALTIME $0 $d out" ;;
                    esac
                done
                sleep 0.2
            done' "$node" >>"$LAB_DIR/jobs.log" 2>/dev/null &
    done
}
sampler_stop() { pkill -f 'virsh domstate --reason' 2>/dev/null; wait 2>/dev/null; }
intervals() { # KIND [NODE]: "START END" of each job seen
    awk -v kind="$1" -v node="${2:-}" '$4 == kind && (node == "" || $2 == node) {
            k = $2 " " $3
            if (k in last && $1 - last[k] <= 5) { last[k] = $1; next }
            if (k in last) print first[k], last[k]
            first[k] = $1; last[k] = $1
        }
        END { for (k in last) print first[k], last[k] }' "$LAB_DIR/jobs.log"
}
at_once() { # the most intervals (stdin) that overlap
    awk '{ print $1, 1; print $2, -1 }' | sort -k1,1n -k2,2nr |
        awk '{ n += $2; if (n > m) m = n } END { print m + 0 }'
}
max_out() { intervals out n1 | at_once; }
max_in() { # the most at once into any one node
    local node m=0 n
    for node in n1 n2 n3; do
        n=$(intervals in "$node" | at_once)
        [ "$n" -gt "$m" ] && m=$n
    done
    echo "$m"
}
max_total() { intervals out | at_once; }

# --- gather the VMs on n1 (this too runs within the default limits) -----------
ok "all $vms VMs gather on n1" gather_vms_on n1 240
is "$(on_node_count n1)" "$vms" "they stay on n1 (stickiness)"

# --- crm_standby n1 with out=2 / in=2 ------------------------------------------
on n1 crm_attribute --node n1 --name drover-max-outgoing --update 2
for node in n2 n3; do
    on n1 crm_attribute --node "$node" --name drover-max-incoming --update 2
done
# the agent's own lines (execd echoes them too)
granted() { on n1 grep "VirtualDomain(vm[0-9]*).*: info: Slot granted: vm[0-9]* n1->" \
    /var/log/pacemaker/pacemaker.log | grep -vc pacemaker-execd; }
granted_before=$(granted)
sampler_start
on n1 crm_attribute --node n1 --name standby --update on
saw_waiting() { on n1 "$LAB_REPO/build/drover" slots | grep -q '^waits'; }
ok "drover slots shows migrations waiting in line" wait_for --timeout 60 saw_waiting
on n1 "$LAB_REPO/build/drover" slots | sed 's/^/# /'
on n1 "$LAB_REPO/build/drover" slots --output-as=xml >"$LAB_DIR/slots.xml"
ok "drover slots --output-as=xml is valid against schemas/drover-output.rng" \
    xmllint --noout --relaxng "$LAB_REPO/schemas/drover-output.rng" "$LAB_DIR/slots.xml"
ok "standby n1: every VM leaves n1" wait_for --timeout 300 all_started_off n1
sampler_stop
diag "migration jobs sampled: $(wc -l <"$LAB_DIR/jobs.log")"
is "$(max_out)" 2 "at no instant more than 2 outgoing from n1 (and 2 did run at once)"
cmp_ok "$(max_in)" -le 2 "at no instant more than 2 incoming to any node ($(max_in))"
cmp_ok "$(max_in)" -ge 1 "...as seen on the targets (domains paused, migrating)"
is "$(($(granted) - granted_before))" "$vms" "n1's agents took $vms slots"
no_failed_ops "crm_mon shows no failed operation"
for vm in $(all_vms); do
    is "$(vm_running_nodes "$vm" | wc -w)" 1 "$vm runs on exactly one node"
done
is "$(on n1 "$LAB_REPO/build/drover" slots)" "No migration holds or waits for a slot" \
    "drover slots: nothing held afterwards"

# --- a cluster-wide limit of 1, two nodes emptied at once ------------------------
# As docs/slots.md recommends, Pacemaker's migration-limit matches the
# nodes' outgoing limit, so that no migrate_to waits longer than its time
on n1 crm_attribute --type crm_config --name migration-limit --update 2
on n1 crm_attribute --type crm_config --name drover-max-migrations --update 1
on n1 crm_attribute --node n1 --name standby --delete
sampler_start
standby_at_once n2 n3
ok "standby n2 and n3: every VM moves to n1" wait_for --timeout 400 all_vms_on n1
sampler_stop
is "$(max_total)" 1 "never two migrations at once anywhere"
no_failed_ops "crm_mon shows no failed operation"
on n1 crm_attribute --node n2 --name standby --delete
on n1 crm_attribute --node n3 --name standby --delete

ok "crm_verify -L: configuration valid" on n1 crm_verify -L
lab_stop
done_testing
