/*
 * Small helpers shared by the library's subjects.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "drover_private.h"

#define SELINUX_XATTR "security.selinux"

#define SHOWN_MAX_CHARS 80

/* Characters no URI of ours needs (RFC 3986 has no use for most of them;
 * the others are a shell's) */
#define URI_REFUSED "\"'`;|$<>\\^(){}"

/*
 * GLib 2.74's g_ascii_strtoull() makes its C locale on the process's first
 * call.  A thread that waits there for another thread's first call comes
 * back with errno set by the wait (EAGAIN), and g_ascii_string_to_unsigned()
 * takes that errno for a failed parse: "24" is then not a number, once per
 * process (drover health found '10.20.1.0/24' not a valid subnet while its
 * TLS lane parsed the networks too).  One call before main(), before any
 * thread of ours or of libvirt's runs.
 */
__attribute__((constructor)) static void
make_glib_c_locale(void)
{
    (void) g_ascii_strtoull("0", NULL, 10);
}

char *
drover__shown(const char *value)
{
    g_autofree char *valid = g_utf8_make_valid(value, -1);
    glong length = g_utf8_strlen(valid, -1);

    g_strdelimit(valid, "\r\n\t", ' ');
    if (length > SHOWN_MAX_CHARS) {
        const char *end = g_utf8_offset_to_pointer(valid, SHOWN_MAX_CHARS);

        return g_strdup_printf("%.*s...", (int) (end - valid), valid);
    }
    return g_steal_pointer(&valid);
}

void
drover__roff_text(GString *out, const char *text)
{
    bool line_start = true;

    for (const char *p = text; *p != '\0'; p++) {
        if (line_start && (*p == '.' || *p == '\'')) {
            g_string_append(out, "\\&");
        }
        line_start = false;
        switch (*p) {
            case '\\': g_string_append(out, "\\e"); break;
            case '-': g_string_append(out, "\\-"); break;
            case '\n':
                g_string_append(out, "\n.PP\n");
                line_start = true;
                break;
            default: g_string_append_c(out, *p); break;
        }
    }
}

char *
drover__uri_problem(const char *text)
{
    const char *query = strchr(text, '?');
    const char *fragment = strchr(text, '#');
    g_autoptr(GUri) uri = NULL;

    for (const char *c = text; *c != '\0'; c++) {
        bool in_query =
            query != NULL && c > query && (fragment == NULL || c < fragment);

        if (*c == ' ' || *c == '\t') {
            return g_strdup("a blank is not allowed");
        }
        if ((unsigned char) *c < 0x20 || *c == 0x7f) {
            return g_strdup("a control character is not allowed");
        }
        if ((unsigned char) *c > 0x7f) {
            return g_strdup("a non-ASCII character must be percent-encoded");
        }
        if (*c == '"' || *c == '\'') {
            return g_strdup("a quote is not allowed");
        }
        if (strchr(URI_REFUSED, *c) != NULL) {
            return g_strdup_printf("'%c' is not allowed", *c);
        }
        if (*c == '&' && !in_query) {
            return g_strdup("'&' is allowed only between query parameters");
        }
    }
    uri = g_uri_parse(text, G_URI_FLAGS_NONE, NULL);
    if (uri == NULL) {
        return g_strdup("it does not parse as scheme:[//host]/path");
    }
    return NULL;
}

char *
drover__xpath_literal(const char *value)
{
    g_auto(GStrv) parts = NULL;
    GString *literal = NULL;

    if (strchr(value, '\'') == NULL) {
        return g_strdup_printf("'%s'", value);
    }
    if (strchr(value, '"') == NULL) {
        return g_strdup_printf("\"%s\"", value);
    }
    /* XPath 1.0 has no escapes: the apostrophes in double quotes */
    parts = g_strsplit(value, "\'", -1);
    literal = g_string_new("concat(");
    for (char **p = parts; *p != NULL; p++) {
        g_string_append_printf(literal, "%s'%s'", (p == parts) ? "" : ",\"'\",",
                               *p);
    }
    g_string_append_c(literal, ')');
    return g_string_free(literal, FALSE);
}

/* Give the file open as \p fd \p old's SELinux label, if it has one (best
 * effort: without it the policy's default for the directory applies) */
static void
copy_selinux_label(const char *old, int fd)
{
    char label[256];
    ssize_t n = getxattr(old, SELINUX_XATTR, label, sizeof(label));

    if (n > 0) {
        (void) fsetxattr(fd, SELINUX_XATTR, label, (size_t) n, 0);
    }
}

static int
write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return errno;
        }
        data += n;
        len -= (size_t) n;
    }
    return 0;
}

/* What failed, as errno and reason */
static int
failed(GString *reason, int rc, const char *what, const char *path)
{
    g_string_printf(reason, "%s %s: %s", what, path, g_strerror(rc));
    return rc;
}

int
drover__file_replace(const char *path, const char *data, size_t len,
                     mode_t max_mode, GString *reason)
{
    g_autofree char *target = realpath(path, NULL);
    g_autofree char *dir = NULL;
    g_autofree char *base = NULL;
    g_autofree char *tmp = NULL;
    struct stat old;
    bool exists = false;
    mode_t mode = max_mode & 07777;
    int fd = -1;
    int rc = 0;

    if (target == NULL && errno != ENOENT) {
        return failed(reason, errno, "Cannot resolve", path);
    }
    if (target == NULL) { /* a new file (a dangling link's too) */
        target = g_strdup(path);
    } else if (stat(target, &old) < 0) {
        return failed(reason, errno, "Cannot stat", target);
    } else if (!S_ISREG(old.st_mode)) {
        return failed(reason, EINVAL, "Not a regular file:", target);
    } else {
        exists = true;
        mode = old.st_mode & mode;
    }
    dir = g_path_get_dirname(target);
    base = g_path_get_basename(target);
    tmp = g_strdup_printf("%s/.%s.XXXXXX", dir, base);
    /* 0600 from the start: the content is never readable by more */
    fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
        return failed(reason, errno, "Cannot create a file in", dir);
    }
    if (exists && fchown(fd, old.st_uid, old.st_gid) < 0) {
        rc = failed(reason, errno, "Cannot give the old owner to", tmp);
    } else if (fchmod(fd, mode) < 0) {
        rc = failed(reason, errno, "Cannot set the mode of", tmp);
    } else {
        if (exists) {
            copy_selinux_label(target, fd);
        }
        rc = write_all(fd, data, len);
        if (rc != 0) {
            failed(reason, rc, "Cannot write", tmp);
        } else if (fsync(fd) < 0) {
            rc = failed(reason, errno, "Cannot sync", tmp);
        }
    }
    if (close(fd) < 0 && rc == 0) {
        rc = failed(reason, errno, "Cannot write", tmp);
    }
    if (rc == 0 && rename(tmp, target) < 0) {
        rc = failed(reason, errno, "Cannot rename the new file to", target);
    }
    if (rc != 0) {
        g_unlink(tmp);
        return rc;
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) { /* the rename itself on disk (best effort) */
        (void) fsync(fd);
        close(fd);
    }
    return 0;
}

char *
drover__json_string(JsonObject *o, const char *key, const char *fallback)
{
    JsonNode *n = json_object_get_member(o, key);

    return (n != NULL && JSON_NODE_HOLDS_VALUE(n)
            && json_node_get_value_type(n) == G_TYPE_STRING)
               ? g_utf8_make_valid(json_node_get_string(n), -1)
               : g_strdup(fallback);
}

gint64
drover__json_int(JsonObject *o, const char *key)
{
    JsonNode *n = json_object_get_member(o, key);

    return (n != NULL && JSON_NODE_HOLDS_VALUE(n)
            && json_node_get_value_type(n) == G_TYPE_INT64)
               ? json_node_get_int(n)
               : 0;
}

const char *
drover__xml_attr(const xmlNode *node, const char *name)
{
    xmlAttr *a = xmlHasProp((xmlNode *) node, BAD_CAST name);

    if (a == NULL) {
        return NULL;
    }
    return (a->children != NULL) ? (const char *) a->children->content : "";
}

xmlDoc *
drover__xml_read(const char *text, size_t length, const char *name)
{
    if (length > INT_MAX) {
        return NULL;
    }
    return xmlReadMemory(text, (int) length, name, NULL,
                         XML_PARSE_NONET | XML_PARSE_NOERROR
                             | XML_PARSE_NOWARNING);
}
