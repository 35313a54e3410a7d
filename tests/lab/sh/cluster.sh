# shellcheck shell=bash
# Questions to the cluster, asked from inside a node.

# First node that is up, for cluster-wide questions.
lab_any_node() {
    local node
    for node in $(lab_nodes); do
        lab_node_up "$node" && { echo "$node"; return 0; }
    done
    return 1
}

# crm_mon's XML, from NODE or from any node that is up.
lab_crm_mon_xml() {
    local node=${1:-}
    [ -n "$node" ] || node=$(lab_any_node) || return 1
    lab_node_run "$node" crm_mon -1 --output-as=xml 2>/dev/null
}

# Values of an XPath attribute selection, one per line.
lab_xpath_attrs() {
    xmllint --xpath "$1" - 2>/dev/null | grep -o '"[^"]*"' | tr -d '"'
}

# Names of the nodes Pacemaker sees online (read from stdin: crm_mon XML).
lab_xml_online_nodes() {
    lab_xpath_attrs '//nodes/node[@online="true"]/@name'
}

# True when crm_mon XML on stdin has a DC with quorum.
lab_xml_quorate() {
    [ "$(xmllint --xpath 'string(//summary/current_dc/@with_quorum)' - 2>/dev/null)" = true ]
}

# Nodes a resource is active on, per Pacemaker (crm_mon XML on stdin).
lab_xml_rsc_nodes() {
    lab_xpath_attrs "//resources//resource[@id='$1' and @active='true']/node/@name"
}

# Role of a resource (Started, Stopped, Migrating, ...).
lab_xml_rsc_role() {
    xmllint --xpath "string(//resources//resource[@id='$1']/@role)" - 2>/dev/null
}

# True when all N nodes are online and quorate, as seen from NODE.
lab_cluster_formed() {
    local node=$1 n=$2 xml
    xml=$(lab_crm_mon_xml "$node") || return 1
    [ "$(lab_xml_online_nodes <<<"$xml" | wc -l)" -eq "$n" ] && lab_xml_quorate <<<"$xml"
}

# True when every VM vm1..vmK is Started on exactly one node.
lab_vms_started() {
    local k=$1 xml i
    xml=$(lab_crm_mon_xml) || return 1
    for ((i = 1; i <= k; i++)); do
        [ "$(lab_xml_rsc_role "vm$i" <<<"$xml")" = Started ] || return 1
        [ "$(lab_xml_rsc_nodes "vm$i" <<<"$xml" | wc -l)" -eq 1 ] || return 1
    done
}

# True when the DC has no transition in progress.
lab_cluster_idle() {
    local node
    node=$(lab_any_node) || return 1
    lab_node_run "$node" crmadmin -q -S "$(lab_dc)" 2>&1 | grep -q S_IDLE
}

lab_dc() {
    lab_crm_mon_xml | xmllint --xpath 'string(//summary/current_dc/@name)' - 2>/dev/null
}
