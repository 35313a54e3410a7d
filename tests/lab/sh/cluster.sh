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

# Every resource in crm_mon XML on stdin, one line each: "ID ROLE NODE...",
# the nodes it is active on (none when it is not).  One pass of awk over
# one crm_mon, where an xmllint per question cost a crm_mon per question
# (crm_mon of Pacemaker 3.0 takes 0.2 s of CPU): crm_mon writes one element
# per line.  A clone's instances are one line each, under its member's ID.
lab_xml_rsc_table() {
    awk '
        function attr(name) {
            if (!match($0, " " name "=\"[^\"]*\"")) return ""
            return substr($0, RSTART + length(name) + 3, RLENGTH - length(name) - 4)
        }
        /<resource / {
            id = attr("id"); role = attr("role"); active = attr("active") == "true"; nodes = ""
            if ($0 ~ /\/>[[:space:]]*$/) { print id, role; id = "" }
            next
        }
        id != "" && /<node / { if (active) nodes = nodes " " attr("name"); next }
        id != "" && /<\/resource>/ { print id, role nodes; id = "" }
    '
}

# True when all N nodes are online and quorate, as seen from NODE.
lab_cluster_formed() {
    local node=$1 n=$2 xml
    xml=$(lab_crm_mon_xml "$node") || return 1
    [ "$(lab_xml_online_nodes <<<"$xml" | wc -l)" -eq "$n" ] && lab_xml_quorate <<<"$xml"
}

# True when every VM vm1..vmK is Started on exactly one node.
lab_vms_started() {
    local k=$1 table i
    table=$(lab_crm_mon_xml | lab_xml_rsc_table) || return 1
    for ((i = 1; i <= k; i++)); do
        grep -qE "^vm$i Started [^ ]+\$" <<<"$table" || return 1
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
