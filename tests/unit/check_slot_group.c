/*
 * The slot group: the request an agent makes from the CIB (its limits,
 * their defaults, what an invalid value means), and its Corosync side
 * against a Corosync that answers, then stops (tests/unit/fake_corosync.c,
 * SIGSTOPped): leaving is bounded.
 */
#include <signal.h>
#include <string.h>

#include <drover/cib.h>
#include <drover/rc.h>
#include <drover/slot_group.h>
#include <drover/slots.h>

#include "unit.h"

/* Joined to a fake Corosync that stops answering after \p answering_ms:
 * the dispatch thread then waits in quorum_getquorate(), which it calls
 * every tick, for ever */
static drover_slot_group_t *
join_then_stop(unit_corosync_t *c, gint64 answering_ms)
{
    drover_slot_group_t *group = NULL;

    unit_corosync_enter(c);
    ck_assert_int_eq(
        drover_slot_group_join(NULL, drover_deadline_in_ms(3000), &group), 0);
    g_usleep(answering_ms * 1000);
    if (answering_ms > 0) {
        ck_assert_int_eq(kill(c->pid, SIGSTOP), 0);
        g_usleep(500 * 1000); /* a tick or two: the question is asked */
    }
    return group;
}

/* The thread left behind gets an error once Corosync is gone, and frees
 * the group (valgrind) */
static void
finish(unit_corosync_t *c)
{
    unit_corosync_leave(c);
    unit_corosync_stop(c);
    g_usleep(300 * 1000);
}

START_TEST(leave)
{
    unit_corosync_t *c = unit_corosync_start();
    drover_slot_group_t *group = NULL;
    gint64 started;

    if (c == NULL) {
        return;
    }
    group = join_then_stop(c, 0);
    started = g_get_monotonic_time();
    ck_assert_int_eq(
        drover_slot_group_leave_by(group, drover_deadline_in_ms(3000)), 0);
    ck_assert_int_lt(g_get_monotonic_time() - started, G_USEC_PER_SEC);
    finish(c);
}
END_TEST

/* Leaving a stopped Corosync takes the deadline, not for ever */
START_TEST(leave_when_corosync_stops)
{
    unit_corosync_t *c = unit_corosync_start();
    drover_slot_group_t *group = NULL;
    gint64 started;
    gint64 took_ms;

    if (c == NULL) {
        return;
    }
    group = join_then_stop(c, 300);
    started = g_get_monotonic_time();
    ck_assert_int_eq(
        drover_slot_group_leave_by(group, drover_deadline_in_ms(500)),
        DROVER_RC_TIMEOUT);
    took_ms = (g_get_monotonic_time() - started) / 1000;
    ck_assert_int_ge(took_ms, 500);
    ck_assert_int_lt(took_ms, 1500);
    finish(c);
}
END_TEST

/* The cleanup of a g_autoptr too (the VM agent's, after a migration) */
START_TEST(autoptr_leave_when_corosync_stops)
{
    unit_corosync_t *c = unit_corosync_start();
    gint64 started;

    if (c == NULL) {
        return;
    }
    {
        g_autoptr(drover_slot_group_t) group = join_then_stop(c, 300);

        started = g_get_monotonic_time();
    }
    ck_assert_int_lt(g_get_monotonic_time() - started, 3 * G_USEC_PER_SEC);
    finish(c);
}
END_TEST

/* A CIB: cluster properties \p props and n1's, n2's permanent attributes
 * (nvpairs, NULL: none) */
static drover_cib_t *
limits_cib(const char *props, const char *n1, const char *n2)
{
    g_autofree char *xml = g_strdup_printf(
        "<cib><configuration><crm_config><cluster_property_set id='o'>%s"
        "</cluster_property_set></crm_config><nodes>"
        "<node id='1' uname='n1'><instance_attributes id='a1'>%s"
        "</instance_attributes></node>"
        "<node id='2' uname='n2'><instance_attributes id='a2'>%s"
        "</instance_attributes></node>"
        "</nodes><resources/></configuration><status/></cib>",
        (props != NULL) ? props : "", (n1 != NULL) ? n1 : "",
        (n2 != NULL) ? n2 : "");
    drover_cib_t *cib = NULL;

    ck_assert_int_eq(drover_cib_from_xml(xml, &cib), 0);
    return cib;
}

#define NV(name, value)                                                        \
    "<nvpair id='" name "' name='" name "' value='" value "'/>"

/* A migration of vm1 from n1 to n2 over \p network, as an agent asks it */
static drover_slot_req_t
request(const drover_cib_t *cib, const char *network)
{
    drover_slot_req_t req;

    drover_slot_req_from_cib(cib, "vm1", "n1", "n2", network, &req);
    ck_assert_str_eq(req.vm, "vm1");
    ck_assert_str_eq(req.source, "n1");
    ck_assert_str_eq(req.target, "n2");
    ck_assert_int_gt(req.key, 0);
    return req;
}

static void
request_clear(drover_slot_req_t *req)
{
    g_free(req->vm);
    g_free(req->source);
    g_free(req->target);
    g_free(req->network);
}

/* Nothing set: two out of the source, two into the target, no cluster or
 * network limit, the newest protocol */
START_TEST(request_defaults)
{
    g_autoptr(drover_cib_t) cib = limits_cib(NULL, NULL, NULL);
    drover_slot_req_t req = request(cib, "lm1");

    ck_assert_int_eq(req.max_out, DROVER_DEFAULT_MAX_OUTGOING);
    ck_assert_int_eq(req.max_in, DROVER_DEFAULT_MAX_INCOMING);
    ck_assert_int_eq(req.max_total, 0);
    ck_assert_int_eq(req.max_network, 0);
    ck_assert_int_eq(req.bandwidth, 0);
    ck_assert_int_eq(req.version, DROVER_SLOTS_PROTOCOL);
    ck_assert_str_eq(req.network, "lm1");
    request_clear(&req);
}
END_TEST

/* Each limit from where the admin sets it: the source's outgoing, the
 * target's incoming (not the other way round), the cluster's, and the
 * network's own */
START_TEST(request_limits_from_their_places)
{
    g_autoptr(drover_cib_t) cib = limits_cib(
        NV("drover-max-migrations", "5")
            NV("drover-network-lm1-max-migrations", "3")
                NV("drover-network-lm1-bandwidth", "100")
                    NV("drover-network-lm2-bandwidth", "7"),
        NV("drover-max-outgoing", "4") NV("drover-max-incoming", "9"),
        NV("drover-max-outgoing", "8") NV("drover-max-incoming", "1"));
    drover_slot_req_t req = request(cib, "lm1");

    ck_assert_int_eq(req.max_out, 4);
    ck_assert_int_eq(req.max_in, 1);
    ck_assert_int_eq(req.max_total, 5);
    ck_assert_int_eq(req.max_network, 3);
    ck_assert_int_eq(req.bandwidth, 100);
    request_clear(&req);
}
END_TEST

/* Without a network (migrateuri decides), no network limit applies */
START_TEST(request_without_network)
{
    g_autoptr(drover_cib_t) cib =
        limits_cib(NV("drover-network-lm1-max-migrations", "3"), NULL, NULL);
    drover_slot_req_t req = request(cib, NULL);

    ck_assert_ptr_null(req.network);
    ck_assert_int_eq(req.max_network, 0);
    ck_assert_int_eq(req.bandwidth, 0);
    request_clear(&req);
}
END_TEST

/* An invalid value is the default (drover config check names it), never
 * zero, which would lift the limit */
START_TEST(request_invalid_limits_are_defaults)
{
    g_autoptr(drover_cib_t) cib = limits_cib(
        NV("drover-max-migrations", "many"), NV("drover-max-outgoing", "-1"),
        NV("drover-max-incoming", "2x"));
    drover_slot_req_t req = request(cib, NULL);

    ck_assert_int_eq(req.max_out, DROVER_DEFAULT_MAX_OUTGOING);
    ck_assert_int_eq(req.max_in, DROVER_DEFAULT_MAX_INCOMING);
    ck_assert_int_eq(req.max_total, 0);
    request_clear(&req);
}
END_TEST

/* drover-slots-protocol=1 keeps every agent on version 1's rules while
 * older drovers may join; anything else is the newest */
START_TEST(request_protocol)
{
    static const struct {
        const char *value;
        int version;
    } cases[] = {
        { "1", 1 },
        { "2", DROVER_SLOTS_PROTOCOL },
        { "01", DROVER_SLOTS_PROTOCOL },
        { "", DROVER_SLOTS_PROTOCOL },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *prop =
            g_strdup_printf(NV("drover-slots-protocol", "%s"), cases[i].value);
        g_autoptr(drover_cib_t) cib = limits_cib(prop, NULL, NULL);
        drover_slot_req_t req = request(cib, NULL);

        ck_assert_msg(req.version == cases[i].version,
                      "drover-slots-protocol=%s: version %d, not %d",
                      cases[i].value, req.version, cases[i].version);
        request_clear(&req);
    }
}
END_TEST

/* The one parser of a limit: whole numbers 0 (none) to 1000000; the
 * reason names the value and the range */
START_TEST(limit_parse)
{
    static const struct {
        const char *text;
        int limit; /* -1: refused */
    } cases[] = {
        { "0", 0 },     { "2", 2 },   { "1000000", 1000000 }, { "1000001", -1 },
        { "-1", -1 },   { "2x", -1 }, { " 2", -1 },           { "", -1 },
        { "0x10", -1 }, { NULL, -1 },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GString) reason = g_string_new(NULL);
        int limit = 77;
        int rc = drover_limit_parse(cases[i].text, &limit, reason);

        if (cases[i].limit >= 0) {
            ck_assert_msg(rc == 0 && limit == cases[i].limit,
                          "'%s': rc %d, limit %d", cases[i].text, rc, limit);
            ck_assert_uint_eq(reason->len, 0);
        } else {
            ck_assert_msg(rc == DROVER_RC_CONFIG && limit == 77,
                          "'%s' accepted as %d", cases[i].text, limit);
            ck_assert_msg(strstr(reason->str, "0 (no limit) to 1000000")
                              != NULL,
                          "reason: %s", reason->str);
            if (cases[i].text != NULL && cases[i].text[0] != '\0') {
                ck_assert_msg(strstr(reason->str, cases[i].text) != NULL,
                              "reason does not name '%s': %s", cases[i].text,
                              reason->str);
            }
        }
    }
}
END_TEST

Suite *
slot_group_suite(void)
{
    Suite *s = suite_create("slot_group");
    TCase *req = tcase_create("slot-request");
    TCase *tc = tcase_create("slot_group");

    tcase_add_test(req, request_defaults);
    tcase_add_test(req, request_limits_from_their_places);
    tcase_add_test(req, request_without_network);
    tcase_add_test(req, request_invalid_limits_are_defaults);
    tcase_add_test(req, request_protocol);
    tcase_add_test(req, limit_parse);
    suite_add_tcase(s, req);

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, leave);
    tcase_add_test(tc, leave_when_corosync_stops);
    tcase_add_test(tc, autoptr_leave_when_corosync_stops);
    suite_add_tcase(s, tc);
    return s;
}
