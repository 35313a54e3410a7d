/*
 * The drain planner (drover/drain.h).
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <libxml/tree.h>

#include <drover/drain.h>
#include <drover/rc.h>

#include "drover_private.h"

drover_plan_node_t *
drover_plan_node_new(const char *name)
{
    drover_plan_node_t *n = g_new0(drover_plan_node_t, 1);

    n->name = g_strdup(name);
    n->online = true;
    n->accepts_live = true;
    n->capacity_mib = -1;
    n->host = (drover_host_facts_t){ .mem_available_mib = -1, .load = -1 };
    return n;
}

void
drover_plan_node_free(gpointer data)
{
    drover_plan_node_t *n = data;

    if (n != NULL) {
        g_free(n->name);
        g_free(n->health_why);
        drover_platform_clear(&n->platform);
        g_free(n);
    }
}

void
drover_plan_vm_free(gpointer data)
{
    drover_plan_vm_t *vm = data;

    if (vm != NULL) {
        g_free(vm->id);
        g_free(vm->node);
        g_free(vm->blocked);
        g_free(vm->arch);
        g_free(vm->machine);
        g_clear_pointer(&vm->cpu_refused, g_hash_table_unref);
        g_clear_pointer(&vm->banned, g_ptr_array_unref);
        g_clear_pointer(&vm->together, g_ptr_array_unref);
        g_clear_pointer(&vm->apart, g_ptr_array_unref);
        g_clear_pointer(&vm->after, g_ptr_array_unref);
        g_free(vm);
    }
}

void
drover_plan_step_free(gpointer data)
{
    drover_plan_step_t *s = data;

    if (s != NULL) {
        g_free(s->target);
        g_free(s->reason);
        g_free(s);
    }
}

const char *
drover_step_action_str(drover_step_action_t action)
{
    static const char *const names[] = {
        [DROVER_STEP_MIGRATE] = "migrate",
        [DROVER_STEP_STOP] = "stop",
        [DROVER_STEP_SKIP] = "skip",
    };

    return names[action];
}

int
drover_unmovable_parse(const char *text, drover_unmovable_t *value)
{
    if (g_strcmp0(text, "skip") == 0) {
        *value = DROVER_UNMOVABLE_SKIP;
    } else if (g_strcmp0(text, "stop") == 0) {
        *value = DROVER_UNMOVABLE_STOP;
    } else if (g_strcmp0(text, "fail") == 0) {
        *value = DROVER_UNMOVABLE_FAIL;
    } else {
        return DROVER_RC_USAGE;
    }
    return 0;
}

static gint
leave_order(gconstpointer a, gconstpointer b)
{
    const drover_plan_vm_t *x = *(drover_plan_vm_t *const *) a;
    const drover_plan_vm_t *y = *(drover_plan_vm_t *const *) b;

    if (x->priority != y->priority) {
        return (x->priority > y->priority) ? -1 : 1;
    }
    if (x->memory_mib != y->memory_mib) {
        return (x->memory_mib < y->memory_mib) ? -1 : 1;
    }
    return strcmp(x->id, y->id);
}

static bool
listed(const char *const *list, const char *name)
{
    for (const char *const *s = list; s != NULL && *s != NULL; s++) {
        if (strcmp(*s, name) == 0) {
            return true;
        }
    }
    return false;
}

static bool
in_list(const GPtrArray *list, const char *name)
{
    for (guint i = 0; list != NULL && i < list->len; i++) {
        if (strcmp(g_ptr_array_index(list, i), name) == 0) {
            return true;
        }
    }
    return false;
}

/* Where the other VMs will be: their target once planned, else where they
 * run (id -> node name, borrowed) */
typedef GHashTable where_t;

/* Why \p vm may not go to \p node because of the VMs it depends on, or
 * NULL; \p why is scratch for the text */
static const char *
dependency_refuses(const drover_plan_vm_t *vm, const char *node,
                   const char *draining, where_t *where, GString *why)
{
    for (guint i = 0; vm->together != NULL && i < vm->together->len; i++) {
        const char *other = g_ptr_array_index(vm->together, i);
        const char *there = g_hash_table_lookup(where, other);

        if (there != NULL && strcmp(there, draining) != 0
            && strcmp(there, node) != 0) {
            g_string_printf(why, "not where %s is (%s)", other, there);
            return why->str;
        }
    }
    for (guint i = 0; vm->apart != NULL && i < vm->apart->len; i++) {
        const char *other = g_ptr_array_index(vm->apart, i);

        if (g_strcmp0(g_hash_table_lookup(where, other), node) == 0) {
            g_string_printf(why, "%s is there", other);
            return why->str;
        }
    }
    return NULL;
}

/* Free memory by utilization */
static gint64
free_mib(const drover_plan_node_t *n)
{
    return (n->capacity_mib < 0) ? G_MAXINT64 : n->capacity_mib - n->used_mib;
}

/* Free memory on the host, as NodeHealth saw it less what the plan sends */
static gint64
host_free_mib(const drover_plan_node_t *n)
{
    return (n->host.mem_available_mib < 0)
               ? G_MAXINT64
               : n->host.mem_available_mib - n->host_planned_mib;
}

static gint64
room_mib(const drover_plan_node_t *n)
{
    return MIN(free_mib(n), host_free_mib(n));
}

/* Whether \p a is a better target than \p b (both can take the VM) */
static bool
better(const drover_plan_node_t *a, const drover_plan_node_t *b,
       GHashTable *planned)
{
    if (a->health != b->health) {
        return a->health < b->health;
    }
    if (room_mib(a) != room_mib(b)) {
        return room_mib(a) > room_mib(b);
    }
    if (a->host.load >= 0 && b->host.load >= 0
        && ABS(a->host.load - b->host.load) > 0.5) {
        return a->host.load < b->host.load;
    }
    /* nodes come sorted by name: ties keep the first */
    return GPOINTER_TO_INT(g_hash_table_lookup(planned, a->name))
           < GPOINTER_TO_INT(g_hash_table_lookup(planned, b->name));
}

drover_host_facts_t
drover_host_facts_local(void)
{
    drover_host_facts_t f = { .mem_available_mib = -1, .load = -1 };
    g_autofree char *meminfo = NULL;
    g_autofree char *loadavg = NULL;
    const char *at = NULL;

    if (g_file_get_contents("/proc/meminfo", &meminfo, NULL, NULL)
        && (at = strstr(meminfo, "MemAvailable:")) != NULL) {
        f.mem_available_mib =
            g_ascii_strtoll(at + strlen("MemAvailable:"), NULL, 10) / 1024;
    }
    if (g_file_get_contents("/proc/loadavg", &loadavg, NULL, NULL)) {
        f.load = g_ascii_strtod(loadavg, NULL) / g_get_num_processors();
    }
    return f;
}

char *
drover_host_facts_format(const drover_host_facts_t *f)
{
    char load[G_ASCII_DTOSTR_BUF_SIZE];

    g_ascii_formatd(load, sizeof(load), "%.2f", f->load);
    return g_strdup_printf("mem-available=%" G_GINT64_FORMAT " load=%s",
                           f->mem_available_mib, load);
}

/* A load per CPU beyond any host's, or not a number: not NodeHealth's
 * (and "%.2f" of 1e36 no longer fits G_ASCII_DTOSTR_BUF_SIZE) */
#define LOAD_MAX 1e6

int
drover_host_facts_parse(const char *text, drover_host_facts_t *f)
{
    g_auto(GStrv) words = g_strsplit(text, " ", -1);

    *f = (drover_host_facts_t){ .mem_available_mib = -1, .load = -1 };
    for (char **w = words; *w != NULL; w++) {
        const char *value = NULL;
        char *end = NULL;

        errno = 0;
        if (g_str_has_prefix(*w, "mem-available=")) {
            value = *w + strlen("mem-available=");
            f->mem_available_mib = g_ascii_strtoll(value, &end, 10);
        } else if (g_str_has_prefix(*w, "load=")) {
            value = *w + strlen("load=");
            f->load = g_ascii_strtod(value, &end);
            if (!isfinite(f->load) || f->load < -LOAD_MAX
                || f->load > LOAD_MAX) {
                errno = ERANGE;
            }
        } else if (**w != '\0') {
            return DROVER_RC_PROTOCOL;
        }
        if (value != NULL && (end == value || *end != '\0' || errno != 0)) {
            *f = (drover_host_facts_t){ .mem_available_mib = -1, .load = -1 };
            return DROVER_RC_PROTOCOL;
        }
    }
    return 0;
}

/* Why \p n's QEMU cannot take \p vm from \p from ("n2 runs QEMU ...":
 * older, or without its machine type; "n2 cannot provide its CPU"), or
 * NULL (free it) */
static char *
qemu_refuses(const drover_plan_node_t *from, const drover_plan_node_t *n,
             const drover_plan_vm_t *vm)
{
    char *why =
        (from != NULL)
            ? drover_platform_refuses(from->name, &from->platform, n->name,
                                      &n->platform, vm->arch, vm->machine)
            : NULL;

    if (why == NULL && vm->cpu_refused != NULL) {
        why = g_strdup(g_hash_table_lookup(vm->cpu_refused, n->name));
    }
    return why;
}

/* The best target for \p vm, or NULL with \p why filled (with a target,
 * \p why names the nodes refused for their QEMU, if any) */
static drover_plan_node_t *
choose_target(const char *draining, GPtrArray *nodes,
              const drover_plan_vm_t *vm, const drover_drain_opts_t *opts,
              GHashTable *planned, where_t *where, GString *why)
{
    drover_plan_node_t *best = NULL;
    const drover_plan_node_t *from = NULL;
    g_autoptr(GString) refused = g_string_new(NULL);
    g_autoptr(GString) qemu_refused = g_string_new(NULL);
    g_autoptr(GString) scratch = g_string_new(NULL);

    for (guint i = 0; i < nodes->len; i++) {
        drover_plan_node_t *n = g_ptr_array_index(nodes, i);

        if (strcmp(n->name, vm->node) == 0) {
            from = n;
        }
    }
    for (guint i = 0; i < nodes->len; i++) {
        drover_plan_node_t *n = g_ptr_array_index(nodes, i);
        g_autofree char *qemu_no = NULL;
        const char *no = NULL;

        if (strcmp(n->name, draining) == 0) {
            continue;
        } else if (!n->online) {
            no = "offline";
        } else if (n->standby) {
            no = "in standby";
        } else if (n->health >= 2) {
            g_string_printf(scratch, "health red (%s)", n->health_why);
            no = scratch->str;
        } else if (!n->accepts_live) {
            no = "accepts no live migration";
        } else if (in_list(vm->banned, n->name)) {
            no = "not allowed for it";
        } else if (opts->targets != NULL && !listed(opts->targets, n->name)) {
            no = "not a --target";
        } else if ((no = dependency_refuses(vm, n->name, draining, where,
                                            scratch))
                   != NULL) {
            /* no says why */
        } else if (free_mib(n) < vm->memory_mib) {
            no = "not enough free memory";
        } else if (host_free_mib(n) < vm->memory_mib) {
            g_string_printf(scratch,
                            "not enough host memory (%" G_GINT64_FORMAT
                            " MiB available)",
                            host_free_mib(n));
            no = scratch->str;
        } else if ((qemu_no = qemu_refuses(from, n, vm)) != NULL) {
            /* "n2 runs QEMU ...": the node is named */
            no = qemu_no + strlen(n->name) + 1;
            g_string_append_printf(qemu_refused, "%snot %s",
                                   (qemu_refused->len > 0) ? "; " : "",
                                   qemu_no);
        }
        if (no != NULL) {
            g_string_append_printf(refused, "%s%s %s",
                                   (refused->len > 0) ? ", " : "", n->name, no);
            continue;
        }
        if (best == NULL || better(n, best, planned)) {
            best = n;
        }
    }
    if (best == NULL) {
        g_string_printf(why, "no node can take it (%s)",
                        (refused->len > 0) ? refused->str : "no other node");
    } else {
        /* what would have had room but for its QEMU: a dry run says so */
        g_string_assign(why, qemu_refused->str);
    }
    return best;
}

static gint
by_name(gconstpointer a, gconstpointer b)
{
    return strcmp((*(drover_plan_node_t *const *) a)->name,
                  (*(drover_plan_node_t *const *) b)->name);
}

/* --order: the VMs named leave first, in that order */
static int
order_first(const char *node, GPtrArray *leaving, const char *const *first,
            GString *reason)
{
    guint at = 0;

    for (const char *const *name = first; name != NULL && *name != NULL;
         name++) {
        guint j = at;

        while (
            j < leaving->len
            && strcmp(((drover_plan_vm_t *) g_ptr_array_index(leaving, j))->id,
                      *name)
                   != 0) {
            j++;
        }
        if (j == leaving->len) {
            g_autoptr(GString) ids = g_string_new(NULL);
            g_autofree char *shown = drover__shown(*name);

            for (guint i = 0; i < leaving->len; i++) {
                g_string_append_printf(
                    ids, "%s%s", (i > 0) ? ", " : "",
                    ((drover_plan_vm_t *) g_ptr_array_index(leaving, i))->id);
            }
            g_string_printf(reason,
                            "'%s' is not a VM on %s (or is named twice); "
                            "its VMs: %s",
                            shown, node, (ids->len > 0) ? ids->str : "none");
            return DROVER_RC_USAGE;
        }
        g_ptr_array_insert(leaving, (gint) at++,
                           g_ptr_array_steal_index(leaving, j));
    }
    return 0;
}

/* Why \p target: the VM it must be with, or the room */
static char *
target_reason(const drover_plan_vm_t *vm, const drover_plan_node_t *target,
              const char *draining, where_t *where)
{
    g_autofree char *room =
        (room_mib(target) == G_MAXINT64)
            ? g_strdup("no memory capacity set")
            : g_strdup_printf("%" G_GINT64_FORMAT " MiB before it%s%s",
                              room_mib(target),
                              (target->health == 1) ? ", health yellow: " : "",
                              (target->health == 1) ? target->health_why : "");

    for (guint i = 0; vm->together != NULL && i < vm->together->len; i++) {
        const char *other = g_ptr_array_index(vm->together, i);
        const char *there = g_hash_table_lookup(where, other);

        if (g_strcmp0(there, target->name) == 0
            && strcmp(there, draining) != 0) {
            return g_strdup_printf("with %s (%s)", other, room);
        }
    }
    return (room_mib(target) == G_MAXINT64)
               ? g_strdup("most room (no memory capacity set)")
               : g_strdup_printf("most free memory (%s)", room);
}

static gint
index_of(GPtrArray *leaving, const char *id)
{
    for (guint i = 0; i < leaving->len; i++) {
        if (strcmp(((drover_plan_vm_t *) g_ptr_array_index(leaving, i))->id, id)
            == 0) {
            return (gint) i;
        }
    }
    return -1;
}

/*
 * Dependencies reorder: a VM leaves after the VMs it is ordered after,
 * and right after the first of those it is colocated with.  Moves only
 * ever push a VM later, so a few passes settle it (a cycle of orderings,
 * which Pacemaker refuses anyway, stops at the bound).
 */
static void
order_dependencies(GPtrArray *leaving)
{
    for (guint pass = 0; pass <= leaving->len; pass++) {
        bool moved = false;

        for (guint i = 0; i < leaving->len && !moved; i++) {
            drover_plan_vm_t *vm = g_ptr_array_index(leaving, i);
            gint last = -1;
            gint leader = -1;

            for (guint k = 0; vm->after != NULL && k < vm->after->len; k++) {
                last = MAX(last,
                           index_of(leaving, g_ptr_array_index(vm->after, k)));
            }
            for (guint k = 0; vm->together != NULL && k < vm->together->len;
                 k++) {
                gint at = index_of(leaving, g_ptr_array_index(vm->together, k));

                if (at >= 0 && (leader < 0 || at < leader)) {
                    leader = at;
                }
            }
            if (leader >= 0 && leader < (gint) i && leader + 1 != (gint) i
                && last <= leader) {
                /* right behind its partner */
                g_ptr_array_insert(leaving, leader + 1,
                                   g_ptr_array_steal_index(leaving, i));
                moved = true;
            } else if (last > (gint) i) {
                g_ptr_array_insert(leaving, last,
                                   g_ptr_array_steal_index(leaving, i));
                moved = true;
            }
        }
        if (!moved) {
            break;
        }
    }
}

int
drover_drain_plan(const char *node, GPtrArray *nodes, const GPtrArray *vms,
                  const drover_drain_opts_t *opts, GPtrArray **steps,
                  GString *reason)
{
    g_autoptr(GPtrArray) leaving = g_ptr_array_new();
    g_autoptr(GHashTable) planned = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) where = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) result =
        g_ptr_array_new_with_free_func(drover_plan_step_free);

    *steps = NULL;
    for (guint i = 0; i < vms->len; i++) {
        drover_plan_vm_t *vm = g_ptr_array_index(vms, i);

        if (g_strcmp0(vm->node, node) == 0) {
            g_ptr_array_add(leaving, vm);
        }
    }
    g_ptr_array_sort(leaving, leave_order);
    if (order_first(node, leaving, opts->first, reason) != 0) {
        return DROVER_RC_USAGE;
    }
    order_dependencies(leaving);
    for (guint i = 0; i < vms->len; i++) {
        drover_plan_vm_t *vm = g_ptr_array_index(vms, i);

        g_hash_table_insert(where, vm->id, vm->node);
    }
    g_ptr_array_sort(nodes, by_name);

    for (guint i = 0; i < leaving->len; i++) {
        drover_plan_vm_t *vm = g_ptr_array_index(leaving, i);
        drover_plan_step_t *step = g_new0(drover_plan_step_t, 1);
        g_autoptr(GString) why = g_string_new(NULL);
        drover_plan_node_t *target = NULL;

        step->vm = vm;
        if (!vm->migratable) {
            g_string_assign(why, "not live-migratable (allow-migrate is off)");
        } else if (vm->blocked != NULL) {
            g_string_printf(why, "blocked: %s", vm->blocked);
        } else {
            target = choose_target(node, nodes, vm, opts, planned, where, why);
        }
        if (target != NULL) {
            step->action = DROVER_STEP_MIGRATE;
            step->target = g_strdup(target->name);
            step->reason = target_reason(vm, target, node, where);
            if (why->len > 0) {
                char *both = g_strdup_printf("%s; %s", step->reason, why->str);

                g_free(step->reason);
                step->reason = both;
            }
            target->used_mib += vm->memory_mib;
            target->host_planned_mib += vm->memory_mib;
            g_hash_table_insert(where, vm->id, target->name);
            g_hash_table_insert(
                planned, target->name,
                GINT_TO_POINTER(
                    GPOINTER_TO_INT(g_hash_table_lookup(planned, target->name))
                    + 1));
        } else if (opts->on_unmovable == DROVER_UNMOVABLE_FAIL) {
            g_string_printf(reason, "%s cannot be moved: %s", vm->id, why->str);
            drover_plan_step_free(step);
            return DROVER_RC_STATE;
        } else {
            step->action = (opts->on_unmovable == DROVER_UNMOVABLE_STOP)
                               ? DROVER_STEP_STOP
                               : DROVER_STEP_SKIP;
            step->reason = g_strdup(why->str);
        }
        g_ptr_array_add(result, step);
    }
    *steps = g_steal_pointer(&result);
    return 0;
}

static void
add_location(xmlNode *parent, const char *id, const char *rsc, const char *node,
             const char *score)
{
    xmlNode *c = xmlNewChild(parent, NULL, BAD_CAST "rsc_location", NULL);

    xmlNewProp(c, BAD_CAST "id", BAD_CAST id);
    xmlNewProp(c, BAD_CAST "rsc", BAD_CAST rsc);
    xmlNewProp(c, BAD_CAST "node", BAD_CAST node);
    xmlNewProp(c, BAD_CAST "score", BAD_CAST score);
}

char *
drover_drain_constraints_xml(const char *prefix, const char *node,
                             const char *const *vms, const char *const *to,
                             guint n, guint lanes, const char *score, bool ban)
{
    g_autoptr(xmlDoc) doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNode *root = xmlNewNode(NULL, BAD_CAST "constraints");
    xmlBuffer *buffer = xmlBufferCreate();
    char *text = NULL;

    xmlDocSetRootElement(doc, root);
    for (guint i = 0; i < n; i++) {
        g_autofree char *to_id = g_strconcat(prefix, "to-", vms[i], NULL);

        add_location(root, to_id, vms[i], to[i], score);
        if (i >= lanes) {
            g_autofree char *id = g_strconcat(prefix, "after-", vms[i], NULL);
            xmlNode *c = xmlNewChild(root, NULL, BAD_CAST "rsc_order", NULL);

            xmlNewProp(c, BAD_CAST "id", BAD_CAST id);
            xmlNewProp(c, BAD_CAST "first", BAD_CAST vms[i - lanes]);
            xmlNewProp(c, BAD_CAST "then", BAD_CAST vms[i]);
            xmlNewProp(c, BAD_CAST "kind", BAD_CAST "Optional");
        }
        if (ban) {
            g_autofree char *id = g_strconcat(prefix, "ban-", vms[i], NULL);

            add_location(root, id, vms[i], node, "-INFINITY");
        }
    }
    xmlNodeDump(buffer, doc, root, 0, 0);
    text = g_strdup((const char *) xmlBufferContent(buffer));
    xmlBufferFree(buffer);
    return text;
}

char *
drover_drain_moves_format(const char *const *vms, const char *const *to,
                          guint n)
{
    GString *text = g_string_new(NULL);

    for (guint i = 0; i < n; i++) {
        g_string_append_printf(text, "%s%s>%s", (i > 0) ? " " : "", vms[i],
                               to[i]);
    }
    return g_string_free(text, FALSE);
}

/* What a resource id or a node name in the CIB can be: UTF-8 of XML 1.0
 * characters, no control characters (not even escaped can XML hold them,
 * and a tab or newline in an attribute reads back as a blank) */
static bool
fits_cib(const char *text)
{
    if (!g_utf8_validate(text, -1, NULL)) {
        return false;
    }
    for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);

        if (c < 0x20 || (c > 0xD7FF && c < 0xE000) || c == 0xFFFE
            || c == 0xFFFF) {
            return false;
        }
    }
    return true;
}

void
drover_drain_moves_parse(const char *text, GPtrArray *vms, GPtrArray *to)
{
    g_auto(GStrv) words = g_strsplit(text, " ", -1);

    for (char **w = words; *w != NULL; w++) {
        char *gt = strchr(*w, '>');

        if (gt != NULL && gt != *w && gt[1] != '\0' && fits_cib(*w)) {
            g_ptr_array_add(vms, g_strndup(*w, (gsize) (gt - *w)));
            g_ptr_array_add(to, g_strdup(gt + 1));
        }
    }
}
