/*
 * What a domain's XML names (drover/domxml.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/vfs.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include <drover/autoptr.h>
#include <drover/deadline.h>
#include <drover/domxml.h>
#include <drover/rc.h>

#include "drover_private.h"

/* A domain's XML; NULL if not XML */
static xmlDoc *
read_domain(const char *xml)
{
    return drover__xml_read(xml, strlen(xml), "domain.xml");
}

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
            && !g_ptr_array_find_with_equal_func(found, v, g_str_equal, NULL)) {
            g_ptr_array_add(found, g_steal_pointer(&v));
        }
    }
    return found;
}

void
drover_domxml_machine(const char *xml, char **arch, char **machine)
{
    g_autoptr(xmlDoc) doc = read_domain(xml);
    g_autoptr(xmlXPathContext) ctx = NULL;
    g_autoptr(GPtrArray) a = NULL;
    g_autoptr(GPtrArray) m = NULL;

    *arch = NULL;
    *machine = NULL;
    if (doc == NULL) {
        return;
    }
    ctx = xmlXPathNewContext(doc);
    a = values(ctx, "/domain/os/type/@arch");
    m = values(ctx, "/domain/os/type/@machine");
    *arch = (a->len == 1) ? g_strdup(g_ptr_array_index(a, 0)) : NULL;
    *machine = (m->len == 1) ? g_strdup(g_ptr_array_index(m, 0)) : NULL;
}

void
drover_domxml_cpu(const char *xml, char **cpu, char **virttype)
{
    g_autoptr(xmlDoc) doc = read_domain(xml);
    g_autoptr(xmlXPathContext) ctx = NULL;
    g_autoptr(xmlXPathObject) found = NULL;
    g_autoptr(xmlBuffer) buf = NULL;
    g_autofree char *mode = NULL;
    g_autofree char *check = NULL;
    g_autofree char *type = NULL;
    xmlNode *node = NULL;

    *cpu = NULL;
    *virttype = NULL;
    if (doc == NULL) {
        return;
    }
    ctx = xmlXPathNewContext(doc);
    found = xmlXPathEvalExpression(BAD_CAST "/domain/cpu[model]", ctx);
    if (found == NULL || found->nodesetval == NULL
        || found->nodesetval->nodeNr != 1) {
        return;
    }
    node = found->nodesetval->nodeTab[0];
    mode = (char *) xmlGetProp(node, BAD_CAST "mode");
    check = (char *) xmlGetProp(node, BAD_CAST "check");
    if ((mode != NULL && strcmp(mode, "custom") != 0
         && strcmp(mode, "host-model") != 0)
        || g_strcmp0(check, "none") == 0) {
        return; /* check='none': the admin asked libvirt not to compare */
    }
    buf = xmlBufferCreate();
    if (xmlNodeDump(buf, doc, node, 0, 0) < 0) {
        return;
    }
    type = (char *) xmlGetProp(xmlDocGetRootElement(doc), BAD_CAST "type");
    *cpu = g_strdup((const char *) xmlBufferContent(buf));
    *virttype = g_strdup(type);
}

int
drover_domxml_refs(const char *xml, drover_domxml_refs_t *refs, GString *reason)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlXPathContext) ctx = NULL;
    xmlNode *root = NULL;

    memset(refs, 0, sizeof(*refs));
    doc = read_domain(xml);
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
    refs->files = values(ctx, "/domain/devices/disk[@type='file' and "
                              "not(readonly)]/source/@file");
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

    return g_strdup_printf(
        "%.*s.qcow2",
        (int) ((dot != NULL) ? (size_t) (dot - config) : strlen(config)),
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

/* The first node of \p expr, or NULL */
static xmlNode *
first(xmlXPathContext *ctx, const char *expr, xmlNode *from)
{
    g_autoptr(xmlXPathObject) result = NULL;

    ctx->node = from;
    result = xmlXPathEvalExpression(BAD_CAST expr, ctx);
    return (result != NULL && result->nodesetval != NULL
            && result->nodesetval->nodeNr > 0)
               ? result->nodesetval->nodeTab[0]
               : NULL;
}

/* A PCI address as lspci shows it: 0000:03:00.1 */
static char *
pci_address(xmlXPathContext *ctx, xmlNode *dev)
{
    xmlNode *a = first(ctx, "source/address", dev);

    if (a == NULL) {
        return g_strdup("?");
    }
    return g_strdup_printf(
        "%s:%s:%s.%s",
        drover__xml_attr(a, "domain") ? drover__xml_attr(a, "domain") + 2
                                      : "0000",
        drover__xml_attr(a, "bus") ? drover__xml_attr(a, "bus") + 2 : "?",
        drover__xml_attr(a, "slot") ? drover__xml_attr(a, "slot") + 2 : "?",
        drover__xml_attr(a, "function") ? drover__xml_attr(a, "function") + 2
                                        : "?");
}

char *
drover_domxml_blocker(const char *xml)
{
    g_autoptr(xmlDoc) doc = read_domain(xml);
    g_autoptr(xmlXPathContext) ctx = NULL;
    g_autoptr(xmlXPathObject) devs = NULL;
    xmlNodeSet *set = NULL;

    if (doc == NULL || xmlDocGetRootElement(doc) == NULL) {
        return NULL;
    }
    ctx = xmlXPathNewContext(doc);
    devs = xmlXPathEvalExpression(BAD_CAST
                                  "/domain/devices/hostdev | "
                                  "/domain/devices/interface[@type='hostdev']",
                                  ctx);
    set = (devs != NULL) ? devs->nodesetval : NULL;
    for (int i = 0; set != NULL && i < set->nodeNr; i++) {
        xmlNode *dev = set->nodeTab[i];
        const char *type = drover__xml_attr(dev, "type");

        if (xmlStrEqual(dev->name, BAD_CAST "interface")) {
            xmlNode *team = first(ctx, "teaming[@type='transient']", dev);
            const char *partner =
                (team != NULL) ? drover__xml_attr(team, "persistent") : NULL;
            g_autofree char *expr = NULL;
            g_autofree char *where = pci_address(ctx, dev);

            if (partner != NULL) {
                expr = g_strdup_printf(
                    "/domain/devices/interface[alias/@name='%s' and "
                    "teaming/@type='persistent']",
                    partner);
                if (strchr(partner, '\'') == NULL
                    && first(ctx, expr, NULL) != NULL) {
                    continue; /* unplugged for the move, the team carries */
                }
            }
            return g_strdup_printf(
                "an SR-IOV NIC (host PCI device %s) that is not the "
                "transient half of a failover team (<teaming>)",
                where);
        }
        if (g_strcmp0(type, "usb") == 0) {
            continue; /* libvirt re-attaches USB devices on the target */
        }
        if (g_strcmp0(type, "pci") == 0) {
            g_autofree char *where = pci_address(ctx, dev);

            return g_strdup_printf("host PCI device %s passed through", where);
        }
        if (g_strcmp0(type, "mdev") == 0) {
            xmlNode *a = first(ctx, "source/address", dev);

            return g_strdup_printf(
                "mediated device %s (vGPU) passed through",
                (a != NULL && drover__xml_attr(a, "uuid") != NULL)
                    ? drover__xml_attr(a, "uuid")
                    : "?");
        }
        return g_strdup_printf("host %s device passed through",
                               (type != NULL) ? type : "(untyped)");
    }
    return NULL;
}

/* statfs(2) magic numbers of file systems only their host sees; any
 * other (NFS, GFS2, CephFS...) may be shared */
static const struct {
    unsigned long magic;
    const char *name;
} local_fs[] = {
    { 0xef53, "ext4" },      { 0x58465342, "xfs" },     { 0x9123683e, "btrfs" },
    { 0x01021994, "tmpfs" }, { 0x794c7630, "overlay" }, { 0x2fc12fc1, "zfs" },
    { 0xf2f52010, "f2fs" },
};

typedef struct {
    char *path;
    unsigned long magic;
} statfs_job_t;

static void
statfs_job_free(gpointer data)
{
    statfs_job_t *job = data;

    g_free(job->path);
    g_free(job);
}

static int
statfs_job(void *data)
{
    statfs_job_t *job = data;
    struct statfs st;

    if (statfs(job->path, &st) != 0) {
        return errno;
    }
    job->magic = (unsigned long) st.f_type;
    return 0;
}

char *
drover_domxml_local_file(const GPtrArray *files, gint64 deadline)
{
    for (guint i = 0; files != NULL && i < files->len; i++) {
        statfs_job_t *job = g_new0(statfs_job_t, 1);
        const char *type = NULL;
        int rc;

        job->path = g_strdup(g_ptr_array_index(files, i));
        rc = drover_deadline_run(deadline, statfs_job, job, statfs_job_free);
        if (rc == DROVER_RC_TIMEOUT) {
            continue; /* the worker owns job: a hung NFS is shared */
        }
        for (size_t k = 0; k < G_N_ELEMENTS(local_fs); k++) {
            if (job->magic == local_fs[k].magic) {
                type = local_fs[k].name;
            }
        }
        if (rc == 0 && type != NULL) {
            char *why = g_strdup_printf("%s is on %s", job->path, type);

            statfs_job_free(job);
            return why;
        }
        statfs_job_free(job);
    }
    return NULL;
}
