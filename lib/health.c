/*
 * Health checks (drover/health.h).  Every call that can block runs in a
 * bounded worker (drover_deadline_run): a SIGSTOPped daemon makes a check
 * critical at its deadline, it never hangs the caller.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>

#include <corosync/quorum.h>
#include <gio/gio.h>
#include <libvirt/libvirt.h>

#include <drover/cib.h>
#include <drover/health.h>
#include <drover/rc.h>
#include <drover/virt.h>

const char *
drover_health_str(drover_health_t status)
{
    static const char *const names[] = {
        [DROVER_HEALTH_OK] = "ok",
        [DROVER_HEALTH_WARNING] = "warning",
        [DROVER_HEALTH_CRITICAL] = "critical",
        [DROVER_HEALTH_UNKNOWN] = "unknown",
    };

    return names[status];
}

void
drover_health_result_free(gpointer data)
{
    drover_health_result_t *r = data;

    if (r != NULL) {
        g_free(r->subject);
        g_free(r->reason);
        g_free(r);
    }
}

static drover_health_result_t *
result(const char *check, const char *subject, gint64 started,
       drover_health_t status, char *reason)
{
    drover_health_result_t *r = g_new0(drover_health_result_t, 1);

    r->check = check;
    r->subject = g_strdup(subject);
    r->status = status;
    r->reason = reason;
    r->ms = (g_get_monotonic_time() - started) / 1000;
    return r;
}

/* "not answering within 2500 ms" for a call cut short at its deadline */
static char *
not_answering(gint64 started)
{
    return g_strdup_printf("not answering within %" G_GINT64_FORMAT " ms",
                           (g_get_monotonic_time() - started) / 1000);
}

/* ------------------------------------------------------------------ */
/* libvirt                                                            */
/* ------------------------------------------------------------------ */

typedef struct {
    char *uri;
    char *error;
    int domains;
} libvirt_call_t;

static void
libvirt_call_free(gpointer data)
{
    libvirt_call_t *c = data;

    g_free(c->uri);
    g_free(c->error);
    g_free(c);
}

static int
libvirt_call(void *data)
{
    libvirt_call_t *c = data;
    virConnectPtr conn = NULL;
    virDomainPtr *domains = NULL;
    int rc = drover_virt_open(c->uri, &conn);

    if (rc != 0) {
        c->error = g_strdup(drover_virt_error());
        return rc;
    }
    c->domains = virConnectListAllDomains(conn, &domains, 0);
    if (c->domains < 0) {
        c->error = g_strdup(drover_virt_error());
        rc = DROVER_RC_ERROR;
    }
    for (int i = 0; i < c->domains; i++) {
        virDomainFree(domains[i]);
    }
    free(domains);
    virConnectClose(conn);
    return rc;
}

drover_health_result_t *
drover_health_libvirt(const char *uri, drover_deadline_t deadline)
{
    gint64 started = g_get_monotonic_time();
    libvirt_call_t *c = g_new0(libvirt_call_t, 1);
    drover_health_result_t *r = NULL;
    int rc;

    drover_virt_init();
    c->uri = g_strdup(uri);
    rc = drover_deadline_run(deadline, libvirt_call, c, libvirt_call_free);
    if (rc == DROVER_RC_TIMEOUT) {
        return result("libvirt", uri, started, DROVER_HEALTH_CRITICAL,
                      not_answering(started)); /* the worker owns c */
    }
    if (rc != 0) {
        r = result("libvirt", uri, started, DROVER_HEALTH_CRITICAL,
                   g_strdup_printf("cannot connect: %s",
                                   (c->error != NULL) ? c->error : "?"));
    } else {
        r = result("libvirt", uri, started, DROVER_HEALTH_OK,
                   g_strdup_printf("answers (%d domain(s))", c->domains));
    }
    libvirt_call_free(c);
    return r;
}

/* ------------------------------------------------------------------ */
/* Corosync                                                           */
/* ------------------------------------------------------------------ */

typedef struct {
    cs_error_t error;
    int quorate;
} quorum_call_t;

static int
quorum_call(void *data)
{
    quorum_call_t *c = data;
    quorum_handle_t handle = 0;
    uint32_t type = 0;

    c->error = quorum_initialize(&handle, NULL, &type);
    if (c->error != CS_OK) {
        return drover_rc_from_cs(c->error);
    }
    c->error = quorum_getquorate(handle, &c->quorate);
    quorum_finalize(handle);
    return (c->error == CS_OK) ? 0 : drover_rc_from_cs(c->error);
}

drover_health_result_t *
drover_health_corosync(drover_deadline_t deadline)
{
    gint64 started = g_get_monotonic_time();
    quorum_call_t *c = g_new0(quorum_call_t, 1);
    drover_health_result_t *r = NULL;
    int rc = drover_deadline_run(deadline, quorum_call, c, g_free);

    if (rc == DROVER_RC_TIMEOUT) {
        return result("corosync", "quorum", started, DROVER_HEALTH_CRITICAL,
                      not_answering(started));
    }
    if (rc != 0) {
        r = result("corosync", "quorum", started, DROVER_HEALTH_CRITICAL,
                   g_strdup_printf("not running: %s", cs_strerror(c->error)));
    } else if (!c->quorate) {
        r = result("corosync", "quorum", started, DROVER_HEALTH_CRITICAL,
                   g_strdup("this node's partition has no quorum"));
    } else {
        r = result("corosync", "quorum", started, DROVER_HEALTH_OK,
                   g_strdup("member of a quorate partition"));
    }
    g_free(c);
    return r;
}

/* ------------------------------------------------------------------ */
/* Pacemaker's CIB                                                    */
/* ------------------------------------------------------------------ */

drover_health_result_t *
drover_health_cib(drover_deadline_t deadline)
{
    gint64 started = g_get_monotonic_time();
    g_autoptr(drover_cib_t) cib = NULL;
    int rc = drover_cib_query(deadline, &cib);

    if (rc == DROVER_RC_TIMEOUT) {
        return result("cib", "pacemaker-based", started, DROVER_HEALTH_CRITICAL,
                      not_answering(started));
    }
    if (rc != 0) {
        return result("cib", "pacemaker-based", started, DROVER_HEALTH_CRITICAL,
                      g_strdup_printf("cannot query: %s", drover_rc_str(rc)));
    }
    return result("cib", "pacemaker-based", started, DROVER_HEALTH_OK,
                  g_strdup("answers"));
}

/* ------------------------------------------------------------------ */
/* The node's name                                                    */
/* ------------------------------------------------------------------ */

typedef struct {
    char *node;
    int error;          /* getaddrinfo's */
    GPtrArray *address; /* char *, as text */
    char *reverse;      /* the first address's name, or NULL */
} name_call_t;

static void
name_call_free(gpointer data)
{
    name_call_t *c = data;

    g_free(c->node);
    g_ptr_array_unref(c->address);
    g_free(c->reverse);
    g_free(c);
}

static int
name_call(void *data)
{
    name_call_t *c = data;
    struct addrinfo hints = { .ai_family = AF_UNSPEC,
                              .ai_socktype = SOCK_STREAM };
    struct addrinfo *list = NULL;
    char host[NI_MAXHOST];

    c->error = getaddrinfo(c->node, NULL, &hints, &list);
    if (c->error != 0) {
        return DROVER_RC_NO_SUCH;
    }
    for (struct addrinfo *a = list; a != NULL; a = a->ai_next) {
        if (getnameinfo(a->ai_addr, a->ai_addrlen, host, sizeof(host), NULL, 0,
                        NI_NUMERICHOST)
            == 0) {
            g_ptr_array_add(c->address, g_strdup(host));
        }
    }
    if (list != NULL
        && getnameinfo(list->ai_addr, list->ai_addrlen, host, sizeof(host),
                       NULL, 0, NI_NAMEREQD)
               == 0) {
        c->reverse = g_strdup(host);
    }
    freeaddrinfo(list);
    return 0;
}

static bool
is_loopback(const char *text)
{
    g_autoptr(GInetAddress) a = g_inet_address_new_from_string(text);

    return a != NULL && g_inet_address_get_is_loopback(a);
}

/* Whether \p text is an address of one of this host's interfaces */
static bool
is_local(const char *text)
{
    g_autoptr(GInetAddress) want = g_inet_address_new_from_string(text);
    struct ifaddrs *list = NULL;
    bool found = false;

    if (want == NULL || getifaddrs(&list) != 0) {
        return false;
    }
    for (struct ifaddrs *i = list; i != NULL && !found; i = i->ifa_next) {
        g_autoptr(GSocketAddress) sa = NULL;

        if (i->ifa_addr == NULL
            || (i->ifa_addr->sa_family != AF_INET
                && i->ifa_addr->sa_family != AF_INET6)) {
            continue;
        }
        sa = g_socket_address_new_from_native(
            i->ifa_addr, (i->ifa_addr->sa_family == AF_INET)
                             ? sizeof(struct sockaddr_in)
                             : sizeof(struct sockaddr_in6));
        found =
            (sa != NULL
             && g_inet_address_equal(want, g_inet_socket_address_get_address(
                                               G_INET_SOCKET_ADDRESS(sa))));
    }
    freeifaddrs(list);
    return found;
}

/* "n1" and "n1.example.org" name the same host */
static bool
same_host(const char *a, const char *b)
{
    size_t la = strcspn(a, ".");
    size_t lb = strcspn(b, ".");

    return la == lb && g_ascii_strncasecmp(a, b, la) == 0;
}

drover_health_result_t *
drover_health_name(const char *node, bool local, drover_deadline_t deadline)
{
    gint64 started = g_get_monotonic_time();
    name_call_t *c = g_new0(name_call_t, 1);
    drover_health_result_t *r = NULL;
    const char *first = NULL;
    int rc;

    c->node = g_strdup(node);
    c->address = g_ptr_array_new_with_free_func(g_free);
    rc = drover_deadline_run(deadline, name_call, c, name_call_free);
    if (rc == DROVER_RC_TIMEOUT) {
        return result(
            "name", node, started, DROVER_HEALTH_CRITICAL,
            g_strdup_printf("resolving it took longer than "
                            "%" G_GINT64_FORMAT " ms",
                            (g_get_monotonic_time() - started) / 1000));
    }
    first = (c->address->len > 0) ? g_ptr_array_index(c->address, 0) : NULL;
    if (rc != 0 || first == NULL) {
        r = result(
            "name", node, started, DROVER_HEALTH_CRITICAL,
            g_strdup_printf("does not resolve: %s",
                            (rc != 0) ? gai_strerror(c->error) : "no address"));
    } else if (is_loopback(first)) {
        r = result("name", node, started, DROVER_HEALTH_CRITICAL,
                   g_strdup_printf("resolves to the loopback address %s (an "
                                   "/etc/hosts line such as Debian's "
                                   "127.0.1.1): peers cannot reach it by "
                                   "name",
                                   first));
    } else if (local && !is_local(first)) {
        r = result("name", node, started, DROVER_HEALTH_CRITICAL,
                   g_strdup_printf("resolves to %s, which is not an address "
                                   "of this host",
                                   first));
    } else if (c->reverse == NULL) {
        r = result("name", node, started, DROVER_HEALTH_WARNING,
                   g_strdup_printf("resolves to %s, which has no name "
                                   "(reverse lookup)",
                                   first));
    } else if (!same_host(c->reverse, node)) {
        r = result("name", node, started, DROVER_HEALTH_WARNING,
                   g_strdup_printf("resolves to %s, whose name is %s", first,
                                   c->reverse));
    } else {
        r = result("name", node, started, DROVER_HEALTH_OK,
                   g_strdup_printf("resolves to %s and back", first));
    }
    name_call_free(c);
    return r;
}

/* ------------------------------------------------------------------ */
/* All of them, and how they are shown                                */
/* ------------------------------------------------------------------ */

/* An equal share of what is left of \p deadline for each of \p left
 * checks: a hung one cannot eat the others' time */
static drover_deadline_t
share(drover_deadline_t deadline, int left)
{
    return drover_deadline_in_ms(drover_deadline_remaining_ms(deadline) / left);
}

GPtrArray *
drover_health_local(const char *node, const char *libvirt_uri,
                    drover_deadline_t deadline)
{
    GPtrArray *results =
        g_ptr_array_new_with_free_func(drover_health_result_free);

    g_ptr_array_add(results,
                    drover_health_libvirt(libvirt_uri, share(deadline, 4)));
    g_ptr_array_add(results, drover_health_corosync(share(deadline, 3)));
    g_ptr_array_add(results, drover_health_cib(share(deadline, 2)));
    g_ptr_array_add(results, drover_health_name(node, true, deadline));
    return results;
}

drover_health_t
drover_health_worst(const GPtrArray *results)
{
    drover_health_t worst = DROVER_HEALTH_OK;

    for (guint i = 0; i < results->len; i++) {
        const drover_health_result_t *r = g_ptr_array_index(results, i);

        worst = MAX(worst, r->status);
    }
    return worst;
}

char *
drover_health_nagios(const GPtrArray *results)
{
    drover_health_t worst = drover_health_worst(results);
    g_autoptr(GString) problems = g_string_new(NULL);
    g_autoptr(GString) perf = g_string_new(NULL);
    GString *out = g_string_new(NULL);

    for (guint i = 0; i < results->len; i++) {
        const drover_health_result_t *r = g_ptr_array_index(results, i);

        if (r->status != DROVER_HEALTH_OK) {
            g_string_append_printf(problems, "%s%s %s: %s",
                                   (problems->len > 0) ? ", " : "", r->check,
                                   r->subject, r->reason);
        }
        g_string_append_printf(perf, " %s=%" G_GINT64_FORMAT "ms;;;0", r->check,
                               r->ms);
    }
    g_string_append_printf(out, "DROVER %s - ",
                           (worst == DROVER_HEALTH_OK)         ? "OK"
                           : (worst == DROVER_HEALTH_WARNING)  ? "WARNING"
                           : (worst == DROVER_HEALTH_CRITICAL) ? "CRITICAL"
                                                               : "UNKNOWN");
    if (problems->len > 0) {
        g_string_append(out, problems->str);
    } else {
        g_string_append_printf(out, "%u checks ok", results->len);
    }
    /* '|' separates perfdata: none in the text */
    g_strdelimit(out->str, "|", '/');
    g_string_append_printf(out, " |%s\n", perf->str);
    for (guint i = 0; i < results->len; i++) {
        const drover_health_result_t *r = g_ptr_array_index(results, i);
        g_autofree char *line =
            g_strdup_printf("%s %s: %s: %s", r->check, r->subject,
                            drover_health_str(r->status), r->reason);

        g_strdelimit(line, "|", '/');
        g_string_append_printf(out, "%s\n", line);
    }
    return g_string_free(out, FALSE);
}

/* A label value: backslash, double quote and newline escaped */
static void
append_label(GString *out, const char *value)
{
    for (const char *p = value; *p != '\0'; p++) {
        if (*p == '\\' || *p == '"') {
            g_string_append_c(out, '\\');
            g_string_append_c(out, *p);
        } else if (*p == '\n') {
            g_string_append(out, "\\n");
        } else {
            g_string_append_c(out, *p);
        }
    }
}

char *
drover_health_prometheus(const GPtrArray *results, const char *node)
{
    GString *out = g_string_new(NULL);
    static const char *const metrics[][2] = {
        { "drover_health_status",
          "Result of a drover health check: 0 ok, 1 warning, 2 critical, 3 "
          "unknown" },
        { "drover_health_check_seconds", "How long a drover health check "
                                         "took" },
    };

    for (guint m = 0; m < G_N_ELEMENTS(metrics); m++) {
        g_string_append_printf(out, "# HELP %s %s\n# TYPE %s gauge\n",
                               metrics[m][0], metrics[m][1], metrics[m][0]);
        for (guint i = 0; i < results->len; i++) {
            const drover_health_result_t *r = g_ptr_array_index(results, i);

            g_string_append_printf(out, "%s{node=\"", metrics[m][0]);
            append_label(out, node);
            g_string_append(out, "\",check=\"");
            append_label(out, r->check);
            if (m == 0) {
                g_string_append_printf(out, "\"} %d\n", (int) r->status);
            } else {
                g_string_append_printf(out, "\"} %.3f\n", r->ms / 1000.0);
            }
        }
    }
    return g_string_free(out, FALSE);
}
