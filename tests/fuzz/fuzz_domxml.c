/*
 * libFuzzer target: what VirtualDomain and drover drain read from a domain
 * XML (drover/domxml.h): the pools, networks and disk files it names, what
 * blocks its live move, its machine type and the CPU libvirt would
 * compare, and the stock agent's overlay path of a config.
 *
 * Input: a domain XML (also taken as a config path).  Besides not crashing
 * or leaking on any text: every name read is non-empty and found once; a
 * blocker is only ever found in a document that names a hostdev; a
 * machine type or arch read is non-empty; a CPU read is a <cpu> element
 * with a model; the overlay path ends in ".qcow2" and starts with the
 * config's text up to its first '.'.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drover/domxml.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void G_GNUC_NORETURN
fail(const char *what, const char *text)
{
    fprintf(stderr, "fuzz_domxml: %s (input '%s')\n", what, text);
    abort();
}

static void
check_names(const GPtrArray *names, const char *text)
{
    for (guint i = 0; names != NULL && i < names->len; i++) {
        const char *a = g_ptr_array_index(names, i);

        if (*a == '\0') {
            fail("an empty name read", text);
        }
        for (guint j = i + 1; j < names->len; j++) {
            if (strcmp(a, g_ptr_array_index(names, j)) == 0) {
                fail("a name read twice", text);
            }
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = g_strndup((const char *) data, size);
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *blocker = NULL;
    g_autofree char *overlay = NULL;
    g_autofree char *arch = NULL;
    g_autofree char *machine = NULL;
    g_autofree char *cpu = NULL;
    g_autofree char *virttype = NULL;
    drover_domxml_refs_t refs;
    const char *dot = strchr(text, '.');
    size_t stem = (dot != NULL) ? (size_t) (dot - text) : strlen(text);

    if (drover_domxml_refs(text, &refs, reason) == 0) {
        check_names(refs.pools, text);
        check_names(refs.networks, text);
        check_names(refs.files, text);
    } else if (reason->len == 0) {
        fail("refused without a reason", text);
    }
    drover_domxml_refs_clear(&refs);

    blocker = drover_domxml_blocker(text);
    if (blocker != NULL && strstr(text, "hostdev") == NULL) {
        fail("a blocker without a hostdev", text);
    }

    drover_domxml_machine(text, &arch, &machine);
    if ((arch != NULL && *arch == '\0')
        || (machine != NULL && *machine == '\0')) {
        fail("an empty machine type or arch read", text);
    }
    drover_domxml_cpu(text, &cpu, &virttype);
    if (cpu != NULL
        && (!g_str_has_prefix(cpu, "<cpu") || strstr(cpu, "<model") == NULL)) {
        fail("a CPU read that is not a <cpu> with a model", text);
    }

    overlay = drover_domxml_overlay_path(text);
    if (!g_str_has_suffix(overlay, ".qcow2")
        || strncmp(overlay, text, stem) != 0) {
        fail("an overlay path not the config's stem plus .qcow2", text);
    }
    return 0;
}
