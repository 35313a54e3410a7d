/*
 * libFuzzer target: a node's published facts on one network
 * (drover_net_facts_parse, drover_net_facts_format).
 *
 * Input: the attribute's value (up to the first NUL).  What parses must
 * format to a text that parses to the same facts and formats the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drover/netsel.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void G_GNUC_NORETURN
fail(const char *what, const char *text)
{
    fprintf(stderr, "fuzz_facts: %s (input '%s')\n", what, text);
    abort();
}

static bool
facts_equal(const drover_net_facts_t *a, const drover_net_facts_t *b)
{
    if ((a->address == NULL) != (b->address == NULL)
        || (a->address != NULL
            && !g_inet_address_equal(a->address, b->address))) {
        return false;
    }
    return a->mtu == b->mtu && a->link_up == b->link_up;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = g_strndup((const char *) data, size);
    g_autoptr(GString) reason = g_string_new(NULL);
    drover_net_facts_t facts = { 0 };
    drover_net_facts_t again = { 0 };
    g_autofree char *formatted = NULL;
    g_autofree char *reformatted = NULL;

    if (drover_net_facts_parse(text, &facts, reason) != 0) {
        if (facts.address != NULL || facts.mtu != 0 || facts.link_up) {
            fail("rejected facts not cleared", text);
        }
        if (reason->len == 0 || !g_utf8_validate(reason->str, -1, NULL)
            || strchr(reason->str, '\n') != NULL) {
            fail("rejected without a usable reason", text);
        }
        return 0;
    }
    if (facts.mtu != 0 && (facts.mtu < 68 || facts.mtu > 65536)) {
        fail("accepted an MTU out of range", text);
    }
    formatted = drover_net_facts_format(&facts);
    g_string_truncate(reason, 0);
    if (drover_net_facts_parse(formatted, &again, reason) != 0) {
        fail("formatted facts do not parse again", text);
    }
    if (!facts_equal(&facts, &again)) {
        fail("round trip changed the facts", text);
    }
    reformatted = drover_net_facts_format(&again);
    if (strcmp(formatted, reformatted) != 0) {
        fail("formatting is not stable", text);
    }
    drover_net_facts_clear(&facts);
    drover_net_facts_clear(&again);
    return 0;
}
