/*
 * Health checks: libvirt answering (its test driver), a daemon that
 * accepts and never answers (reported at the deadline, not waited for),
 * name resolution, the monitoring formats, known_hosts, and a node's entry
 * in a real OpenLDAP slapd on loopback (Debian's slapd package).
 */
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gnutls/x509.h>
#include <ldap.h>

#include <drover/health.h>
#include <drover/rc.h>

#include "unit.h"

/* --- files named in the CIB: never waited for ------------------------- */

/* A FIFO with no writer where a file is expected: open() alone would wait
 * for a writer for ever, as a read from a hung NFS mount does */
static char *
make_fifo(const char *dir, const char *name)
{
    char *path = g_build_filename(dir, name, NULL);

    ck_assert_int_eq(mkfifo(path, 0600), 0);
    return path;
}

static void
remove_dir(const char *dir)
{
    const char *argv[] = { "rm", "-rf", dir, NULL };

    g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                 NULL, NULL, NULL, NULL);
}

static const drover_health_result_t *
nth(const GPtrArray *results, guint i)
{
    ck_assert_uint_gt(results->len, i);
    return g_ptr_array_index(results, i);
}

/* A reason is "<path>" then \p rest */
static void
assert_reason(const drover_health_result_t *r, const char *path,
              const char *rest)
{
    ck_assert_msg(g_str_has_prefix(r->reason, path)
                      && strstr(r->reason + strlen(path), rest) != NULL,
                  "reason: %s (expected %s ...%s...)", r->reason, path, rest);
}

START_TEST(libvirt_answers)
{
    drover_health_result_t *r =
        drover_health_libvirt("test:///default", drover_deadline_in_ms(5000));

    ck_assert_int_eq(r->status, DROVER_HEALTH_OK);
    ck_assert_str_eq(r->reason, "answers (1 domain(s))");
    drover_health_result_free(r);
}
END_TEST

/* No daemon at all: "not running", once it has been asked again for half
 * the check's time (a restarting libvirtd is back within it) */
START_TEST(libvirt_not_running)
{
    gint64 started = g_get_monotonic_time();
    drover_health_result_t *r = drover_health_libvirt(
        "qemu+unix:///system?socket=/nonexistent/libvirt-sock",
        drover_deadline_in_ms(3000));
    gint64 took_ms = (g_get_monotonic_time() - started) / 1000;

    ck_assert_int_eq(r->status, DROVER_HEALTH_CRITICAL);
    ck_assert_msg(g_str_has_prefix(r->reason, "not running: "), "%s",
                  r->reason);
    ck_assert_int_ge(took_ms, 1000);
    ck_assert_int_lt(took_ms, 3000);
    drover_health_result_free(r);
}
END_TEST

/* A socket that takes connections and never says a word: a SIGSTOPped
 * libvirtd looks like this */
START_TEST(hung_daemon_is_critical_at_the_deadline)
{
    g_autofree char *dir = g_dir_make_tmp("drover-health-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "sock", NULL);
    g_autofree char *uri =
        g_strdup_printf("qemu+unix:///system?socket=%s", path);
    g_autoptr(GSocket) sock =
        g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                     G_SOCKET_PROTOCOL_DEFAULT, NULL);
    g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
    gint64 started = g_get_monotonic_time();
    drover_health_result_t *r = NULL;
    gint64 took_ms;

    ck_assert(g_socket_bind(sock, addr, TRUE, NULL));
    ck_assert(g_socket_listen(sock, NULL));
    r = drover_health_libvirt(uri, drover_deadline_in_ms(500));
    took_ms = (g_get_monotonic_time() - started) / 1000;
    ck_assert_int_eq(r->status, DROVER_HEALTH_CRITICAL);
    ck_assert_msg(g_str_has_prefix(r->reason, "not answering within "),
                  "reason: %s", r->reason);
    ck_assert_int_ge(took_ms, 500);
    ck_assert_int_lt(took_ms, 550 + 200); /* the deadline, +10 %, + slack */
    drover_health_result_free(r);
    g_unlink(path);
    g_rmdir(dir);
}
END_TEST

/* Corosync answering, then stopped (SIGSTOP): critical at the deadline */
START_TEST(corosync_quorum)
{
    unit_corosync_t *c = unit_corosync_start();
    drover_health_result_t *r = NULL;
    gint64 started;
    gint64 took_ms;

    if (c == NULL) {
        return;
    }
    unit_corosync_enter(c);
    r = drover_health_corosync(drover_deadline_in_ms(3000));
    ck_assert_msg(r->status == DROVER_HEALTH_OK, "%s", r->reason);
    ck_assert_str_eq(r->reason, "member of a quorate partition");
    drover_health_result_free(r);

    ck_assert_int_eq(kill(c->pid, SIGSTOP), 0);
    started = g_get_monotonic_time();
    r = drover_health_corosync(drover_deadline_in_ms(300));
    took_ms = (g_get_monotonic_time() - started) / 1000;
    ck_assert_int_eq(r->status, DROVER_HEALTH_CRITICAL);
    ck_assert_msg(g_str_has_prefix(r->reason, "not answering within "), "%s",
                  r->reason);
    ck_assert_int_ge(took_ms, 300);
    ck_assert_int_lt(took_ms, 1000);
    drover_health_result_free(r);
    unit_corosync_leave(c);
    unit_corosync_stop(c); /* the worker left behind gets an error */
    g_usleep(200 * 1000);
}
END_TEST

START_TEST(names)
{
    drover_health_result_t *r =
        drover_health_name("localhost", false, drover_deadline_in_ms(3000));

    ck_assert_int_eq(r->status, DROVER_HEALTH_CRITICAL);
    ck_assert_msg(strstr(r->reason, "loopback address") != NULL, "reason: %s",
                  r->reason);
    drover_health_result_free(r);
    /* .invalid never resolves (RFC 2606) */
    r = drover_health_name("drover-test.invalid", false,
                           drover_deadline_in_ms(3000));
    ck_assert_int_eq(r->status, DROVER_HEALTH_CRITICAL);
    drover_health_result_free(r);
}
END_TEST

static drover_health_result_t *
fake_of(const char *node, const char *check, const char *subject,
        drover_health_t status, const char *reason, gint64 ms)
{
    drover_health_result_t *r = g_new0(drover_health_result_t, 1);

    r->node = g_strdup(node);
    r->check = g_strdup(check);
    r->subject = g_strdup(subject);
    r->status = status;
    r->reason = g_strdup(reason);
    r->ms = ms;
    return r;
}

static drover_health_result_t *
fake(const char *check, const char *subject, drover_health_t status,
     const char *reason, gint64 ms)
{
    return fake_of("n\"3", check, subject, status, reason, ms);
}

START_TEST(monitoring_formats)
{
    g_autoptr(GPtrArray) results =
        g_ptr_array_new_with_free_func(drover_health_result_free);
    g_autofree char *nagios = NULL;
    g_autofree char *prometheus = NULL;

    g_ptr_array_add(results, fake("libvirt", "qemu:///system", DROVER_HEALTH_OK,
                                  "answers", 3));
    g_ptr_array_add(results, fake("name", "n3", DROVER_HEALTH_WARNING,
                                  "resolves to 10.0.0.3 | odd", 12));
    nagios = drover_health_nagios(results);
    ck_assert_str_eq(nagios,
                     "DROVER WARNING - name n3: resolves to 10.0.0.3 / odd "
                     "| libvirt=3ms;;;0 name=12ms;;;0\n"
                     "libvirt qemu:///system: ok: answers\n"
                     "name n3: warning: resolves to 10.0.0.3 / odd\n");
    ck_assert_int_eq(drover_health_worst(results), DROVER_HEALTH_WARNING);
    prometheus = drover_health_prometheus(results);
    ck_assert_msg(strstr(prometheus, "# TYPE drover_health_status gauge\n"
                                     "drover_health_status{node=\"n\\\"3\","
                                     "check=\"libvirt\",subject=\"qemu:///"
                                     "system\"} 0\n")
                      != NULL,
                  "%s", prometheus);
    ck_assert_msg(strstr(prometheus, "drover_health_check_seconds{node="
                                     "\"n\\\"3\",check=\"name\",subject="
                                     "\"n3\"} 0.012\n")
                      != NULL,
                  "%s", prometheus);
    ck_assert_str_eq(drover_health_color(DROVER_HEALTH_WARNING), "yellow");
    ck_assert_str_eq(drover_health_color(DROVER_HEALTH_CRITICAL), "red");
    ck_assert_str_eq(drover_health_color(DROVER_HEALTH_OK), "green");
}
END_TEST

/* Several nodes (--all), several checks of one kind: each line says whose,
 * perfdata labels are quoted and unique */
START_TEST(several_nodes_in_nagios)
{
    g_autoptr(GPtrArray) results =
        g_ptr_array_new_with_free_func(drover_health_result_free);
    g_autofree char *nagios = NULL;
    g_autofree char *problems = NULL;

    g_ptr_array_add(results,
                    fake_of("n1", "network", "lm1 n2", DROVER_HEALTH_CRITICAL,
                            "MTU mismatch: 1500 here, 9000 on n2", 1));
    g_ptr_array_add(results,
                    fake_of("n2", "network", "lm1 n1", DROVER_HEALTH_CRITICAL,
                            "MTU mismatch: 9000 here, 1500 on n1", 2));
    g_ptr_array_add(results, fake_of("n2", "libvirt", "qemu:///system",
                                     DROVER_HEALTH_OK, "answers", 3));
    nagios = drover_health_nagios(results);
    ck_assert_str_eq(nagios,
                     "DROVER CRITICAL - n1: network lm1 n2: MTU mismatch: "
                     "1500 here, 9000 on n2; n2: network lm1 n1: MTU mismatch: "
                     "9000 here, 1500 on n1 | 'n1 network lm1 n2'=1ms;;;0 "
                     "'n2 network lm1 n1'=2ms;;;0 libvirt=3ms;;;0\n"
                     "n1: network lm1 n2: critical: MTU mismatch: 1500 here, "
                     "9000 on n2\n"
                     "n2: network lm1 n1: critical: MTU mismatch: 9000 here, "
                     "1500 on n1\n"
                     "n2: libvirt qemu:///system: ok: answers\n");
    g_ptr_array_remove_index(results, 0);
    problems = drover_health_problems(results);
    ck_assert_str_eq(problems,
                     "network lm1 n1: MTU mismatch: 9000 here, 1500 on n1");
}
END_TEST

/* What NodeHealth publishes reads back the same; garbage is refused */
START_TEST(report_round_trip)
{
    g_autoptr(GPtrArray) results =
        g_ptr_array_new_with_free_func(drover_health_result_free);
    g_autoptr(GPtrArray) back = NULL;
    g_autofree char *text = NULL;
    const drover_health_result_t *r = NULL;
    gint64 at = 0;

    g_ptr_array_add(results,
                    fake_of("n2", "libvirt", "qemu:///system",
                            DROVER_HEALTH_CRITICAL,
                            "not answering within 1000 ms \"quoted\"", 1000));
    text = drover_health_report_format(results, "n2", 1790000000);
    ck_assert_int_eq(drover_health_report_parse(text, &back, &at), 0);
    ck_assert_int_eq(at, 1790000000);
    ck_assert_uint_eq(back->len, 1);
    r = g_ptr_array_index(back, 0);
    ck_assert_str_eq(r->node, "n2");
    ck_assert_str_eq(r->check, "libvirt");
    ck_assert_int_eq(r->status, DROVER_HEALTH_CRITICAL);
    ck_assert_str_eq(r->reason, "not answering within 1000 ms \"quoted\"");
    ck_assert_int_eq(r->ms, 1000);
    g_clear_pointer(&back, g_ptr_array_unref);
    ck_assert_int_ne(
        drover_health_report_parse("{\"node\":\"n2\"}", &back, &at), 0);
    ck_assert_ptr_null(back);
    ck_assert_int_ne(
        drover_health_report_parse("{\"node\":\"n2\",\"checks\":[{\"status\":"
                                   "\"fine\"}]}",
                                   &back, &at),
        0);
    ck_assert_int_ne(drover_health_report_parse("not json", &back, &at), 0);
}
END_TEST

/* A published report of \p node: one check with \p status, made at \p at */
static char *
report_of(const char *node, const char *check, drover_health_t status,
          gint64 at)
{
    g_autoptr(GPtrArray) results =
        g_ptr_array_new_with_free_func(drover_health_result_free);

    g_ptr_array_add(results, fake_of(node, check, "x", status, "seen", 1));
    return drover_health_report_format(results, node, at);
}

/* Red needs a cause of the node's own: a check failing on every node (a
 * shared cause, the cluster's configuration) is a warning, never red */
START_TEST(shared_cause_is_not_red)
{
    static const struct {
        const char *peer_tls;   /* NULL: the peer has not reported */
        drover_health_t peer;   /* the peer's tls result */
        gint64 age_s;           /* of the peer's report */
        drover_health_t expect; /* this node's tls result after */
    } rows[] = {
        { "n2", DROVER_HEALTH_OK, 5, DROVER_HEALTH_CRITICAL },
        /* a peer's warning may be its own demoted red: no pass */
        { "n2", DROVER_HEALTH_WARNING, 5, DROVER_HEALTH_WARNING },
        { "n2", DROVER_HEALTH_CRITICAL, 5, DROVER_HEALTH_WARNING },
        { "n2", DROVER_HEALTH_UNKNOWN, 5, DROVER_HEALTH_WARNING },
        { "n2", DROVER_HEALTH_OK, DROVER_HEALTH_PEER_MAX_AGE_S + 1,
          DROVER_HEALTH_WARNING },
        { "n1", DROVER_HEALTH_OK, 5, DROVER_HEALTH_WARNING }, /* itself */
        { NULL, DROVER_HEALTH_OK, 0, DROVER_HEALTH_WARNING },
    };
    const gint64 now = 1790000000;

    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autoptr(GPtrArray) results =
            g_ptr_array_new_with_free_func(drover_health_result_free);
        g_autoptr(GHashTable) reports =
            g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
        const drover_health_result_t *tls = NULL;
        const drover_health_result_t *libvirt = NULL;
        guint demoted = 0;

        g_ptr_array_add(results,
                        fake_of("n1", "tls", "/etc/pki", DROVER_HEALTH_CRITICAL,
                                "no certificate", 1));
        g_ptr_array_add(results, fake_of("n1", "libvirt", "qemu:///system",
                                         DROVER_HEALTH_CRITICAL, "down", 1));
        if (rows[i].peer_tls != NULL) {
            g_hash_table_insert(reports, (char *) rows[i].peer_tls,
                                report_of(rows[i].peer_tls, "tls", rows[i].peer,
                                          now - rows[i].age_s));
        }
        /* a third node whose libvirt is fine: that one stays red */
        g_hash_table_insert(reports, (char *) "n3",
                            report_of("n3", "libvirt", DROVER_HEALTH_OK, now));
        demoted = drover_health_demote_shared(results, "n1", reports, now);
        tls = g_ptr_array_index(results, 0);
        libvirt = g_ptr_array_index(results, 1);
        ck_assert_msg(tls->status == rows[i].expect, "row %zu: tls %s", i,
                      drover_health_str(tls->status));
        ck_assert_int_eq(libvirt->status, DROVER_HEALTH_CRITICAL);
        ck_assert_uint_eq(demoted,
                          (rows[i].expect == DROVER_HEALTH_WARNING) ? 1 : 0);
        if (demoted > 0) {
            ck_assert_ptr_nonnull(strstr(tls->reason, "no certificate (not "
                                                      "red: no other node "
                                                      "passes the tls check"));
        }
    }
    /* no reports at all: nothing is red */
    {
        g_autoptr(GPtrArray) results =
            g_ptr_array_new_with_free_func(drover_health_result_free);

        g_ptr_array_add(results, fake_of("n1", "libvirt", "qemu:///system",
                                         DROVER_HEALTH_CRITICAL, "down", 1));
        ck_assert_uint_eq(drover_health_demote_shared(results, "n1", NULL, now),
                          1);
        ck_assert_int_eq(drover_health_worst(results), DROVER_HEALTH_WARNING);
    }
}
END_TEST

static void
count_message(const char *domain, GLogLevelFlags level, const char *message,
              gpointer data)
{
    (void) domain;
    (void) level;
    (void) message;
    (*(int *) data)++;
}

/* Reports of another node are outside input: a blank text, a member of
 * another type, a string that is not UTF-8 (found by fuzz_health_report:
 * json-glib's getters asserted on them, a number for "check" gave a NULL
 * string, and a byte from an octal escape made a report whose JSON did
 * not parse again) */
START_TEST(report_wrong_types)
{
    g_autoptr(GPtrArray) back = NULL;
    const drover_health_result_t *r = NULL;
    int criticals = 0;
    guint handler = g_log_set_handler("Json", G_LOG_LEVEL_CRITICAL,
                                      count_message, &criticals);
    gint64 at = 7;

    ck_assert_int_eq(drover_health_report_parse("", &back, &at),
                     DROVER_RC_PROTOCOL);
    ck_assert_int_eq(drover_health_report_parse(" \n", &back, &at),
                     DROVER_RC_PROTOCOL);
    ck_assert_int_eq(drover_health_report_parse(
                         "{\"node\":\"n2\",\"checks\":{}}", &back, &at),
                     DROVER_RC_PROTOCOL);
    ck_assert_int_eq(
        drover_health_report_parse("{\"node\":[],\"checks\":[]}", &back, &at),
        DROVER_RC_PROTOCOL);
    ck_assert_int_eq(
        drover_health_report_parse(
            "{\"node\":\"n2\",\"checks\":[{\"status\":{}}]}", &back, &at),
        DROVER_RC_PROTOCOL);
    ck_assert_ptr_null(back);
    ck_assert_int_eq(
        drover_health_report_parse(
            "{\"node\":\"n2\",\"at\":\"x\",\"checks\":[{\"check\":5,"
            "\"subject\":null,\"status\":\"ok\",\"reason\":{},\"ms\":1.5}]}",
            &back, &at),
        0);
    g_log_remove_handler("Json", handler);
    ck_assert_int_eq(criticals, 0);
    ck_assert_int_eq(at, 0);
    ck_assert_uint_eq(back->len, 1);
    r = g_ptr_array_index(back, 0);
    ck_assert_str_eq(r->check, "?");
    ck_assert_str_eq(r->subject, "");
    ck_assert_str_eq(r->reason, "");
    ck_assert_int_eq(r->ms, 0);
    g_clear_pointer(&back, g_ptr_array_unref);
    /* json-glib 1.6 reads "\200" as the byte 0x80: made valid UTF-8 (1.10
     * reads U+0080) */
    ck_assert_int_eq(drover_health_report_parse(
                         "{\"node\":\"n\\200\",\"checks\":[{\"status\":"
                         "\"ok\",\"reason\":\"until 2026 (\\200)\"}]}",
                         &back, &at),
                     0);
    r = g_ptr_array_index(back, 0);
    ck_assert_msg(g_str_equal(r->node, "n\xef\xbf\xbd")
                      || g_str_equal(r->node, "n\xc2\x80"),
                  "node: %s", r->node);
    ck_assert_msg(g_str_equal(r->reason, "until 2026 (\xef\xbf\xbd)")
                      || g_str_equal(r->reason, "until 2026 (\xc2\x80)"),
                  "reason: %s", r->reason);
}
END_TEST

/* OpenSSH's known_hosts: plain, hashed (ssh-keygen -H), patterns,
 * negations, markers */
START_TEST(known_hosts)
{
    const char *text =
        "# comment\n"
        "n1,10.20.0.11 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA\n"
        "|1|AAECAwQFBgcICQoLDA0ODxAREhM=|YNBbJy4XXoOXPzhJKTw9a+2RnjA= "
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB\n"
        "*.lab,!bad.lab ecdsa-sha2-nistp256 AAAAE2VjZHNh\n"
        "@revoked n4 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC\n"
        "@cert-authority n5 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAID\n"
        "n6\n";

    ck_assert(drover_known_hosts_has(text, "n1"));
    ck_assert(drover_known_hosts_has(text, "N1"));
    ck_assert(drover_known_hosts_has(text, "n2")); /* hashed */
    ck_assert(!drover_known_hosts_has(text, "n3"));
    ck_assert(drover_known_hosts_has(text, "n7.lab"));
    ck_assert(!drover_known_hosts_has(text, "bad.lab"));
    ck_assert(!drover_known_hosts_has(text, "n4")); /* revoked only */
    ck_assert(drover_known_hosts_has(text, "n5"));
    ck_assert(!drover_known_hosts_has(text, "n6")); /* no key */
    ck_assert(!drover_known_hosts_has("", "n1"));
}
END_TEST

/* A hosts field that is not UTF-8 aborted the whole check: GLib's
 * pattern matching asserts on it (g_utf8_strreverse, for "n*lab\xe2").
 * Such lines are skipped, and counted. */
START_TEST(known_hosts_not_utf8)
{
    const char *text = "n*lab\xe2 ssh-ed25519 AAAA\n"
                       "\xff\xfe,n2 ssh-ed25519 AAAA\n"
                       "n1 ssh-ed25519 AAAA # \xe9t\xe9\n";
    g_autoptr(GPtrArray) results =
        g_ptr_array_new_with_free_func(drover_health_result_free);
    g_autoptr(GPtrArray) peers = g_ptr_array_new();
    g_autofree char *dir = g_dir_make_tmp("drover-ssh-XXXXXX", NULL);
    g_autofree char *file = g_build_filename(dir, "known_hosts", NULL);
    g_autofree char *want = NULL;

    ck_assert(drover_known_hosts_has(text, "n1")); /* a comment may be */
    ck_assert(!drover_known_hosts_has(text, "n1.lab"));
    ck_assert(!drover_known_hosts_has(text, "n2")); /* on a skipped line */
    ck_assert(!drover_known_hosts_has(text, "n\xe2"));

    ck_assert(g_file_set_contents(file, text, -1, NULL));
    g_ptr_array_add(peers, (gpointer) "n1");
    g_ptr_array_add(peers, (gpointer) "n2");
    drover_health_ssh(file, peers, drover_deadline_in_ms(5000), results);
    ck_assert_uint_eq(results->len, 2);
    ck_assert_int_eq(nth(results, 0)->status, DROVER_HEALTH_OK);
    want = g_strdup_printf("host key known (%s); 2 line(s) of %s skipped: "
                           "host names not UTF-8",
                           file, file);
    ck_assert_str_eq(nth(results, 0)->reason, want);
    ck_assert_int_eq(nth(results, 1)->status, DROVER_HEALTH_WARNING);
    ck_assert_msg(g_str_has_suffix(nth(results, 1)->reason,
                                   "skipped: host names not UTF-8"),
                  "%s", nth(results, 1)->reason);
    remove_dir(dir);
}
END_TEST

/* A peer without a host key is a warning naming the files read */
START_TEST(ssh_peers)
{
    g_autoptr(GPtrArray) results =
        g_ptr_array_new_with_free_func(drover_health_result_free);
    g_autoptr(GPtrArray) peers = g_ptr_array_new();
    g_autofree char *dir = g_dir_make_tmp("drover-ssh-XXXXXX", NULL);
    g_autofree char *file = g_build_filename(dir, "known_hosts", NULL);
    g_autofree char *files = g_strdup_printf("%s /nonexistent", file);
    const drover_health_result_t *r = NULL;

    ck_assert(g_file_set_contents(file, "n1 ssh-ed25519 AAAA\n", -1, NULL));
    g_ptr_array_add(peers, (gpointer) "n1");
    g_ptr_array_add(peers, (gpointer) "n3");
    drover_health_ssh(files, peers, drover_deadline_in_ms(5000), results);
    ck_assert_uint_eq(results->len, 2);
    r = g_ptr_array_index(results, 0);
    ck_assert_int_eq(r->status, DROVER_HEALTH_OK);
    r = g_ptr_array_index(results, 1);
    ck_assert_int_eq(r->status, DROVER_HEALTH_WARNING);
    ck_assert_str_eq(r->subject, "n3");
    ck_assert_msg(g_str_has_prefix(r->reason, "no host key in ")
                      && strstr(r->reason, "known_hosts: migrations over ssh "
                                           "to n3 fail")
                             != NULL,
                  "%s", r->reason);
    g_unlink(file);
    g_rmdir(dir);
}
END_TEST

/* QEMU's migration certificates have names of their own */
START_TEST(tls_migration_names)
{
    g_autoptr(GPtrArray) results =
        g_ptr_array_new_with_free_func(drover_health_result_free);
    const drover_health_result_t *r = NULL;

    drover_health_tls_migration("/nonexistent", "n1", 30,
                                drover_deadline_in_ms(5000), results);
    ck_assert_uint_eq(results->len, 2);
    r = g_ptr_array_index(results, 0);
    ck_assert_str_eq(r->subject, "/nonexistent/server-cert.pem");
    ck_assert_int_eq(r->status, DROVER_HEALTH_CRITICAL);
    ck_assert_str_eq(r->reason, "/nonexistent/server-cert.pem: missing");
    r = g_ptr_array_index(results, 1);
    ck_assert_str_eq(r->subject, "/nonexistent/client-cert.pem");
    ck_assert_int_eq(r->status, DROVER_HEALTH_CRITICAL);
}
END_TEST

START_TEST(tls_files_not_regular)
{
    g_autoptr(GPtrArray) results =
        g_ptr_array_new_with_free_func(drover_health_result_free);
    g_autofree char *dir = g_dir_make_tmp("drover-tls-XXXXXX", NULL);
    g_autofree char *ca = make_fifo(dir, "cacert.pem");
    g_autofree char *server = make_fifo(dir, "servercert.pem");
    g_autofree char *client = make_fifo(dir, "clientcert.pem");

    drover_health_tls(dir, "n1", 30, drover_deadline_in_ms(5000), results);
    ck_assert_uint_eq(results->len, 2);
    ck_assert_int_eq(nth(results, 0)->status, DROVER_HEALTH_CRITICAL);
    ck_assert_str_eq(nth(results, 0)->subject, server);
    assert_reason(nth(results, 0), server, " is a FIFO, not a regular file");
    ck_assert_int_eq(nth(results, 1)->status, DROVER_HEALTH_CRITICAL);
    assert_reason(nth(results, 1), client, " is a FIFO, not a regular file");
    remove_dir(dir);
}
END_TEST

/* The certificates on a file system that does not answer: unknown at the
 * deadline (it says nothing of the certificates) */
START_TEST(tls_hung_file_system)
{
    unit_hang_fs_t *fs = unit_hang_fs_start();
    g_autoptr(GPtrArray) results =
        g_ptr_array_new_with_free_func(drover_health_result_free);
    g_autofree char *dir = NULL;
    gint64 started = g_get_monotonic_time();
    gint64 took_ms;

    if (fs == NULL) {
        return;
    }
    dir = g_path_get_dirname(fs->path);
    drover_health_tls(dir, "n1", 30, drover_deadline_in_ms(300), results);
    took_ms = (g_get_monotonic_time() - started) / 1000;
    ck_assert_int_ge(took_ms, 300);
    ck_assert_int_lt(took_ms, 1000);
    ck_assert_uint_eq(results->len, 2);
    for (guint i = 0; i < 2; i++) {
        const drover_health_result_t *r = nth(results, i);

        ck_assert_int_eq(r->status, DROVER_HEALTH_UNKNOWN);
        /* the CA's read took the time; the others' is out */
        assert_reason(r, r->subject, ": not read, out of time");
    }
    unit_hang_fs_stop(fs);
}
END_TEST

/* known_hosts files: one not regular, one hung; a peer found elsewhere is
 * known, one not found may be in them: unknown, not "no host key" */
static void
check_known_hosts(const char *unread, drover_health_t unread_status,
                  const char *why, gint64 timeout_ms)
{
    g_autoptr(GPtrArray) results =
        g_ptr_array_new_with_free_func(drover_health_result_free);
    g_autoptr(GPtrArray) peers = g_ptr_array_new();
    g_autofree char *dir = g_dir_make_tmp("drover-ssh-XXXXXX", NULL);
    g_autofree char *file = g_build_filename(dir, "known_hosts", NULL);
    g_autofree char *files = g_strdup_printf("%s %s", file, unread);
    gint64 started = g_get_monotonic_time();

    ck_assert(g_file_set_contents(file, "n1 ssh-ed25519 AAAA\n", -1, NULL));
    g_ptr_array_add(peers, (gpointer) "n1");
    g_ptr_array_add(peers, (gpointer) "n3");
    drover_health_ssh(files, peers, drover_deadline_in_ms(timeout_ms), results);
    ck_assert_int_lt(g_get_monotonic_time() - started,
                     (timeout_ms + 700) * 1000);
    ck_assert_uint_eq(results->len, 3);
    ck_assert_str_eq(nth(results, 0)->check, "ssh");
    ck_assert_str_eq(nth(results, 0)->subject, unread);
    ck_assert_int_eq(nth(results, 0)->status, unread_status);
    assert_reason(nth(results, 0), unread, why);
    ck_assert_str_eq(nth(results, 1)->subject, "n1");
    ck_assert_int_eq(nth(results, 1)->status, DROVER_HEALTH_OK);
    ck_assert_str_eq(nth(results, 2)->subject, "n3");
    ck_assert_int_eq(nth(results, 2)->status, DROVER_HEALTH_UNKNOWN);
    ck_assert_msg(strstr(nth(results, 2)->reason,
                         "; not every known_hosts file could be read")
                      != NULL,
                  "%s", nth(results, 2)->reason);
    remove_dir(dir);
}

START_TEST(known_hosts_not_regular)
{
    g_autofree char *dir = g_dir_make_tmp("drover-ssh-XXXXXX", NULL);
    g_autofree char *fifo = make_fifo(dir, "known_hosts");

    check_known_hosts(fifo, DROVER_HEALTH_WARNING,
                      " is a FIFO, not a regular file", 5000);
    remove_dir(dir);
}
END_TEST

START_TEST(known_hosts_hung_file_system)
{
    unit_hang_fs_t *fs = unit_hang_fs_start();

    if (fs == NULL) {
        return;
    }
    check_known_hosts(fs->path, DROVER_HEALTH_UNKNOWN,
                      ": its file system did not answer within ", 300);
    unit_hang_fs_stop(fs);
}
END_TEST

/* The directory check's settings, with the password in \p file */
static GPtrArray *
ldap_from_cib(const char *file, gint64 timeout_ms)
{
    g_autofree char *xml = g_strdup_printf(
        "<cib><configuration><crm_config><cluster_property_set id='o'>"
        "<nvpair id='u' name='drover-health-ldap-uri' "
        "value='ldaps://127.0.0.1:1'/>"
        "<nvpair id='d' name='drover-health-ldap-bind-dn' "
        "value='cn=admin,dc=lab'/>"
        "<nvpair id='p' name='drover-health-ldap-password-file' "
        "value='%s'/>"
        "</cluster_property_set></crm_config><nodes/><resources/>"
        "</configuration><status/></cib>",
        file);
    g_autoptr(drover_cib_t) cib = NULL;
    GPtrArray *results =
        g_ptr_array_new_with_free_func(drover_health_result_free);

    ck_assert_int_eq(drover_cib_from_xml(xml, &cib), 0);
    drover_health_ldap_from_cib(cib, "n1", drover_deadline_in_ms(timeout_ms),
                                results);
    return results;
}

START_TEST(ldap_password_not_regular)
{
    g_autofree char *dir = g_dir_make_tmp("drover-ldap-XXXXXX", NULL);
    g_autofree char *fifo = make_fifo(dir, "secret");
    g_autoptr(GPtrArray) results = ldap_from_cib(fifo, 5000);
    g_autofree char *want = g_strdup_printf(
        "cannot read the password: %s is a FIFO, not a regular file; the "
        "directory is not checked",
        fifo);

    ck_assert_uint_eq(results->len, 1);
    ck_assert_str_eq(nth(results, 0)->subject,
                     "drover-health-ldap-password-file");
    ck_assert_int_eq(nth(results, 0)->status, DROVER_HEALTH_WARNING);
    ck_assert_str_eq(nth(results, 0)->reason, want);
    remove_dir(dir);
}
END_TEST

START_TEST(ldap_password_hung_file_system)
{
    unit_hang_fs_t *fs = unit_hang_fs_start();
    g_autoptr(GPtrArray) results = NULL;
    gint64 started = g_get_monotonic_time();

    if (fs == NULL) {
        return;
    }
    results = ldap_from_cib(fs->path, 300);
    ck_assert_int_lt(g_get_monotonic_time() - started, G_USEC_PER_SEC);
    ck_assert_uint_eq(results->len, 1);
    ck_assert_int_eq(nth(results, 0)->status, DROVER_HEALTH_UNKNOWN);
    ck_assert_msg(
        g_str_has_prefix(nth(results, 0)->reason, "cannot read the password: ")
            && strstr(nth(results, 0)->reason,
                      ": its file system did not answer within ")
                   != NULL,
        "%s", nth(results, 0)->reason);
    unit_hang_fs_stop(fs);
}
END_TEST

/* --- a real slapd on loopback, for the whole test case ------------------ */

static GPid slapd_pid = 0;
static char *slapd_dir = NULL;
static char *slapd_uri = NULL;
static char *slapd_ldaps_uri = NULL;
static char *slapd_cert = NULL; /* its certificate, its own CA */

static const char slapd_conf[] = "include /etc/ldap/schema/core.schema\n"
                                 "include /etc/ldap/schema/cosine.schema\n"
                                 "include /etc/ldap/schema/nis.schema\n"
                                 "modulepath /usr/lib/ldap\n"
                                 "moduleload back_mdb\n"
                                 "pidfile %s/slapd.pid\n"
                                 "TLSCertificateFile %s\n"
                                 "TLSCertificateKeyFile %s/key.pem\n"
                                 "database mdb\n"
                                 "suffix \"dc=lab\"\n"
                                 "rootdn \"cn=admin,dc=lab\"\n"
                                 "rootpw secret\n"
                                 "directory %s\n";

static const char slapd_data[] = "dn: dc=lab\n"
                                 "objectClass: dcObject\n"
                                 "objectClass: organization\n"
                                 "dc: lab\n"
                                 "o: lab\n\n"
                                 "dn: ou=hosts,dc=lab\n"
                                 "objectClass: organizationalUnit\n"
                                 "ou: hosts\n\n"
                                 "dn: cn=n1,ou=hosts,dc=lab\n"
                                 "objectClass: device\n"
                                 "objectClass: ipHost\n"
                                 "cn: n1\n"
                                 "ipHostNumber: 10.20.0.11\n";

/* A port nothing listens on now */
static guint16
free_port(void)
{
    g_autoptr(GSocket) sock =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                     G_SOCKET_PROTOCOL_DEFAULT, NULL);
    g_autoptr(GInetAddress) lo =
        g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
    g_autoptr(GSocketAddress) bound = NULL;

    g_socket_bind(sock, any, TRUE, NULL);
    bound = g_socket_get_local_address(sock, NULL);
    return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

static void
write_datum(const char *path, const gnutls_datum_t *d)
{
    ck_assert(g_file_set_contents(path, (const char *) d->data, d->size, NULL));
}

/* A self-signed certificate for 127.0.0.1 and its key (PEM) */
static void
make_cert(const char *cert_path, const char *key_path)
{
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t out = { NULL, 0 };
    const unsigned char serial[] = { 1 };
    const unsigned char loopback[] = { 127, 0, 0, 1 };
    time_t now = time(NULL);

    ck_assert_int_eq(gnutls_x509_privkey_init(&key), 0);
    ck_assert_int_eq(gnutls_x509_privkey_generate(
                         key, GNUTLS_PK_ECDSA,
                         GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0),
                     0);
    ck_assert_int_eq(gnutls_x509_crt_init(&crt), 0);
    gnutls_x509_crt_set_version(crt, 3);
    gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
    gnutls_x509_crt_set_activation_time(crt, now - 3600);
    gnutls_x509_crt_set_expiration_time(crt, now + 86400);
    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
                                  "127.0.0.1", 9);
    gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, loopback,
                                         sizeof(loopback), GNUTLS_FSAN_SET);
    gnutls_x509_crt_set_basic_constraints(crt, 1, -1);
    gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE
                                           | GNUTLS_KEY_KEY_CERT_SIGN);
    gnutls_x509_crt_set_key(crt, key);
    ck_assert_int_eq(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0),
                     0);
    ck_assert_int_eq(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &out),
                     0);
    write_datum(cert_path, &out);
    gnutls_free(out.data);
    ck_assert_int_eq(
        gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &out), 0);
    write_datum(key_path, &out);
    gnutls_free(out.data);
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
}

static void
slapd_start(void)
{
    g_autofree char *conf = NULL;
    g_autofree char *conf_path = NULL;
    g_autofree char *ldif_path = NULL;
    g_autofree char *listen = NULL;
    g_autofree char *key_path = NULL;
    guint16 port = free_port();
    guint16 tls_port = free_port();
    int status = -1;

    slapd_dir = g_dir_make_tmp("drover-slapd-XXXXXX", NULL);
    slapd_cert = g_build_filename(slapd_dir, "cert.pem", NULL);
    key_path = g_build_filename(slapd_dir, "key.pem", NULL);
    make_cert(slapd_cert, key_path);
    conf = g_strdup_printf(slapd_conf, slapd_dir, slapd_cert, slapd_dir,
                           slapd_dir);
    conf_path = g_build_filename(slapd_dir, "slapd.conf", NULL);
    ldif_path = g_build_filename(slapd_dir, "data.ldif", NULL);
    g_file_set_contents(conf_path, conf, -1, NULL);
    g_file_set_contents(ldif_path, slapd_data, -1, NULL);
    {
        const char *argv[] = { "/usr/sbin/slapadd", "-q", "-f", conf_path, "-l",
                               ldif_path,           NULL };

        g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, NULL, &status, NULL);
    }
    slapd_uri = g_strdup_printf("ldap://127.0.0.1:%u", port);
    slapd_ldaps_uri = g_strdup_printf("ldaps://127.0.0.1:%u", tls_port);
    listen = g_strdup_printf("%s/ %s/", slapd_uri, slapd_ldaps_uri);
    {
        /* -d 0: in the foreground, so that it is ours to stop */
        const char *argv[] = { "/usr/sbin/slapd", "-d", "0",    "-f",
                               conf_path,         "-h", listen, NULL };

        if (status != 0
            || !g_spawn_async(NULL, (char **) argv, NULL,
                              G_SPAWN_DO_NOT_REAP_CHILD
                                  | G_SPAWN_STDOUT_TO_DEV_NULL
                                  | G_SPAWN_STDERR_TO_DEV_NULL,
                              NULL, NULL, &slapd_pid, NULL)) {
            slapd_pid = 0;
            return;
        }
    }
    for (int i = 0; i < 100; i++) { /* ready when it takes connections */
        g_autoptr(GSocketClient) client = g_socket_client_new();
        g_autoptr(GSocketConnection) conn = g_socket_client_connect_to_host(
            client, "127.0.0.1", port, NULL, NULL);

        if (conn != NULL) {
            return;
        }
        g_usleep(50000);
    }
}

static void
slapd_stop(void)
{
    if (slapd_pid != 0) {
        kill(slapd_pid, SIGTERM);
        waitpid(slapd_pid, NULL, 0);
        g_spawn_close_pid(slapd_pid);
        slapd_pid = 0;
    }
    if (slapd_dir != NULL) {
        const char *argv[] = { "rm", "-rf", slapd_dir, NULL };

        g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
                     NULL, NULL, NULL, NULL, NULL);
    }
    g_clear_pointer(&slapd_dir, g_free);
    g_clear_pointer(&slapd_uri, g_free);
    g_clear_pointer(&slapd_ldaps_uri, g_free);
    g_clear_pointer(&slapd_cert, g_free);
}

static drover_health_result_t *
ldap_check(const char *node, const char *expect, const char *uri)
{
    drover_ldap_check_t check = {
        .uri = uri,
        .base = "ou=hosts,dc=lab",
        .expect = expect,
    };

    return drover_health_ldap(&check, node, drover_deadline_in_ms(3000));
}

START_TEST(ldap_entry)
{
    drover_health_result_t *r = NULL;

    ck_assert_msg(slapd_pid != 0, "slapd did not start");
    r = ldap_check("n1", "objectClass=ipHost ipHostNumber cn=%n", slapd_uri);
    ck_assert_msg(r->status == DROVER_HEALTH_OK, "%s", r->reason);
    ck_assert_str_eq(r->check, "ldap");
    drover_health_result_free(r);

    r = ldap_check("n3", NULL, slapd_uri);
    ck_assert_int_eq(r->status, DROVER_HEALTH_CRITICAL);
    ck_assert_msg(g_str_has_prefix(
                      r->reason, "no entry (cn=n3) under ou=hosts,dc=lab at "),
                  "%s", r->reason);
    drover_health_result_free(r);

    r = ldap_check("n1", "ipHostNumber=10.9.9.9", slapd_uri);
    ck_assert_int_eq(r->status, DROVER_HEALTH_CRITICAL);
    ck_assert_str_eq(r->reason,
                     "entry cn=n1,ou=hosts,dc=lab lacks ipHostNumber=10.9.9.9");
    drover_health_result_free(r);

    /* a name is a value in the filter, never filter syntax */
    r = ldap_check("n1)(cn=*", NULL, slapd_uri);
    ck_assert_int_eq(r->status, DROVER_HEALTH_CRITICAL);
    ck_assert_msg(strstr(r->reason, "(cn=n1\\29\\28cn=\\2A)") != NULL, "%s",
                  r->reason);
    drover_health_result_free(r);
}
END_TEST

static drover_health_result_t *
ldap_bind_check(const char *uri, const char *password)
{
    drover_ldap_check_t check = {
        .uri = uri,
        .base = "ou=hosts,dc=lab",
        .bind_dn = "cn=admin,dc=lab",
        .password = password,
    };

    /* a bound, not a target: TLS under valgrind on a loaded machine */
    return drover_health_ldap(&check, "n1", drover_deadline_in_ms(10000));
}

/* A simple bind sends the password as it is: not over ldap:// (this
 * directory would take it, and anyone on the way would read it) */
START_TEST(ldap_password_in_clear_refused)
{
    drover_health_result_t *r = NULL;
    g_autofree char *want = NULL;

    ck_assert_msg(slapd_pid != 0, "slapd did not start");
    r = ldap_bind_check(slapd_uri, "secret");
    ck_assert_int_eq(r->status, DROVER_HEALTH_WARNING);
    want = g_strdup_printf(
        "not checked: a simple bind would send the password "
        "(drover-health-ldap-password-file) in clear to %s; give an ldaps:// "
        "URI in drover-health-ldap-uri (StartTLS is not supported), or no "
        "password to bind anonymously",
        slapd_uri);
    ck_assert_str_eq(r->reason, want);
    ck_assert_int_lt(r->ms, 500); /* not even connected */
    drover_health_result_free(r);

    /* one plain URI in a list is one too many */
    r = ldap_bind_check("ldaps://a.example, LDAP://b.example", "secret");
    ck_assert_int_eq(r->status, DROVER_HEALTH_WARNING);
    ck_assert_msg(strstr(r->reason, " in clear to LDAP://b.example; ") != NULL,
                  "%s", r->reason);
    drover_health_result_free(r);
}
END_TEST

/* Over ldaps:// the bind is made, with the password */
START_TEST(ldap_password_over_tls)
{
    drover_health_result_t *r = NULL;
    int demand = LDAP_OPT_X_TLS_DEMAND;
    int new_ctx = 0;

    ck_assert_msg(slapd_pid != 0, "slapd did not start");
    /* trust the directory's own certificate, for the handles to come */
    ck_assert_int_eq(
        ldap_set_option(NULL, LDAP_OPT_X_TLS_CACERTFILE, slapd_cert),
        LDAP_OPT_SUCCESS);
    ck_assert_int_eq(
        ldap_set_option(NULL, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand),
        LDAP_OPT_SUCCESS);
    ck_assert_int_eq(ldap_set_option(NULL, LDAP_OPT_X_TLS_NEWCTX, &new_ctx),
                     LDAP_OPT_SUCCESS);
    r = ldap_bind_check(slapd_ldaps_uri, "secret");
    ck_assert_msg(r->status == DROVER_HEALTH_OK, "%s", r->reason);
    drover_health_result_free(r);
    r = ldap_bind_check(slapd_ldaps_uri, "wrong");
    ck_assert_int_eq(r->status, DROVER_HEALTH_WARNING);
    ck_assert_msg(strstr(r->reason, "Invalid credentials") != NULL, "%s",
                  r->reason);
    drover_health_result_free(r);
}
END_TEST

/* The directory itself down: a warning (not the node's fault) */
START_TEST(ldap_unreachable)
{
    g_autofree char *uri = g_strdup_printf("ldap://127.0.0.1:%u", free_port());
    drover_health_result_t *r = ldap_check("n1", NULL, uri);

    ck_assert_int_eq(r->status, DROVER_HEALTH_WARNING);
    ck_assert_msg(strstr(r->reason, "Can't contact LDAP server") != NULL, "%s",
                  r->reason);
    drover_health_result_free(r);
}
END_TEST

Suite *
health_suite(void)
{
    Suite *s = suite_create("health");
    TCase *tc = tcase_create("health");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, libvirt_answers);
    tcase_add_test(tc, libvirt_not_running);
    tcase_add_test(tc, hung_daemon_is_critical_at_the_deadline);
    tcase_add_test(tc, corosync_quorum);
    tcase_add_test(tc, names);
    tcase_add_test(tc, monitoring_formats);
    tcase_add_test(tc, several_nodes_in_nagios);
    tcase_add_test(tc, report_round_trip);
    tcase_add_test(tc, shared_cause_is_not_red);
    tcase_add_test(tc, report_wrong_types);
    tcase_add_test(tc, known_hosts);
    tcase_add_test(tc, known_hosts_not_utf8);
    tcase_add_test(tc, ssh_peers);
    tcase_add_test(tc, tls_files_not_regular);
    tcase_add_test(tc, tls_migration_names);
    tcase_add_test(tc, tls_hung_file_system);
    tcase_add_test(tc, known_hosts_not_regular);
    tcase_add_test(tc, known_hosts_hung_file_system);
    tcase_add_test(tc, ldap_password_not_regular);
    tcase_add_test(tc, ldap_password_hung_file_system);
    suite_add_tcase(s, tc);

    tc = tcase_create("ldap");
    tcase_set_timeout(tc, 30);
    tcase_add_unchecked_fixture(tc, slapd_start, slapd_stop);
    tcase_add_test(tc, ldap_entry);
    tcase_add_test(tc, ldap_unreachable);
    tcase_add_test(tc, ldap_password_in_clear_refused);
    tcase_add_test(tc, ldap_password_over_tls);
    suite_add_tcase(s, tc);
    return s;
}
