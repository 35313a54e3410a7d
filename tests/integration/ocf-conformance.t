#!/bin/bash
# ocf:drover:VirtualDomain against resource-agents' own conformance tools,
# on a real QEMU guest in the lab (ocft1, not a Pacemaker resource):
#  1. its meta-data validates with xmllint against ra-api-1.dtd and
#     metadata.rng;
#  2. ocf-tester passes, in n1;
#  3. every case of tests/ocft/VirtualDomain passes under ocft, in n1, the
#     live migrations to n2 and back included;
#  4. no ocft1 domain is left on any node.
# Run: prove -v tests/integration/ocf-conformance.t
# shellcheck disable=SC2001,SC2317  # sed over whole outputs; predicates run by ok
. "$(dirname "$0")/../lab/lib.sh"

AGENT=/usr/lib/ocf/resource.d/drover/VirtualDomain
RA_DIR=/usr/share/resource-agents
OCFT_DIR=$LAB_REPO/tests/ocft
VM=ocft1
# The remote shell on n2 that ocft's @n2 steps go through (tests/ocft/shims/ssh)
export OCFT_REMOTE_PORT=2222

t_start=$(lab_now)
if ! [ -s "$LAB_GUEST_DIR/vmlinuz" ] || ! [ -s "$LAB_GUEST_DIR/initrd.img" ]; then
    "$LAB_HOME/guest/build" --out "$LAB_GUEST_DIR" >/dev/null ||
        BAIL_OUT "cannot build the guest (tests/lab/guest/build)"
fi
lab_start --nodes 2

# diag, one "# " per line
diag_lines() { sed 's/^/# /' >&2 <<<"$1"; }
# no_line LINE TEXT: TEXT has no line that is exactly LINE
no_line() { ! grep -qx -- "$1" <<<"$2"; }

# --- 1. meta-data --------------------------------------------------------------
md=$(on n1 "$AGENT" meta-data)
is "$?" 0 "meta-data exits 0"
# xmllint from the DTD's directory, as ocf-tester runs it: the meta-data's
# DOCTYPE names resource-agents' "ra-api-1.dtd" (OCF 1.0) and declares
# OCF 1.1's additions (reloadable, reload-agent) in its internal subset;
# and OCF 1.1's schema as pcs checks agents with it.  xmllint's exit code
# is 0 only when the document is valid.
for check in "--valid $RA_DIR/ra-api-1.dtd and OCF 1.1's additions" \
    "--relaxng /usr/share/pcs/data/ocf-1.1.rng"; do
    opt=${check%% *} schema=${check#* }
    if [ "$opt" = --valid ]; then
        out=$(cd "$RA_DIR" && xmllint --noout --valid - 2>&1 <<<"$md")
    else
        out=$(xmllint --noout --relaxng "$schema" - 2>&1 <<<"$md")
    fi
    rc=$?
    is "$rc" 0 "meta-data is valid against $schema (xmllint $opt)"
    [ "$rc" -eq 0 ] || diag_lines "$out"
done

# --- the guest -----------------------------------------------------------------
# 128 MiB: the guest's initramfs does not come up in 64.  The serial log is
# in the private /var/log of whichever node runs it.
xml=$(lab_vm_xml "$VM")
mkdir -p "$(lab_vm_dir)"
"$LAB_HOME/guest/domain-xml" --name "$VM" --memory 128 \
    --serial-log "$(lab_vm_serial_log "$VM")" \
    --kernel "$LAB_GUEST_DIR/vmlinuz" --initrd "$LAB_GUEST_DIR/initrd.img" >"$xml"

# --- 2. ocf-tester -----------------------------------------------------------------
# ocf-tester runs meta-data (through `xmllint --valid` too, and as nobody),
# validate-all, monitor and probe while stopped, start, monitor and probe
# while running, notify/promote/demote (absent: optional), stop, monitor,
# start, double start, stop, double stop, monitors in between, then
# migrate_to and migrate_from and reload only to see whether they exist
# (anything but 3 counts as present).  It calls the migrations on the
# stopped VM, so they fail by design, and are given what Pacemaker would
# give them: migrate_to then fails at once ("ocft1 is absent here, not
# running"), migrate_from waits for the domain to arrive until its budget
# runs out (~17 s of ocf-tester's 20 s operation timeout: most of this
# part's time).  The real migrations are ocft's cases.
t0=$(lab_now)
out=$(timeout 180 "$LAB" exec n1 ocf-tester -n "$VM" \
    -o config="$xml" -o hypervisor=qemu:///system -o force_stop=true \
    -o migration_transport=tcp -o migrateuri=tcp://%n-lm1 \
    -o CRM_meta_migrate_source=n1 -o CRM_meta_migrate_target=n2 \
    "$AGENT" 2>&1)
rc=$?
t_tester=$(lab_since "$t0")
is "$rc" 0 "ocf-tester exits 0"
ok "ocf-tester: '$AGENT passed all tests'" grep -qx "$AGENT passed all tests" <<<"$out"
ok "ocf-tester reports no failed check" no_line '\* rc=.*' "$out"
[ "$rc" -eq 0 ] || diag_lines "$out"
sed 's/^/# ocf-tester: /' <<<"$out"
doms=$(on n1 virsh -q list --name)
is "$?" 0 "n1: virsh list answers"
ok "ocf-tester left $VM stopped (running: ${doms:-none})" no_line "$VM" "$doms"

# --- validate-all checks drover's cluster configuration as it concerns the VM ------
on n1 crm_attribute --type crm_config --name drover-migration-networks \
    --update "lm1=10.20.1.0/24 lm2=10.20.2.0/24"
validate_order() { # ORDER: validate-all's exit code and exit reason
    on n1 env OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=vmx \
        OCF_RESKEY_config="$xml" OCF_RESKEY_migration_networks="$1" \
        "$AGENT" validate-all 2>&1 | grep -o 'ocf-exit-reason:.*'
    echo "rc=${PIPESTATUS[0]}"
}
out=$(validate_order "lm2 lm9")
ok "validate-all: an unknown network in migration_networks is OCF_ERR_CONFIGURED" \
    grep -qx "rc=6" <<<"$out"
ok "...with a reason naming it: $(head -n 1 <<<"$out")" grep -q \
    "^ocf-exit-reason:migration_networks 'lm2 lm9': Unknown migration network 'lm9'; the cluster has: lm1, lm2" <<<"$out"
is "$(validate_order "lm2 lm1")" "rc=0" "validate-all: a valid order passes"
on n1 crm_attribute --type crm_config --name drover-migration-networks --delete

# --- 3. ocft -------------------------------------------------------------------------
# A remote shell for the @n2 steps: unauthenticated root on n2's addresses,
# which only the lab's own bridges reach (like libvirtd's auth_tcp=none)
on n2 setsid -f busybox nc -ll -p "$OCFT_REMOTE_PORT" -e /bin/bash \
    </dev/null >/dev/null 2>&1
ok "a remote shell for ocft answers on n2" \
    wait_for --timeout 10 on n1 busybox nc -w 1 n2 "$OCFT_REMOTE_PORT" </dev/null
t0=$(lab_now)
# a bound on a hang, not on speed: 30 cases take 2-3 minutes here alone,
# 5 with another lab beside this one
out=$(timeout 600 "$LAB" exec n1 "$OCFT_DIR/run" --config "$xml" 2>&1)
rc=$?
t_ocft=$(lab_since "$t0")
out=$(sed 's/\x1b\[[0-9;]*m//g' <<<"$out")
is "$rc" 0 "ocft test exits 0"
# One result per case: its line "VirtualDomain: CASE - " and what follows,
# up to the next case, has an "OK." per checked step and no failure.
want=$(grep -c '^CASE "' "$OCFT_DIR/VirtualDomain")
cases=0
failed=0
case_name=
case_text=
end_case() {
    [ -n "$case_name" ] || return 0
    cases=$((cases + 1))
    if grep -q 'OK\.' <<<"$case_text" && ! grep -Eq 'FAILED|ERROR' <<<"$case_text"; then
        pass "ocft: $case_name"
    else
        fail "ocft: $case_name"
        diag_lines "$case_text"
        failed=$((failed + 1))
    fi
}
while IFS= read -r line; do
    if [[ $line == "VirtualDomain: "* ]]; then
        end_case
        case_name=${line#VirtualDomain: }
        case_name=${case_name%% - *}
        case_text=$line
    else
        case_text+=$'\n'$line
    fi
done <<<"$out"
end_case
is "$cases" "$want" "ocft ran all $want cases of tests/ocft/VirtualDomain"
# All of it when the failure is not a case's
if [ "$cases" -ne "$want" ] || { [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; }; then
    diag_lines "$out"
fi

# --- 4. nothing left -------------------------------------------------------------------
for node in n1 n2; do
    doms=$(on "$node" virsh -q list --all --name)
    is "$?" 0 "$node: virsh list --all answers"
    ok "$node: no $VM domain left (virsh list --all: ${doms:-none})" \
        no_line "$VM" "$doms"
done

diag "ocf-conformance: ocf-tester ${t_tester} s, ocft ${t_ocft} s ($cases cases)"
lab_stop
diag "ocf-conformance: total $(lab_since "$t_start") s"
done_testing
