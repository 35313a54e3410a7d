#!/bin/bash
# Health on the lab, the way an admin and monitoring see it: drover health
# on a node and --node/--all from another (what NodeHealth published), the
# node health attribute #health-drover in the CIB, the VM agent's gate
# before a migration and drover drain's choice of targets.
#   - a SIGSTOPped libvirtd on n2: critical within the deadline, n2 red
#     within a monitor, a drain of n1 avoids n2 and says why; SIGCONT:
#     green again
#   - n3's name on 127.0.1.1: critical, and a migration to n3 is refused
#     with a reason naming n3 and the check
#   - an MTU mismatch on lm1 between n1 and n2: reported for that network
#     and pair (a warning: migrations use another network)
#   - libvirt TLS certificates (lab fault tls): an expired one, one for
#     another name, one that expires soon, a missing one
#   - a real OpenLDAP slapd on n1 with an entry per node: n3's deleted ->
#     reported for n3 only
#   - the SSH host keys of the peers, in a known_hosts file
#   - a standby node: --node says so, with the colour kept from its last
#     check
#   - the Nagios output follows the plugin guidelines (regex over real
#     runs), the Prometheus output passes promtool check metrics
# shellcheck disable=SC2317,SC2016  # predicates called through ok/eval
. "$(dirname "$0")/../lab/lib.sh"

export LAB_VM_AGENT=ocf:drover:VirtualDomain
lab_start --nodes 3 --vms 2
drover() { local node=$1; shift; on "$node" "$LAB_REPO/build/drover" "$@"; }
health_of() {
    on n1 crm_attribute --node "$1" --name '#health-drover' --lifetime reboot \
        --query --quiet 2>/dev/null
}
health_is() { [ "$(health_of "$1")" = "$2" ]; }
# exit_is CODE DESC, right after out=$(...): the exit status, and on a
# mismatch what the command printed
exit_is() {
    local rc=$?
    is "$rc" "$1" "$2"
    [ "$rc" = "$1" ] || diag "$out"
}
took_since() { awk -v a="$1" -v b="$(lab_now)" 'BEGIN { printf "%.1f", b - a }'; }

on n1 crm_attribute --type crm_config --name drover-migration-networks \
    --update "lm1=10.20.1.0/24 lm2=10.20.2.0/24"
nodehealth_clone health_timeout=2
for node in n1 n2 n3; do
    ok "NodeHealth: $node is green" wait_for --timeout 60 health_is "$node" green
done
ok "the VMs gather on n1" gather_vms_on n1 120

# --- a healthy node ----------------------------------------------------------------
out=$(drover n2 health)
exit_is 0 "drover health on a healthy n2: exit 0"
diag "$out"
ok "...every check ok" eval '[ -z "$(tail -n +2 <<<"$out" | grep -v "^  ok ")" ]'
is "$(grep -c '^  ok  *network  *lm[12] n[13] ' <<<"$out")" 4 \
    "...lm1 and lm2 checked towards n1 and n3"
t0=$(lab_now)
drover n2 health >/dev/null
diag "a full local run on n2 took $(took_since "$t0") s (drover start included)"

out=$(drover n1 health --all --format=prometheus)
ok "drover health --all --format=prometheus: promtool check metrics passes" \
    promtool check metrics <<<"$out"
is "$(grep -c '^drover_health_status{node="n[123]",check="libvirt"' <<<"$out")" 3 \
    "...a libvirt series for each node"

# --- libvirtd stopped (SIGSTOP) on n2: answers nothing, runs on ---------------------
# The deadline is drover's; what entering the node and starting a program
# cost on a loaded machine (another lab beside this one) is not: measured
# just before, with drover's quickest command
t0=$(lab_now)
drover n2 version >/dev/null
start_cost=$(took_since "$t0")
"$LAB" fault libvirtd n2 stop >/dev/null
t_stop=$(lab_now)
out=$(drover n2 health --timeout=4 --format=nagios)
rc=$?
took=$(took_since "$t_stop")
diag "$out"
is "$rc" 2 "libvirtd SIGSTOPped: exit 2 (critical)"
ok "...reported in $took s (deadline 4 s, +10 %, + $start_cost s to start a drover on n2)" \
    awk -v t="$took" -v c="$start_cost" 'BEGIN { exit !(t <= 4.4 + c) }'
ok "...Nagios: one status line, the problem first, perfdata after |" \
    grep -qE "^DROVER CRITICAL - libvirt qemu:///system: not answering within [0-9]+ ms \| libvirt=[0-9]+ms;;;0 corosync=[0-9]+ms;;;0 cib=[0-9]+ms;;;0 controller=[0-9]+ms;;;0 attrd=[0-9]+ms;;;0 name=[0-9]+ms;;;0( '[^'=]+'=[0-9]+ms;;;0)+$" \
    <<<"$(head -1 <<<"$out")"
ok "...then one line per check" grep -q '^libvirt qemu:///system: critical: not answering' <<<"$out"

ok "n2's #health-drover turns red" wait_for --timeout 15 health_is n2 red
diag "red $(took_since "$t_stop") s after SIGSTOP (monitor every 3 s, checks within 2 s)"
ok "...with the reason in drover-health-reason" \
    eval 'on n1 crm_attribute --node n2 --name drover-health-reason --lifetime reboot --query --quiet |
        grep -q "^libvirt qemu:///system: not answering within"'
out=$(drover n1 health --node n2)
exit_is 2 "drover health --node n2 on n1 (NodeHealth's report): exit 2"
diag "$out"
ok "...libvirt not answering" grep -q "^  critical  libvirt .*not answering within" <<<"$out"

plan=$(drover n1 drain n1 --dry-run)
diag "$plan"
ok "drain of n1, dry run: no VM goes to n2" eval '! grep -q -- "-> n2 " <<<"$plan"'
ok "...and it says why" \
    grep -q "^  not a target: n2, health red (#health-drover=red: libvirt qemu:///system: not answering" <<<"$plan"
ok "drover drain n1 --wait" drover n1 drain n1 --wait --timeout=300
is "$(vm_node vm1) $(vm_node vm2)" "n3 n3" "...both VMs went to n3, none to n2"

"$LAB" fault libvirtd n2 cont >/dev/null
ok "SIGCONT: n2 is green again" wait_for --timeout 15 health_is n2 green
out=$(drover n2 health --format=nagios)
exit_is 0 "...drover health on n2: exit 0"
ok "...DROVER OK" grep -qE '^DROVER OK - [0-9]+ checks ok \|' <<<"$out"
ok "drover undrain n1 --failback" drover n1 undrain n1 --failback --timeout=300
is "$(vm_node vm1) $(vm_node vm2)" "n1 n1" "...both VMs back on n1"

# --- n3's name on the loopback address (the Debian /etc/hosts trap) ----------------
"$LAB" fault hosts n3 loopback >/dev/null
out=$(drover n3 health --output-as=xml)
exit_is 2 "n3's name on 127.0.1.1: exit 2"
ok "...the XML validates" xmllint --noout --relaxng "$LAB_REPO/schemas/drover-output.rng" - <<<"$out"
ok "...the name check says loopback" \
    grep -q 'name="name" subject="n3" status="critical" reason="resolves to the loopback address 127.0.1.1' <<<"$out"
ok "n3's #health-drover turns red" wait_for --timeout 15 health_is n3 red

refused() {
    grep -q "ocf-exit-reason:Not migrating vm1: n3 is red: #health-drover=red: name n3: resolves to the loopback address 127.0.1.1" \
        "$(lab_node_root n1)/var/log/pacemaker/pacemaker.log"
}
# node-health-strategy is not set here: Pacemaker itself chooses n3, and
# the agent's gate is what stops the migration
on n1 crm_resource --move -r vm1 -N n3 --quiet
ok "a migration of vm1 to n3 is refused, naming n3 and the check" wait_for --timeout 60 refused
on n1 crm_resource --wait --timeout=120s
is "$(vm_running_nodes vm1 | wc -w)" 1 "...vm1 runs on exactly one node"
on n1 crm_resource --clear -r vm1 --quiet
"$LAB" fault hosts n3 reset >/dev/null
ok "reset: n3 is green again" wait_for --timeout 15 health_is n3 green
on n1 crm_resource --cleanup -r vm1 --quiet >/dev/null

# --- an MTU mismatch on lm1 between n1 and n2 ---------------------------------------
"$LAB" fault mtu n2 lm1 9000 >/dev/null
mismatch_seen() {
    drover n1 health --node n1 --format=nagios |
        grep -q "^network lm1 n2: warning: MTU mismatch: 1500 here, 9000 on n2"
}
ok "n1 reports the lm1 MTU mismatch with n2" wait_for --timeout 20 mismatch_seen
out=$(drover n1 health --all --format=nagios)
diag "$(head -1 <<<"$out")"
ok "...and n2 with n1" grep -q "^n2: network lm1 n1: warning: MTU mismatch: 9000 here, 1500 on n1" <<<"$out"
ok "...lm2 between them is ok" grep -q "^n1: network lm2 n2: ok: " <<<"$out"
is "$(health_of n1) $(health_of n2)" "yellow yellow" "...a warning: n1 and n2 are yellow (lm2 still carries migrations)"
"$LAB" fault mtu n2 lm1 1500 >/dev/null
ok "MTU 1500 again: n2 green" wait_for --timeout 20 health_is n2 green

# --- libvirt's TLS certificates (lab fault tls: certtool, a lab CA) ------------------
"$LAB" fault tls all good >/dev/null
on n1 crm_attribute --type crm_config --name drover-health-tls --update on
on n1 crm_attribute --type crm_config --name drover-health-tls-dir --update /etc/libvirt/pki
out=$(drover n2 health)
exit_is 0 "TLS certificates in place: n2 is ok"
ok "...its server and client certificates checked" \
    eval '[ "$(grep -c "^  ok  *tls  *.*valid until .*, for n2, from /etc/libvirt/pki/cacert.pem" <<<"$out")" = 2 ]'

"$LAB" fault tls n2 expired >/dev/null
out=$(drover n2 health --format=nagios)
exit_is 2 "an expired server certificate on n2: exit 2"
ok "...reported" grep -q "^DROVER CRITICAL - tls /etc/libvirt/pki/servercert.pem: expired on 2021-01-01" <<<"$out"
ok "...n2's #health-drover turns red" wait_for --timeout 15 health_is n2 red

"$LAB" fault tls n2 wrong-name >/dev/null
out=$(drover n2 health --format=nagios)
exit_is 2 "a server certificate for another name on n2: exit 2"
ok "...reported" grep -q "^DROVER CRITICAL - tls /etc/libvirt/pki/servercert.pem: issued for not-n2, not for n2" <<<"$out"

"$LAB" fault tls n2 expires 10 >/dev/null
out=$(drover n2 health --format=nagios)
exit_is 1 "a server certificate that expires in 10 days: exit 1 (warning at 30)"
ok "...reported" grep -qE "^DROVER WARNING - tls /etc/libvirt/pki/servercert.pem: expires on [0-9-]+ [0-9:]+ UTC, in (9|10) day" <<<"$out"

"$LAB" fault tls n2 missing >/dev/null
out=$(drover n2 health --format=nagios)
exit_is 2 "no server certificate on n2: exit 2"
ok "...reported" grep -q "^DROVER CRITICAL - tls /etc/libvirt/pki/servercert.pem: " <<<"$out"
diag "$(head -n 1 <<<"$out")"

"$LAB" fault tls n2 good >/dev/null
ok "the good certificate back: n2 is green" wait_for --timeout 15 health_is n2 green

# --- the nodes' entries in a directory (a real slapd, on n1) --------------------------
ldap=$LAB_DIR/ldap
rm -rf "$ldap" # a directory of an earlier run would refuse the entries
mkdir -p "$ldap/db"
cat >"$ldap/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile $ldap/slapd.pid
database mdb
suffix "dc=lab"
rootdn "cn=admin,dc=lab"
rootpw secret
directory $ldap/db
EOF
{
    printf 'dn: dc=lab\nobjectClass: dcObject\nobjectClass: organization\ndc: lab\no: lab\n\n'
    printf 'dn: ou=hosts,dc=lab\nobjectClass: organizationalUnit\nou: hosts\n\n'
    for i in 1 2 3; do
        printf 'dn: cn=n%s,ou=hosts,dc=lab\nobjectClass: device\nobjectClass: ipHost\ncn: n%s\nipHostNumber: 10.20.0.1%s\n\n' "$i" "$i" "$i"
    done
} >"$ldap/data.ldif"
slapadd -q -f "$ldap/slapd.conf" -l "$ldap/data.ldif"
on n1 slapd -f "$ldap/slapd.conf" -h ldap://10.20.0.11:3389/
ldap_up() { on n1 ldapsearch -x -H ldap://10.20.0.11:3389 -b ou=hosts,dc=lab -s base >/dev/null 2>&1; }
ok "slapd answers on n1" wait_for --timeout 20 ldap_up
# the URI last: the check is off until it is set, and every node's copy of
# the CIB applies the changes in order
on n1 crm_attribute --type crm_config --name drover-health-ldap-base --update ou=hosts,dc=lab
on n1 crm_attribute --type crm_config --name drover-health-ldap-expect --update "objectClass=ipHost ipHostNumber"
on n1 crm_attribute --type crm_config --name drover-health-ldap-uri --update ldap://10.20.0.11:3389
uri_seen() { on n3 crm_attribute --type crm_config --name drover-health-ldap-uri --query --quiet >/dev/null 2>&1; }
wait_for --timeout 10 uri_seen
out=$(drover n3 health)
exit_is 0 "every node has its entry: n3 is ok"
ok "...the directory checked" grep -q "^  ok  *ldap  *ldap://10.20.0.11:3389  *entry cn=n3,ou=hosts,dc=lab" <<<"$out"
on n1 ldapdelete -x -H ldap://10.20.0.11:3389 -D cn=admin,dc=lab -w secret cn=n3,ou=hosts,dc=lab
ok "n3's entry deleted: n3 turns red" wait_for --timeout 15 health_is n3 red
# the others' reports include the directory from their next monitor on
others_ldap_ok() {
    out=$(drover n1 health --all --format=nagios)
    [ "$(grep -c "^n[12]: ldap .*: ok: entry cn=n[12],ou=hosts,dc=lab" <<<"$out")" = 2 ]
}
ok "...n1 and n2 find their entries" wait_for --timeout 15 others_ldap_ok
diag "$(head -1 <<<"$out")"
ok "...n3 is reported, and only n3" \
    eval '[ "$(grep -c "^n[123]: ldap .*: critical: " <<<"$out")" = 1 ] &&
        grep -q "^n3: ldap ldap://10.20.0.11:3389: critical: no entry (cn=n3) under ou=hosts,dc=lab" <<<"$out"'
is "$(health_of n1) $(health_of n2)" "green green" "...n1 and n2 stay green"
on n1 crm_attribute --type crm_config --name drover-health-ldap-uri --delete

# --- the peers' SSH host keys (for migration_transport=ssh) -------------------------
key="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4"
for node in n1 n2 n3; do
    printf 'n1 %s\nn2 %s\n' "$key" "$key" >"$(lab_node_root "$node")/etc/libvirt/pki/known_hosts"
done
on n1 crm_attribute --type crm_config --name drover-health-ssh-known-hosts --update /etc/libvirt/pki/known_hosts
on n1 crm_attribute --type crm_config --name drover-health-ssh --update on
out=$(drover n1 health --format=nagios)
exit_is 1 "n3's host key unknown on n1: exit 1 (a warning)"
ok "...reported for n3" grep -q "^DROVER WARNING - ssh n3: no host key in /etc/libvirt/pki/known_hosts: migrations over ssh to n3 fail" <<<"$out"
ok "...n2's is known" grep -q "^ssh n2: ok: host key known" <<<"$out"
on n1 crm_attribute --type crm_config --name drover-health-ssh --update off

# --- a standby node: its NodeHealth stops, --node says so ---------------------------
on n1 crm_attribute --node n3 --name standby --update on
no_report() { ! on n1 attrd_updater --query --node n3 --name drover-health 2>/dev/null | grep -q 'value="{'; }
ok "n3 in standby: its report is withdrawn" wait_for --timeout 30 no_report
out=$(drover n1 health --node n3 --format=nagios)
exit_is 3 "drover health --node n3: exit 3 (unknown: nothing checks it)"
ok "...saying it is in standby, the colour kept and how to check it" \
    grep -qE "^DROVER UNKNOWN - .*n3 is in standby, where its NodeHealth does not run \(#health-drover=(green|yellow|red), from its last check\); .drover health. on n3 checks it now" <<<"$out"
diag "$(head -n 1 <<<"$out")"
on n1 crm_attribute --node n3 --name standby --delete

no_failed_ops "crm_mon shows no failed operation (the refused one cleaned up)"
lab_stop
done_testing
