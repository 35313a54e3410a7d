/*
 * What a node runs, and what follows from it (drover/platform.h).
 */
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include <drover/autoptr.h>
#include <drover/domxml.h>
#include <drover/platform.h>
#include <drover/rc.h>
#include <drover/virt.h>

#include "drover_private.h"

#define VERSION(major, minor) ((major) *1000000UL + (minor) *1000UL)

/* What QEMU releases change of the migration options drover passes on */
#define QEMU_NO_MT                  VERSION(9, 1)  /* "compress" removed */
#define QEMU_POSTCOPY_WITH_PARALLEL VERSION(10, 1) /* multifd + postcopy */

typedef struct {
    char *uri;
    bool machine_types; /* read the capabilities too */
    drover_platform_t platform;
    char *error;
} platform_call_t;

static void
platform_call_free(gpointer data)
{
    platform_call_t *c = data;

    drover_platform_clear(&c->platform);
    g_free(c->uri);
    g_free(c->error);
    g_free(c);
}

static int
platform_call(void *data)
{
    platform_call_t *c = data;
    virConnectPtr conn = NULL;
    int rc = drover_virt_open(c->uri, &conn);

    if (rc != 0) {
        c->error = g_strdup(drover_virt_error());
        /* libvirt's own time-out is an answer: DROVER_RC_TIMEOUT would
         * read as the worker still running (drover_deadline_run) */
        return DROVER_RC_ERROR;
    }
    if (virConnectGetLibVersion(conn, &c->platform.libvirt) < 0
        || virConnectGetVersion(conn, &c->platform.qemu) < 0) {
        c->error = g_strdup(drover_virt_error());
        rc = DROVER_RC_ERROR;
    } else if (c->machine_types) {
        /* unknown when libvirt cannot say them */
        char *caps = virConnectGetCapabilities(conn);

        if (caps != NULL) {
            (void) drover_platform_read_capabilities(caps, &c->platform);
        }
        free(caps);
    }
    virConnectClose(conn);
    return rc;
}

int
drover_platform_local(const char *uri, drover_deadline_t deadline,
                      bool machine_types, drover_platform_t *platform,
                      char **error)
{
    platform_call_t *c = g_new0(platform_call_t, 1);
    int rc;

    *platform = (drover_platform_t){ 0 };
    *error = NULL;
    drover_virt_init();
    c->uri = g_strdup(uri);
    c->machine_types = machine_types;
    rc = drover_deadline_run(deadline, platform_call, c, platform_call_free);
    if (rc == DROVER_RC_TIMEOUT) {
        *error = g_strdup_printf("libvirtd at %s did not answer in time", uri);
        return rc; /* the worker owns c */
    }
    if (rc == 0) {
        *platform = c->platform;
        c->platform = (drover_platform_t){ 0 };
    } else {
        *error = g_strdup((c->error != NULL) ? c->error : drover_rc_str(rc));
    }
    platform_call_free(c);
    return rc;
}

char *
drover_version_str(unsigned long v)
{
    if (v == 0) {
        return g_strdup("unknown");
    }
    return g_strdup_printf("%lu.%lu.%lu", v / 1000000, v / 1000 % 1000,
                           v % 1000);
}

/* One CPU comparison on the target's libvirt, in a worker */
typedef struct {
    char *uri;
    char *cpu;
    char *virttype;
    char *arch;
    char *machine;
    char *why;   /* incompatible: libvirt's words */
    char *error; /* not compared */
} cpu_call_t;

static void
cpu_call_free(gpointer data)
{
    cpu_call_t *c = data;

    g_free(c->uri);
    g_free(c->cpu);
    g_free(c->virttype);
    g_free(c->arch);
    g_free(c->machine);
    g_free(c->why);
    g_free(c->error);
    g_free(c);
}

static int
cpu_call(void *data)
{
    cpu_call_t *c = data;
    g_autoptr(virConnect) conn = NULL;
    const virError *err = NULL;
    const char *words = NULL;

    if (drover_virt_open(c->uri, &conn) != 0) {
        c->error = g_strdup(drover_virt_error());
        return 0;
    }
    if (virConnectCompareHypervisorCPU(
            conn, NULL, c->arch, c->machine, c->virttype, c->cpu,
            VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE)
        > VIR_CPU_COMPARE_INCOMPATIBLE) {
        return 0;
    }
    err = virGetLastError();
    words = (err != NULL && err->message != NULL) ? err->message : "no reason";
    if (err != NULL && err->code == VIR_ERR_CPU_INCOMPATIBLE) {
        /* "the CPU is incompatible with host CPU: Host CPU does not
         * provide required features: pcommit": the last part says it */
        const char *tail = strstr(words, "host CPU: ");

        c->why = g_strdup((tail != NULL) ? tail + strlen("host CPU: ") : words);
    } else {
        c->error = g_strdup(words);
    }
    return 0;
}

char *
drover_platform_cpu_refuses(const char *uri, const char *target_node,
                            const char *domain_xml, drover_deadline_t deadline,
                            char **unknown)
{
    cpu_call_t *c = g_new0(cpu_call_t, 1);
    char *why = NULL;
    int rc;

    drover_domxml_cpu(domain_xml, &c->cpu, &c->virttype);
    drover_domxml_machine(domain_xml, &c->arch, &c->machine);
    if (c->cpu == NULL) {
        cpu_call_free(c);
        return NULL;
    }
    drover_virt_init();
    c->uri = g_strdup(uri);
    rc = drover_deadline_run(deadline, cpu_call, c, cpu_call_free);
    if (rc == DROVER_RC_TIMEOUT) {
        if (unknown != NULL) {
            *unknown =
                g_strdup_printf("libvirtd at %s did not answer in time", uri);
        }
        return NULL; /* the worker owns c */
    }
    if (c->why != NULL) {
        why = g_strdup_printf("%s cannot provide its CPU (%s)", target_node,
                              c->why);
    } else if (c->error != NULL && unknown != NULL) {
        *unknown = g_strdup(c->error);
    }
    cpu_call_free(c);
    return why;
}

void
drover_platform_clear(drover_platform_t *p)
{
    g_free(p->arch);
    g_strfreev(p->machines);
    *p = (drover_platform_t){ 0 };
}

char *
drover_platform_format(const drover_platform_t *p)
{
    g_autofree char *libvirt = drover_version_str(p->libvirt);
    g_autofree char *qemu = drover_version_str(p->qemu);
    GString *text = g_string_new(NULL);

    g_string_printf(text, "libvirt=%s qemu=%s", libvirt, qemu);
    if (p->arch != NULL && p->machines != NULL) {
        g_autofree char *machines = g_strjoinv(",", p->machines);

        g_string_append_printf(text, " arch=%s machines=%s", p->arch, machines);
    }
    return g_string_free(text, FALSE);
}

/* A machine type's or an architecture's name: what QEMU's are made of,
 * and nothing that could change an XPath expression or the attribute's
 * words */
static bool
plain_name(const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len > 64) {
        return false;
    }
    for (const char *c = name; *c != '\0'; c++) {
        if (!g_ascii_isalnum(*c) && strchr("._-", *c) == NULL) {
            return false;
        }
    }
    return true;
}

/* "a,b,c" as a list of plain names; NULL when one is not, or none (a
 * list of no machine type would refuse every VM), or too many */
static GStrv
machines_parse(const char *text)
{
    g_auto(GStrv) names =
        g_strsplit(text, ",", DROVER_PLATFORM_MAX_MACHINES + 1);
    guint count = g_strv_length(names);

    if (count == 0 || count > DROVER_PLATFORM_MAX_MACHINES) {
        return NULL;
    }
    for (char **n = names; *n != NULL; n++) {
        if (!plain_name(*n)) {
            return NULL;
        }
    }
    return g_steal_pointer(&names);
}

/* "major.minor.micro", each below 1000, as libvirt's number; 0 if not */
static unsigned long
version_parse(const char *text)
{
    g_auto(GStrv) parts = g_strsplit(text, ".", -1);
    unsigned long v = 0;

    if (g_strv_length(parts) != 3) {
        return 0;
    }
    for (int i = 0; i < 3; i++) {
        guint64 n = 0;

        if (!g_ascii_string_to_unsigned(parts[i], 10, 0, 999, &n, NULL)) {
            return 0;
        }
        v = v * 1000 + n;
    }
    return v;
}

int
drover_platform_parse(const char *text, drover_platform_t *p)
{
    g_auto(GStrv) words = g_strsplit((text != NULL) ? text : "", " ", -1);

    *p = (drover_platform_t){ 0 };
    for (char **w = words; *w != NULL; w++) {
        if (g_str_has_prefix(*w, "libvirt=")) {
            p->libvirt = version_parse(*w + strlen("libvirt="));
        } else if (g_str_has_prefix(*w, "qemu=")) {
            p->qemu = version_parse(*w + strlen("qemu="));
        } else if (g_str_has_prefix(*w, "arch=") && p->arch == NULL
                   && plain_name(*w + strlen("arch="))) {
            p->arch = g_strdup(*w + strlen("arch="));
        } else if (g_str_has_prefix(*w, "machines=") && p->machines == NULL) {
            p->machines = machines_parse(*w + strlen("machines="));
        }
    }
    if (p->arch == NULL || p->machines == NULL) {
        g_clear_pointer(&p->arch, g_free);
        g_clear_pointer(&p->machines, g_strfreev);
    }
    return (p->libvirt == 0 && p->qemu == 0) ? DROVER_RC_PROTOCOL : 0;
}

int
drover_platform_read_capabilities(const char *xml, drover_platform_t *p)
{
    g_autoptr(xmlDoc) doc =
        drover__xml_read(xml, strlen(xml), "capabilities.xml");
    g_autoptr(xmlXPathContext) ctx = NULL;
    g_autoptr(xmlXPathObject) found = NULL;
    g_autoptr(GPtrArray) machines = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *arch = NULL;
    g_autofree char *expr = NULL;
    xmlNodeSet *set = NULL;

    g_clear_pointer(&p->arch, g_free);
    g_clear_pointer(&p->machines, g_strfreev);
    if (doc == NULL) {
        return DROVER_RC_PROTOCOL;
    }
    ctx = xmlXPathNewContext(doc);
    found = xmlXPathEvalExpression(BAD_CAST "string(/capabilities/host/cpu/"
                                            "arch)",
                                   ctx);
    arch = (found != NULL && found->stringval != NULL)
               ? g_strstrip(g_strdup((const char *) found->stringval))
               : NULL;
    if (arch == NULL || !plain_name(arch)) {
        return DROVER_RC_PROTOCOL;
    }
    /* the arch's own list and each accelerator's (<domain type='kvm'>) */
    expr = g_strdup_printf("/capabilities/guest[os_type='hvm']/arch[@name='%s']"
                           "//machine",
                           arch);
    g_clear_pointer(&found, xmlXPathFreeObject);
    found = xmlXPathEvalExpression(BAD_CAST expr, ctx);
    set = (found != NULL) ? found->nodesetval : NULL;
    for (int i = 0; set != NULL && i < set->nodeNr; i++) {
        g_autofree char *name = (char *) xmlNodeGetContent(set->nodeTab[i]);

        /* a name it cannot publish, or too many: a list that misses one
         * would refuse the VMs that run with it, so none is known */
        if (name == NULL || !plain_name(g_strstrip(name))
            || machines->len == DROVER_PLATFORM_MAX_MACHINES) {
            return DROVER_RC_PROTOCOL;
        }
        if (!g_ptr_array_find_with_equal_func(machines, name, g_str_equal,
                                              NULL)) {
            g_ptr_array_add(machines, g_steal_pointer(&name));
        }
    }
    if (machines->len == 0) {
        return DROVER_RC_PROTOCOL;
    }
    g_ptr_array_add(machines, NULL);
    p->machines = (GStrv) g_ptr_array_free(g_steal_pointer(&machines), FALSE);
    p->arch = g_steal_pointer(&arch);
    return 0;
}

/* The target's QEMU lacks the VM's machine type (NULL: not known to) */
static char *
lacks_machine(const char *target_node, const drover_platform_t *target,
              const char *arch, const char *machine)
{
    g_autofree char *qemu = NULL;

    if (target->machines == NULL || target->arch == NULL || arch == NULL
        || machine == NULL || strcmp(arch, target->arch) != 0
        || g_strv_contains((const char *const *) target->machines, machine)) {
        return NULL;
    }
    if (target->qemu == 0) {
        return g_strdup_printf("%s has a QEMU without machine type %s",
                               target_node, machine);
    }
    qemu = drover_version_str(target->qemu);
    return g_strdup_printf("%s runs QEMU %s, which has no machine type %s",
                           target_node, qemu, machine);
}

/* The release: major.minor (micro releases migrate both ways) */
static unsigned long
release(unsigned long version)
{
    return version / 1000 * 1000;
}

char *
drover_platform_refuses(const char *source_node,
                        const drover_platform_t *source,
                        const char *target_node,
                        const drover_platform_t *target, const char *arch,
                        const char *machine)
{
    g_autofree char *from = NULL;
    g_autofree char *to = NULL;
    g_autofree char *from_libvirt = NULL;
    g_autofree char *to_libvirt = NULL;

    if (source->qemu == 0 || target->qemu == 0
        || release(target->qemu) >= release(source->qemu)) {
        return lacks_machine(target_node, target, arch, machine);
    }
    from = drover_version_str(source->qemu);
    to = drover_version_str(target->qemu);
    from_libvirt = drover_version_str(source->libvirt);
    to_libvirt = drover_version_str(target->libvirt);
    /* short: an exit reason keeps 128 characters */
    return g_strdup_printf("%s runs QEMU %s (libvirt %s), older than %s's "
                           "QEMU %s (libvirt %s)",
                           target_node, to, to_libvirt, source_node, from,
                           from_libvirt);
}

static bool
asks(const char *const *list, const char *word)
{
    return list != NULL && g_strv_contains(list, word);
}

bool
drover_platform_lacks_param(const drover_platform_t *platform, const char *node,
                            const drover_migparam_t *param, GString *lacks)
{
    const char *sep = (lacks->len > 0) ? "; " : "";

    if (platform->libvirt != 0 && platform->libvirt < param->libvirt) {
        g_autofree char *have = drover_version_str(platform->libvirt);
        g_autofree char *needs = drover_version_str(param->libvirt);

        g_string_append_printf(lacks,
                               "%smigrate_options %s: libvirt %s on %s has "
                               "no %s (%s is the first with it)",
                               sep, param->word, have, node, param->name,
                               needs);
        return true;
    }
    if (platform->qemu >= QEMU_NO_MT
        && g_str_has_prefix(param->name, "compression.mt.")) {
        g_autofree char *have = drover_version_str(platform->qemu);

        g_string_append_printf(lacks,
                               "%smigrate_options %s: QEMU %s on %s has no "
                               "compression method mt since 9.1",
                               sep, param->word, have, node);
        return true;
    }
    return false;
}

unsigned int
drover_platform_lacks(unsigned long qemu, const char *node,
                      const drover_migration_wish_t *wish, GString *lacks)
{
    g_autofree char *version = drover_version_str(qemu);
    unsigned int lacked = 0;

    if (qemu >= QEMU_NO_MT && asks(wish->compression, "mt")) {
        g_string_append_printf(lacks,
                               "%scompression method mt: QEMU %s on %s has "
                               "none since 9.1 (zstd, zlib and xbzrle "
                               "remain)",
                               (lacks->len > 0) ? "; " : "", version, node);
        lacked |= DROVER_LACKS_MT;
    }
    if (wish->postcopy && wish->parallel && qemu != 0
        && qemu < QEMU_POSTCOPY_WITH_PARALLEL) {
        g_string_append_printf(lacks,
                               "%spost-copy with parallel connections: QEMU "
                               "%s on %s refuses the pair (10.1 is the first "
                               "to have it)",
                               (lacks->len > 0) ? "; " : "", version, node);
        lacked |= DROVER_LACKS_POSTCOPY_PARALLEL;
    }
    return lacked;
}
