/*
 * libFuzzer target: OpenSSH known_hosts (drover_known_hosts_has), the
 * files the SSH health check reads.
 *
 * Input: "HOST\nTEXT" (split at the first newline or NUL).  Besides not
 * crashing on any text: a host that could be a name is found once a line
 * naming it, plain or hashed as ssh-keygen -H does, follows the text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drover/health.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIfuzzfuzzfuzzfuzzfuzzfuzz"

static void G_GNUC_NORETURN
fail(const char *what, const char *host, const char *text)
{
    fprintf(stderr, "fuzz_known_hosts: %s (host '%s', text '%s')\n", what, host,
            text);
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

/* A host a line can name as it is: UTF-8, no blank, no pattern or marker
 * character, not a comment */
static bool
nameable(const char *host)
{
    if (*host == '\0' || *host == '#' || *host == '@'
        || !g_utf8_validate(host, -1, NULL)) {
        return false;
    }
    for (const char *p = host; *p != '\0'; p++) {
        if (g_ascii_isspace(*p) || strchr("*?!,|", *p) != NULL) {
            return false;
        }
    }
    return true;
}

/* "|1|base64(salt)|base64(HMAC-SHA1(salt, host))", as ssh-keygen -H */
static char *
hashed(const char *host)
{
    static const guchar salt[20] = "drover-fuzz-salt-20";
    g_autofree char *lower = g_ascii_strdown(host, -1);
    g_autoptr(GHmac) hmac = g_hmac_new(G_CHECKSUM_SHA1, salt, sizeof(salt));
    guint8 digest[20];
    gsize len = sizeof(digest);
    g_autofree char *salt64 = g_base64_encode(salt, sizeof(salt));
    g_autofree char *digest64 = NULL;

    g_hmac_update(hmac, (const guchar *) lower, (gssize) strlen(lower));
    g_hmac_get_digest(hmac, digest, &len);
    digest64 = g_base64_encode(digest, len);
    return g_strdup_printf("|1|%s|%s", salt64, digest64);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = NULL;
    g_autofree char *host = split_input(data, size, &text);
    g_autofree char *plain = NULL;
    g_autofree char *hash = NULL;
    g_autofree char *name = NULL;

    if (text == NULL) {
        text = g_strdup("");
    }
    (void) drover_known_hosts_has(text, host);
    if (!nameable(host)) {
        return 0;
    }
    plain = g_strdup_printf("%s\n%s " KEY "\n", text, host);
    if (!drover_known_hosts_has(plain, host)) {
        fail("a line naming the host does not find it", host, text);
    }
    name = hashed(host);
    hash = g_strdup_printf("%s\n%s " KEY "\n", text, name);
    if (!drover_known_hosts_has(hash, host)) {
        fail("a hashed line naming the host does not find it", host, text);
    }
    return 0;
}
