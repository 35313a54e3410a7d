#!/bin/bash
# The .deb from `make deb`, installed into this system as an admin would
# (dpkg -i), seen by Pacemaker (crm_resource lists the agents and shows
# their meta-data), then purged: nothing of it is left.  It is the only
# package: libdrover is built into the agents and the command
# (docs/design.md).
#   tests/packaging/install.t BUILD_DIR     (as root)
# shellcheck disable=SC2317,SC2016  # predicates called through ok/eval
. "$(dirname "$0")/../lab/lib.sh"
trap - EXIT # no lab here

build=${1:-build}
debs=("$build"/deb/drover_*.deb)
packages=(drover)
for deb in "${debs[@]}"; do
    [ -f "$deb" ] || BAIL_OUT "no $deb: run make deb first"
done
for pkg in "${packages[@]}"; do
    dpkg-query -W "$pkg" >/dev/null 2>&1 && BAIL_OUT "$pkg is installed already"
done
[ -e /usr/lib/ocf/resource.d/drover ] && BAIL_OUT "/usr/lib/ocf/resource.d/drover exists already"

purge() { dpkg --purge "${packages[@]}" >/dev/null 2>&1; }
trap purge EXIT

# the rpm is one package too, and asks for no other of drover's
rpms=("$build"/rpm/RPMS/*/drover-[0-9]*.rpm)
[ -f "${rpms[0]}" ] || BAIL_OUT "no ${rpms[0]}: run make rpm first"
is "$(rpm -qpR "${rpms[@]}" 2>/dev/null | grep -c '^drover')" "0" \
    "the rpm requires no other drover package ($(basename "${rpms[0]}"))"
is "$(find "$build/deb" -maxdepth 1 -name '*.deb' ! -name '*-dbgsym_*' -printf '%f\n' | sed 's/_.*//' | xargs)" "drover" \
    "make deb builds one package, drover"
ok "dpkg -i the package" dpkg -i "${debs[@]}"
agents=$(crm_resource --list-agents ocf:drover 2>&1)
is "$(xargs <<<"$agents")" "NodeHealth VirtualDomain" "crm_resource --list-agents ocf:drover"
ok "crm_resource --show-metadata ocf:drover:VirtualDomain: valid OCF meta-data" \
    eval 'crm_resource --show-metadata ocf:drover:VirtualDomain | xmllint --noout -'
ok "...naming its parameters" \
    eval 'crm_resource --show-metadata ocf:drover:VirtualDomain | grep -q "<parameter name=\"migration_networks\""'
ok "drover version runs from /usr/sbin" /usr/sbin/drover version
# the VM agent does not link the health checks' own libraries
# (lib/config_here.c; libvirt itself may still bring GnuTLS)
is "$(readelf -d /usr/lib/ocf/resource.d/drover/VirtualDomain | grep NEEDED | grep -o 'lib\(ldap\|lber\|gnutls\)[^]]*' | xargs)" "" \
    "readelf -d VirtualDomain: needs neither libldap nor GnuTLS"
ok "man drover-NodeHealth finds the installed page" eval 'man -w drover-NodeHealth | grep -q "^/usr/share/man/man7/"'

ok "dpkg --purge" dpkg --purge "${packages[@]}"
trap - EXIT
left=""
for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q "installed" && left+=" $pkg"
done
is "$left" "" "no package left"
ok "no agent left" eval '[ ! -e /usr/lib/ocf/resource.d/drover ]'
ok "nothing of drover left in /usr" \
    eval '[ -z "$(find /usr/sbin/drover /usr/share/drover /usr/share/man/man7/drover-* /usr/share/man/man8/drover.8* 2>/dev/null)" ]'
is "$(crm_resource --list-agents ocf:drover 2>/dev/null | xargs)" "" "crm_resource lists no ocf:drover agent"
done_testing
