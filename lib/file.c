/*
 * Reading a file named by the configuration, bounded in size and in time
 * (drover/file.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <drover/file.h>
#include <drover/rc.h>

/* What the worker reads; the worker's alone once the caller gave up */
typedef struct {
    char *path;
    gsize max_bytes;
    mode_t type;   /* S_IFMT bits of a file that is not regular */
    int error;     /* errno, or EFBIG */
    GString *data; /* what was read */
} read_call_t;

static void
read_call_free(gpointer data)
{
    read_call_t *c = data;

    g_free(c->path);
    if (c->data != NULL) {
        g_string_free(c->data, TRUE);
    }
    g_free(c);
}

static int
read_fd(read_call_t *c, int fd)
{
    char buf[8192];

    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            c->error = errno;
            return c->error;
        }
        if (n == 0) {
            return 0;
        }
        if (c->data->len + (gsize) n > c->max_bytes) {
            c->error = EFBIG; /* it grew since fstat(), or /proc says 0 */
            return c->error;
        }
        g_string_append_len(c->data, buf, n);
    }
}

static int
read_call(void *data)
{
    read_call_t *c = data;
    struct stat st;
    int fd = -1;
    int rc;

    /* stat() first: open() of a FIFO would wait for a writer */
    if (stat(c->path, &st) != 0) {
        c->error = errno;
        return c->error;
    }
    if (!S_ISREG(st.st_mode)) {
        c->type = st.st_mode & S_IFMT;
        return DROVER_RC_CONFIG;
    }
    fd = open(c->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        c->error = errno;
        return c->error;
    }
    /* what was opened, not what was there a moment ago */
    if (fstat(fd, &st) != 0) {
        c->error = errno;
        close(fd);
        return c->error;
    }
    if (!S_ISREG(st.st_mode)) {
        c->type = st.st_mode & S_IFMT;
        close(fd);
        return DROVER_RC_CONFIG;
    }
    if (st.st_size > 0 && (guint64) st.st_size > c->max_bytes) {
        c->error = EFBIG;
        close(fd);
        return c->error;
    }
    c->data = g_string_sized_new(MIN((gsize) st.st_size, c->max_bytes) + 1);
    rc = read_fd(c, fd);
    close(fd);
    return rc;
}

/* "4 MiB", "4 KiB", "4097 bytes" */
static char *
size_text(gsize bytes)
{
    if (bytes > 0 && bytes % (1024 * 1024) == 0) {
        return g_strdup_printf("%" G_GSIZE_FORMAT " MiB", bytes / 1024 / 1024);
    }
    if (bytes > 0 && bytes % 1024 == 0) {
        return g_strdup_printf("%" G_GSIZE_FORMAT " KiB", bytes / 1024);
    }
    return g_strdup_printf("%" G_GSIZE_FORMAT " bytes", bytes);
}

static const char *
type_name(mode_t type)
{
    switch (type) {
        case S_IFDIR: return "a directory";
        case S_IFIFO: return "a FIFO";
        case S_IFCHR: return "a character device";
        case S_IFBLK: return "a block device";
        case S_IFSOCK: return "a socket";
        default: return "a special file";
    }
}

int
drover_file_read(const char *path, gsize max_bytes, drover_deadline_t deadline,
                 char **contents, gsize *length, GString *reason)
{
    gint64 started = g_get_monotonic_time();
    read_call_t *c = NULL;
    int rc;

    *contents = NULL;
    if (length != NULL) {
        *length = 0;
    }
    if (drover_deadline_passed(deadline)) {
        if (reason != NULL) {
            g_string_printf(reason, "%s: not read, out of time", path);
        }
        return DROVER_RC_TIMEOUT;
    }
    c = g_new0(read_call_t, 1);
    c->path = g_strdup(path);
    c->max_bytes = max_bytes;
    rc = drover_deadline_run(deadline, read_call, c, read_call_free);
    if (rc == DROVER_RC_TIMEOUT) {
        /* the worker owns c */
        if (reason != NULL) {
            g_string_printf(reason,
                            "%s: its file system did not answer within "
                            "%" G_GINT64_FORMAT " ms",
                            path, (g_get_monotonic_time() - started) / 1000);
        }
        return rc;
    }
    if (rc == 0) {
        if (length != NULL) {
            *length = c->data->len;
        }
        *contents = g_string_free(g_steal_pointer(&c->data), FALSE);
    } else if (reason != NULL) {
        if (rc == DROVER_RC_CONFIG) {
            g_string_printf(reason, "%s is %s, not a regular file", path,
                            type_name(c->type));
        } else if (rc == EFBIG) {
            g_autofree char *cap = size_text(max_bytes);

            g_string_printf(reason, "%s is larger than %s, the most it may be",
                            path, cap);
        } else {
            g_string_printf(reason, "%s: %s", path, drover_rc_str(rc));
        }
    }
    read_call_free(c);
    return rc;
}
