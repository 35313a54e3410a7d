/*
 * Migration records: what the agent keeps is what drover status reads.
 */
#include <string.h>

#include <drover/rc.h>
#include <drover/record.h>

#include "unit.h"

START_TEST(round_trip)
{
    drover_record_t in = {
        .at_ms = G_GINT64_CONSTANT(1790000000123),
        .source = (char *) "n1",
        .target = (char *) "n2",
        .mode = (char *) "live",
        .network = (char *) "lm2",
        .uri = (char *) "tcp://10.20.2.12",
        .skipped = (char *) "lm1: n2's link is down; \"quoted\"",
        .ok = true,
        .duration_ms = 3250,
        .bytes = G_GUINT64_CONSTANT(5000000000),
        .attempts = 1,
    };
    g_autofree char *text = drover_record_format(&in);
    drover_record_t out;

    ck_assert_int_eq(drover_record_parse(text, &out), 0);
    ck_assert_int_eq(out.at_ms, in.at_ms);
    ck_assert_str_eq(out.source, "n1");
    ck_assert_str_eq(out.target, "n2");
    ck_assert_str_eq(out.mode, "live");
    ck_assert_str_eq(out.network, "lm2");
    ck_assert_str_eq(out.uri, in.uri);
    ck_assert_str_eq(out.skipped, in.skipped);
    ck_assert(out.ok);
    ck_assert_ptr_null(out.error);
    ck_assert_int_eq(out.duration_ms, 3250);
    ck_assert(out.bytes == in.bytes);
    ck_assert_int_eq(out.attempts, 1);
    drover_record_clear(&out);
}
END_TEST

START_TEST(rejects_non_records)
{
    drover_record_t out;

    ck_assert_int_eq(drover_record_parse(NULL, &out), DROVER_RC_PROTOCOL);
    ck_assert_int_eq(drover_record_parse("", &out), DROVER_RC_PROTOCOL);
    ck_assert_int_eq(drover_record_parse("[1, 2]", &out), DROVER_RC_PROTOCOL);
    ck_assert_int_eq(drover_record_parse("{\"ms\": \"x\"}", &out), 0);
    ck_assert_int_eq(out.duration_ms, 0); /* wrong types are ignored */
    ck_assert(!out.ok);
    drover_record_clear(&out);
}
END_TEST

/* A record from an agent before at_ms: seconds, read as milliseconds */
START_TEST(older_seconds)
{
    drover_record_t out;

    ck_assert_int_eq(drover_record_parse("{\"at\":1790000000,\"from\":\"n1\","
                                         "\"to\":\"n2\",\"result\":\"ok\"}",
                                         &out),
                     0);
    ck_assert_int_eq(out.at_ms, G_GINT64_CONSTANT(1790000000000));
    drover_record_clear(&out);
}
END_TEST

Suite *
record_suite(void)
{
    Suite *s = suite_create("record");
    TCase *tc = tcase_create("record");

    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, older_seconds);
    tcase_add_test(tc, rejects_non_records);
    suite_add_tcase(s, tc);
    return s;
}
