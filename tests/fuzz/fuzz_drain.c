/*
 * libFuzzer target: what a drain reads back from the cluster: its moves
 * (drover_drain_moves_parse, the drained node's drover-drain-plan
 * attribute) as they become constraints (drover_drain_constraints_xml),
 * and the host facts NodeHealth publishes (drover_host_facts_parse) and
 * its node's versions (drover_platform_parse).
 *
 * Input: "MOVES\nFACTS" (split at the first newline or NUL).  Moves
 * format back to a text that parses to the same moves, and their
 * constraints are well-formed XML holding each VM and target as given;
 * accepted facts format to a text that parses again and formats the same;
 * versions format to a text that parses to the same versions, and a VM
 * is never refused a move to the same versions.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <drover/autoptr.h>
#include <drover/drain.h>
#include <drover/platform.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void G_GNUC_NORETURN
fail(const char *what, const char *text)
{
    fprintf(stderr, "fuzz_drain: %s (input '%s')\n", what,
            (text != NULL) ? text : "(none)");
    abort();
}

/* Split \p data at the first newline or NUL into two strings (the second
 * NULL if there is no separator; it ends at its own first NUL) */
static char *
split_input(const uint8_t *data, size_t size, char **rest)
{
    const uint8_t *nl = memchr(data, '\n', size);
    const uint8_t *nul = memchr(data, '\0', size);
    const uint8_t *sep = (nl == NULL || (nul != NULL && nul < nl)) ? nul : nl;

    if (sep == NULL) {
        *rest = NULL;
        return g_strndup((const char *) data, size);
    }
    *rest = g_strndup((const char *) sep + 1, size - (sep - data) - 1);
    return g_strndup((const char *) data, sep - data);
}

static bool
same_strings(const GPtrArray *a, const GPtrArray *b)
{
    if (a->len != b->len) {
        return false;
    }
    for (guint i = 0; i < a->len; i++) {
        if (strcmp(g_ptr_array_index(a, i), g_ptr_array_index(b, i)) != 0) {
            return false;
        }
    }
    return true;
}

static bool
prop_is(xmlNode *n, const char *name, const char *value)
{
    xmlChar *got = xmlGetProp(n, BAD_CAST name);
    bool same = (got != NULL && strcmp((const char *) got, value) == 0);

    xmlFree(got);
    return same;
}

/* The constraints of the moves, read back: one location per move (and a
 * ban, and an order after the first lane), values as given */
static void
check_constraints(const GPtrArray *vms, const GPtrArray *to, const char *text)
{
    g_autofree char *xml = drover_drain_constraints_xml(
        "drover-drain-n1-", "n1", (const char *const *) vms->pdata,
        (const char *const *) to->pdata, vms->len, 1, "10000", true);
    g_autoptr(xmlDoc) doc = NULL;
    xmlNode *c = NULL;

    doc = xmlReadMemory(xml, (int) strlen(xml), "constraints.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR
                            | XML_PARSE_NOWARNING);
    if (doc == NULL) {
        fail("the constraints are not well-formed XML", text);
    }
    c = xmlFirstElementChild(xmlDocGetRootElement(doc));
    for (guint i = 0; i < vms->len; i++) {
        const char *vm = g_ptr_array_index(vms, i);

        if (c == NULL || !prop_is(c, "rsc", vm)
            || !prop_is(c, "node", g_ptr_array_index(to, i))) {
            fail("a location does not hold the move", text);
        }
        c = xmlNextElementSibling(c);
        if (i >= 1) {
            if (c == NULL || !prop_is(c, "then", vm)
                || !prop_is(c, "first", g_ptr_array_index(vms, i - 1))) {
                fail("an order does not hold the moves", text);
            }
            c = xmlNextElementSibling(c);
        }
        if (c == NULL || !prop_is(c, "rsc", vm) || !prop_is(c, "node", "n1")) {
            fail("a ban does not hold the move", text);
        }
        c = xmlNextElementSibling(c);
    }
    if (c != NULL) {
        fail("more constraints than moves", text);
    }
}

static void
check_moves(const char *text)
{
    g_autoptr(GPtrArray) vms = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) to = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) vms_again = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) to_again = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *formatted = NULL;

    drover_drain_moves_parse(text, vms, to);
    if (vms->len != to->len) {
        fail("moves without targets", text);
    }
    for (guint i = 0; i < vms->len; i++) {
        const char *vm = g_ptr_array_index(vms, i);
        const char *target = g_ptr_array_index(to, i);

        if (*vm == '\0' || *target == '\0' || strpbrk(vm, " >") != NULL
            || strchr(target, ' ') != NULL) {
            fail("a move with an empty or split VM or target", text);
        }
    }
    formatted =
        drover_drain_moves_format((const char *const *) vms->pdata,
                                  (const char *const *) to->pdata, vms->len);
    drover_drain_moves_parse(formatted, vms_again, to_again);
    if (!same_strings(vms, vms_again) || !same_strings(to, to_again)) {
        fail("round trip changed the moves", text);
    }
    check_constraints(vms, to, text);
}

static void
check_facts(const char *text)
{
    drover_host_facts_t facts;
    drover_host_facts_t again;
    g_autofree char *formatted = NULL;
    g_autofree char *reformatted = NULL;

    if (drover_host_facts_parse(text, &facts) != 0) {
        return;
    }
    formatted = drover_host_facts_format(&facts);
    if (drover_host_facts_parse(formatted, &again) != 0) {
        fail("formatted host facts do not parse again", text);
    }
    reformatted = drover_host_facts_format(&again);
    if (strcmp(formatted, reformatted) != 0) {
        fail("host facts formatting is not stable", text);
    }
}

static void
check_platform(const char *text)
{
    drover_platform_t platform;
    drover_platform_t again;
    g_autofree char *formatted = NULL;
    g_autofree char *refused = NULL;

    if (drover_platform_parse(text, &platform) != 0) {
        if (platform.libvirt != 0 || platform.qemu != 0) {
            fail("versions refused but kept", text);
        }
        drover_platform_clear(&platform);
        return;
    }
    formatted = drover_platform_format(&platform);
    if (drover_platform_parse(formatted, &again) != 0
        || again.libvirt != platform.libvirt || again.qemu != platform.qemu
        || g_strcmp0(again.arch, platform.arch) != 0
        || (again.machines == NULL) != (platform.machines == NULL)
        || (again.machines != NULL
            && !g_strv_equal((const char *const *) again.machines,
                             (const char *const *) platform.machines))) {
        fail("formatted versions do not parse to the same", text);
    }
    refused = drover_platform_refuses(
        "n1", &platform, "n2", &again, platform.arch,
        (platform.machines != NULL) ? platform.machines[0] : "pc");
    if (refused != NULL) {
        fail("a move to the same versions and machine types is refused", text);
    }
    drover_platform_clear(&platform);
    drover_platform_clear(&again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *facts = NULL;
    g_autofree char *moves = split_input(data, size, &facts);

    check_moves(moves);
    if (facts != NULL) {
        check_facts(facts);
        check_platform(facts);
    }
    return 0;
}
