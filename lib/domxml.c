/*
 * What a domain's XML names (drover/domxml.h).
 */
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include <drover/autoptr.h>
#include <drover/domxml.h>
#include <drover/rc.h>

#include "drover_private.h"

/* Each value of \p expr (attributes) in \p ctx, once, into \p into */
static GPtrArray *
values(xmlXPathContext *ctx, const char *expr)
{
    GPtrArray *found = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(xmlXPathObject) result =
        xmlXPathEvalExpression(BAD_CAST expr, ctx);
    xmlNodeSet *set = (result != NULL) ? result->nodesetval : NULL;

    for (int i = 0; set != NULL && i < set->nodeNr; i++) {
        g_autofree char *v = (char *) xmlNodeGetContent(set->nodeTab[i]);

        if (v != NULL && *v != '\0'
            && !g_ptr_array_find_with_equal_func(found, v, g_str_equal,
                                                 NULL)) {
            g_ptr_array_add(found, g_steal_pointer(&v));
        }
    }
    return found;
}

int
drover_domxml_refs(const char *xml, drover_domxml_refs_t *refs,
                   GString *reason)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlXPathContext) ctx = NULL;
    xmlNode *root = NULL;

    memset(refs, 0, sizeof(*refs));
    doc = xmlReadMemory(xml, (int) strlen(xml), "domain.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR
                            | XML_PARSE_NOWARNING);
    root = (doc != NULL) ? xmlDocGetRootElement(doc) : NULL;
    if (root == NULL || !xmlStrEqual(root->name, BAD_CAST "domain")) {
        g_string_printf(reason, "not a libvirt domain XML");
        return DROVER_RC_CONFIG;
    }
    ctx = xmlXPathNewContext(doc);
    refs->pools = values(ctx, "/domain/devices/disk/source/@pool");
    refs->networks =
        values(ctx, "/domain/devices/interface[@type='network']/source/"
                    "@network");
    refs->files = values(ctx, "/domain/devices/disk[@type='file']/source/"
                              "@file");
    return 0;
}

void
drover_domxml_refs_clear(drover_domxml_refs_t *refs)
{
    g_clear_pointer(&refs->pools, g_ptr_array_unref);
    g_clear_pointer(&refs->networks, g_ptr_array_unref);
    g_clear_pointer(&refs->files, g_ptr_array_unref);
}

char *
drover_domxml_overlay_path(const char *config)
{
    /* the stock agent's ${OCF_RESKEY_config%%.*}.qcow2, kept so that an
     * image it made is the one found after the switch */
    const char *dot = strchr(config, '.');

    return g_strdup_printf("%.*s.qcow2",
                           (int) ((dot != NULL) ? (size_t) (dot - config)
                                                : strlen(config)),
                           config);
}

const char *
drover_domxml_image_format(const unsigned char *head, size_t len)
{
    static const unsigned char qcow2_magic[] = { 'Q', 'F', 'I', 0xfb };

    return (len >= sizeof(qcow2_magic)
            && memcmp(head, qcow2_magic, sizeof(qcow2_magic)) == 0)
               ? "qcow2"
               : "raw";
}
