/*
 * libFuzzer target: VirtualDomain's migrate_options (drover_migopts_parse),
 * virsh migrate words as libvirt flags and typed parameters.
 *
 * Input: the parameter's value (up to the first NUL).  What parses sets
 * only the flags of known words, numbers in range, known compression
 * methods in a NULL-terminated list (libvirt's typed parameter takes it
 * as it is), typed parameters that libvirt's own virTypedParamsAddFromString
 * takes; a rejection comes with a one-line reason (the agent's
 * ocf-exit-reason).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>

#include <drover/migopts.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void G_GNUC_NORETURN
fail(const char *what, const char *text)
{
    fprintf(stderr, "fuzz_migrate_options: %s (input '%s')\n", what, text);
    abort();
}

#define KNOWN_FLAGS                                                            \
    (VIR_MIGRATE_PERSIST_DEST | VIR_MIGRATE_UNDEFINE_SOURCE                    \
     | VIR_MIGRATE_TUNNELLED | VIR_MIGRATE_NON_SHARED_DISK                     \
     | VIR_MIGRATE_NON_SHARED_INC | VIR_MIGRATE_CHANGE_PROTECTION              \
     | VIR_MIGRATE_UNSAFE | VIR_MIGRATE_COMPRESSED                             \
     | VIR_MIGRATE_ABORT_ON_ERROR | VIR_MIGRATE_AUTO_CONVERGE                  \
     | VIR_MIGRATE_POSTCOPY | VIR_MIGRATE_TLS | VIR_MIGRATE_PARALLEL           \
     | VIR_MIGRATE_RDMA_PIN_ALL | VIR_MIGRATE_ZEROCOPY                         \
     | VIR_MIGRATE_NON_SHARED_SYNCHRONOUS_WRITES)

static void
check_options(const drover_migopts_t *o, const char *text)
{
    if ((o->flags & ~(unsigned long) KNOWN_FLAGS) != 0) {
        fail("a flag no word sets", text);
    }
    if (o->parallel_connections < 0 || o->bandwidth_mib > G_MAXINT32) {
        fail("a number out of range", text);
    }
    if (o->parallel_connections > 0 && !(o->flags & VIR_MIGRATE_PARALLEL)) {
        fail("parallel connections without the parallel flag", text);
    }
    if (o->listen_address != NULL
        && strpbrk(o->listen_address, " \t") != NULL) {
        fail("a listen address with a blank", text);
    }
    for (guint i = 0; o->params != NULL && i < o->params->len; i++) {
        const drover_migparam_t *p =
            &g_array_index(o->params, drover_migparam_t, i);
        virTypedParameterPtr typed = NULL;
        int n = 0;
        int max = 0;

        if (p->word == NULL || p->name == NULL || p->value == NULL
            || *p->value == '\0' || strpbrk(p->value, " \t") != NULL) {
            fail("a typed parameter without its word, name or value", text);
        }
        if (virTypedParamsAddFromString(&typed, &n, &max, p->name, p->type,
                                        p->value)
            < 0) {
            fail("a typed parameter libvirt does not take", text);
        }
        virTypedParamsFree(typed, n);
    }
    if (o->compression != NULL) {
        guint n = o->compression->len;

        if (n < 2 || g_ptr_array_index(o->compression, n - 1) != NULL) {
            fail("compression methods not a NULL-terminated list", text);
        }
        if (!(o->flags & VIR_MIGRATE_COMPRESSED)) {
            fail("compression methods without the compressed flag", text);
        }
        for (guint i = 0; i + 1 < n; i++) {
            const char *m = g_ptr_array_index(o->compression, i);

            if (m == NULL || !g_strv_contains(drover_migopts_compression, m)) {
                fail("an unknown compression method", text);
            }
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = g_strndup((const char *) data, size);
    g_autoptr(GString) reason = g_string_new(NULL);
    drover_migopts_t options;
    int rc = drover_migopts_parse(text, &options, reason);

    if (rc != 0) {
        if (reason->len == 0 || !g_utf8_validate(reason->str, -1, NULL)
            || strchr(reason->str, '\n') != NULL) {
            fail("rejected without a usable reason", text);
        }
    } else {
        check_options(&options, text);
    }
    drover_migopts_clear(&options);
    if (options.listen_address != NULL || options.compression != NULL) {
        fail("clear left something behind", text);
    }
    return 0;
}
