/*
 * Health check of the peers' SSH host keys (OpenSSH known_hosts).
 */
#include <string.h>

#include <qb/qblog.h>

#include <drover/cib.h>
#include <drover/deadline.h>
#include <drover/file.h>
#include <drover/health.h>
#include <drover/rc.h>

#include "health_private.h"
#include "options.h"

/* The most a known_hosts file may hold: a line per host */
#define KNOWN_HOSTS_MAX_BYTES (4 * 1024 * 1024)

/* ------------------------------------------------------------------ */
/* The peers' SSH host keys                                           */
/* ------------------------------------------------------------------ */

/* A hashed name, "|1|base64(salt)|base64(HMAC-SHA1(salt, host))" */
static bool
hashed_name_is(const char *field, const char *host)
{
    g_auto(GStrv) parts = g_strsplit(field + 3, "|", 2);
    g_autofree guchar *salt = NULL;
    g_autofree guchar *want = NULL;
    guint8 digest[20];
    gsize digest_len = sizeof(digest);
    gsize salt_len = 0;
    gsize want_len = 0;
    g_autoptr(GHmac) hmac = NULL;

    if (parts[0] == NULL || parts[1] == NULL) {
        return false;
    }
    salt = g_base64_decode(parts[0], &salt_len);
    want = g_base64_decode(parts[1], &want_len);
    if (salt_len == 0 || want_len != sizeof(digest)) {
        return false;
    }
    hmac = g_hmac_new(G_CHECKSUM_SHA1, salt, salt_len);
    g_hmac_update(hmac, (const guchar *) host, (gssize) strlen(host));
    g_hmac_get_digest(hmac, digest, &digest_len);
    return memcmp(digest, want, sizeof(digest)) == 0;
}

/* Whether the hosts field of a known_hosts line (comma-separated
 * patterns, "!" negates) matches \p host */
static bool
hosts_field_matches(const char *field, const char *host)
{
    g_auto(GStrv) patterns = NULL;
    g_autofree char *lower = g_ascii_strdown(host, -1);
    bool matched = false;

    if (g_str_has_prefix(field, "|1|")) {
        return hashed_name_is(field, lower); /* ssh hashes it lowercased */
    }
    patterns = g_strsplit(field, ",", -1);
    for (char **p = patterns; *p != NULL; p++) {
        bool negated = (**p == '!');
        g_autofree char *pattern = g_ascii_strdown(*p + negated, -1);

        if (g_pattern_match_simple(pattern, lower)) {
            if (negated) {
                return false;
            }
            matched = true;
        }
    }
    return matched;
}

/* The hosts fields of known_hosts \p text's lines that give a host key
 * (not comments, not @revoked); \p skipped counts the lines whose hosts
 * field is not UTF-8: GLib's pattern matching aborts the process on such
 * text (g_utf8_strreverse asserts) */
static GPtrArray *
known_hosts_fields(const char *text, guint *skipped)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    GPtrArray *fields = g_ptr_array_new_with_free_func(g_free);

    *skipped = 0;
    for (char **l = lines; *l != NULL; l++) {
        g_auto(GStrv) words = NULL;
        char **w = NULL;

        g_strstrip(*l);
        if (**l == '\0' || **l == '#') {
            continue;
        }
        words = g_strsplit_set(*l, " \t", -1);
        w = words;
        if (**w == '@') { /* @cert-authority, @revoked */
            if (strcmp(*w, "@revoked") == 0) {
                continue;
            }
            w++;
        }
        /* hosts, key type, key */
        if (*w == NULL || w[1] == NULL || w[2] == NULL) {
            continue;
        }
        if (!g_utf8_validate(*w, -1, NULL)) {
            (*skipped)++;
            continue;
        }
        g_ptr_array_add(fields, g_strdup(*w));
    }
    return fields;
}

static bool
fields_match(const GPtrArray *fields, const char *host)
{
    if (!g_utf8_validate(host, -1, NULL)) {
        return false; /* no host has such a name, and GLib would abort */
    }
    for (guint i = 0; i < fields->len; i++) {
        if (hosts_field_matches(g_ptr_array_index(fields, i), host)) {
            return true;
        }
    }
    return false;
}

bool
drover_known_hosts_has(const char *text, const char *host)
{
    guint skipped = 0;
    g_autoptr(GPtrArray) fields = known_hosts_fields(text, &skipped);

    return fields_match(fields, host);
}

void
drover_health_ssh(const char *files, const GPtrArray *peers,
                  drover_deadline_t deadline, GPtrArray *results)
{
    g_auto(GStrv) paths = g_strsplit_set(files, " ,", -1);
    g_autoptr(GString) read = g_string_new(NULL);
    g_autoptr(GString) skipped = g_string_new(NULL); /* "; 2 lines of ..." */
    g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func(g_free);
    bool all_read = true; /* every file there is */

    for (char **p = paths; *p != NULL; p++) {
        gint64 started = g_get_monotonic_time();
        g_autoptr(GString) why = g_string_new(NULL);
        g_autofree char *content = NULL;
        g_autoptr(GPtrArray) found = NULL;
        guint bad = 0;
        int rc;

        if (**p == '\0') {
            continue;
        }
        rc = drover_file_read(*p, KNOWN_HOSTS_MAX_BYTES, deadline, &content,
                              NULL, why);
        if (rc == ENOENT) {
            continue; /* one of the list missing is usual */
        }
        if (rc != 0) {
            all_read = false;
            g_ptr_array_add(results,
                            drover__health_result("ssh", *p, started,
                                                  (rc == DROVER_RC_TIMEOUT)
                                                      ? DROVER_HEALTH_UNKNOWN
                                                      : DROVER_HEALTH_WARNING,
                                                  g_strdup(why->str)));
            continue;
        }
        g_string_append_printf(read, "%s%s", (read->len > 0) ? ", " : "", *p);
        found = known_hosts_fields(content, &bad);
        for (guint i = 0; i < found->len; i++) {
            g_ptr_array_add(fields, g_strdup(g_ptr_array_index(found, i)));
        }
        if (bad > 0) {
            qb_log(LOG_WARNING,
                   "%s: %u line(s) skipped: their host names are not UTF-8", *p,
                   bad);
            g_string_append_printf(skipped,
                                   "; %u line(s) of %s skipped: host names "
                                   "not UTF-8",
                                   bad, *p);
        }
    }
    for (guint i = 0; i < peers->len; i++) {
        const char *peer = g_ptr_array_index(peers, i);
        gint64 started = g_get_monotonic_time();

        if (fields_match(fields, peer)) {
            g_ptr_array_add(results,
                            drover__health_result(
                                "ssh", peer, started, DROVER_HEALTH_OK,
                                g_strdup_printf("host key known (%s)%s",
                                                read->str, skipped->str)));
        } else if (!all_read) {
            /* it may be in a file that could not be read */
            g_ptr_array_add(
                results,
                drover__health_result(
                    "ssh", peer, started, DROVER_HEALTH_UNKNOWN,
                    g_strdup_printf("no host key in %s; not every "
                                    "known_hosts file could be read%s",
                                    (read->len > 0) ? read->str : "any",
                                    skipped->str)));
        } else {
            /* a warning: it breaks migrations from here, not to here */
            g_ptr_array_add(
                results,
                drover__health_result(
                    "ssh", peer, started, DROVER_HEALTH_WARNING,
                    g_strdup_printf("no host key in %s: migrations over "
                                    "ssh to %s fail%s",
                                    (read->len > 0) ? read->str : files, peer,
                                    skipped->str)));
        }
    }
}

/* Whether a drover VM resource connects to its targets over ssh */
static bool
any_vm_uses_ssh(const drover_cib_t *cib)
{
    g_autoptr(GPtrArray) vms =
        drover_cib_resources_by_agent(cib, "ocf", "drover", "VirtualDomain");

    for (guint i = 0; i < vms->len; i++) {
        const char *transport = drover_cib_resource_param(
            cib, g_ptr_array_index(vms, i), "migration_transport");

        if (transport != NULL && strstr(transport, "ssh") != NULL) {
            return true;
        }
    }
    return false;
}

void
drover_health_ssh_from_cib(const drover_cib_t *cib, const char *node,
                           drover_deadline_t deadline, GPtrArray *results)
{
    const char *how = drover_cib_property(cib, DROVER_HEALTH_SSH_PROPERTY);
    const char *files =
        drover_cib_property(cib, DROVER_HEALTH_SSH_KNOWN_PROPERTY);
    g_autoptr(GPtrArray) peers = NULL;
    bool check = false;

    if (how == NULL) {
        how = drover__option_default(DROVER_HEALTH_SSH_PROPERTY);
    }
    if (strcmp(how, "auto") == 0) {
        check = any_vm_uses_ssh(cib);
    } else if (strcmp(how, "on") == 0) {
        check = true;
    } else if (strcmp(how, "off") != 0) {
        g_ptr_array_add(results,
                        drover__health_result(
                            "ssh", DROVER_HEALTH_SSH_PROPERTY,
                            g_get_monotonic_time(), DROVER_HEALTH_WARNING,
                            g_strdup_printf("'%s' is not on, off or auto; "
                                            "not checked",
                                            how)));
    }
    if (!check) {
        return;
    }
    peers = drover_cib_node_names(cib);
    for (guint i = 0; i < peers->len; i++) {
        if (strcmp(g_ptr_array_index(peers, i), node) == 0) {
            g_ptr_array_remove_index(peers, i);
            break;
        }
    }
    drover_health_ssh((files != NULL) ? files
                                      : drover__option_default(
                                          DROVER_HEALTH_SSH_KNOWN_PROPERTY),
                      peers, deadline, results);
}
