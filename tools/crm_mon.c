/*
 * What crm_mon computes: where resources run, which nodes are online —
 * Pacemaker's own view, read from its XML output.
 */
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>

#include <drover/rc.h>
#include <drover/spawn.h>

#include "cli.h"
#include "drover_private.h"

/* crm_mon's view of the cluster, or an exit code after saying why not */
crm_exit_t
cli_crm_mon(cli_t *cli, drover_output_t *out, xmlDoc **doc)
{
    const char *argv[] = { "crm_mon",
                           "--one-shot",
                           "--inactive",
                           "--output-as=xml",
                           "--include=nodes,resources",
                           NULL };
    g_autofree char *stdout_text = NULL;
    g_autofree char *stderr_text = NULL;
    int status = -1;
    int rc = drover_spawn(argv, cli_deadline(cli), &stdout_text, &stderr_text,
                          &status);

    if (rc != 0) {
        return cli_fail(cli, out, drover_rc_to_exit(rc),
                        "Cannot run crm_mon: %s", drover_rc_str(rc));
    }
    *doc = drover__xml_read(stdout_text, strlen(stdout_text), "crm_mon");
    if (status != 0 || *doc == NULL) {
        return cli_fail(
            cli, out, (status > 0) ? (crm_exit_t) status : CRM_EX_PROTOCOL,
            "crm_mon failed: %s",
            g_strstrip(stderr_text)[0] != '\0' ? stderr_text : "no XML status");
    }
    return CRM_EX_OK;
}

/* The first element named \p name below \p node, depth first */
xmlNode *
cli_xml_find(xmlNode *node, const char *name)
{
    for (xmlNode *c = xmlFirstElementChild(node); c != NULL;
         c = xmlNextElementSibling(c)) {
        xmlNode *found =
            xmlStrEqual(c->name, BAD_CAST name) ? c : cli_xml_find(c, name);

        if (found != NULL) {
            return found;
        }
    }
    return NULL;
}

xmlNode *
cli_mon_resource(xmlNode *node, const char *id)
{
    for (xmlNode *c = xmlFirstElementChild(node); c != NULL;
         c = xmlNextElementSibling(c)) {
        xmlNode *found = (xmlStrEqual(c->name, BAD_CAST "resource")
                          && strcmp(drover_output_get(c, "id"), id) == 0)
                             ? c
                             : cli_mon_resource(c, id);

        if (found != NULL) {
            return found;
        }
    }
    return NULL;
}
