#!/bin/bash
# drover health on the lab: a healthy node is ok; a SIGSTOPped libvirtd is
# critical within the deadline (never waited for) and ok again after
# SIGCONT; a node whose name resolves to 127.0.1.1 is critical with that
# reason; the Nagios output follows the plugin guidelines.
# shellcheck disable=SC2317,SC2016  # predicates called through ok/eval
. "$(dirname "$0")/../lab/lib.sh"

lab_start --nodes 3
drover() { local node=$1; shift; on "$node" "$LAB_REPO/build/drover" "$@"; }

out=$(drover n2 health)
is "$?" 0 "drover health on a healthy n2: exit 0"
diag "$out"
ok "...every check ok" eval '[ "$(grep -c "^  ok " <<<"$out")" = 4 ]'

# --- libvirtd stopped (SIGSTOP): answers nothing, runs on -----------------------
"$LAB" fault libvirtd n2 stop >/dev/null
t0=$(lab_now)
out=$(drover n2 health --timeout=4 --format=nagios)
rc=$?
took=$(awk -v a="$t0" -v b="$(lab_now)" 'BEGIN { printf "%.1f", b - a }')
diag "$out"
is "$rc" 2 "libvirtd SIGSTOPped: exit 2 (critical)"
ok "...libvirt not answering, reported in $took s (its share of 4 s: 1 s)" \
    awk -v t="$took" 'BEGIN { exit !(t < 2.5) }'
ok "...Nagios: one status line, problems first, perfdata after |" \
    grep -qE '^DROVER CRITICAL - libvirt qemu:///system: not answering within [0-9]+ ms \| libvirt=[0-9]+ms;;;0 corosync=[0-9]+ms;;;0 cib=[0-9]+ms;;;0 name=[0-9]+ms;;;0$' \
    <<<"$(head -1 <<<"$out")"
"$LAB" fault libvirtd n2 cont >/dev/null
out=$(drover n2 health --format=nagios)
is "$?" 0 "SIGCONT: exit 0 again"
ok "...DROVER OK" grep -q '^DROVER OK - 4 checks ok |' <<<"$out"

# --- n3's name on the loopback address (the Debian /etc/hosts trap) -------------
"$LAB" fault hosts n3 loopback >/dev/null
out=$(drover n3 health --output-as=xml)
is "$?" 2 "n3's name on 127.0.1.1: exit 2"
ok "...the XML validates" xmllint --noout --relaxng "$LAB_REPO/schemas/drover-output.rng" - <<<"$out"
ok "...the name check says loopback" \
    grep -q 'name="name" subject="n3" status="critical" reason="resolves to the loopback address 127.0.1.1' <<<"$out"
"$LAB" fault hosts n3 reset >/dev/null
ok "reset: n3 is healthy again" drover n3 health

lab_stop
done_testing
