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

/* An older record's seconds beyond any clock: unknown, not an overflow
 * (found by fuzz_record; UBSan: signed integer overflow) */
START_TEST(older_seconds_out_of_range)
{
    drover_record_t out;

    ck_assert_int_eq(drover_record_parse(
                         "{\"at\":1790000790000000123,\"from\":\"n1\"}", &out),
                     0);
    ck_assert_int_eq(out.at_ms, 0);
    ck_assert_str_eq(out.source, "n1");
    drover_record_clear(&out);
    ck_assert_int_eq(drover_record_parse("{\"at\":-9223372036854775807}", &out),
                     0);
    ck_assert_int_eq(out.at_ms, 0);
    drover_record_clear(&out);
    ck_assert_int_eq(drover_record_parse("{\"at\":9223372036854775}", &out), 0);
    ck_assert_int_eq(out.at_ms, G_GINT64_CONSTANT(9223372036854775000));
    drover_record_clear(&out);
}
END_TEST

/* json-glib 1.6 reads "\200" as the byte 0x80: a string is made valid
 * UTF-8, or the record would not format to JSON that parses again (found
 * by fuzz_record); json-glib 1.10 reads it as U+0080, valid already */
START_TEST(octal_escape_made_valid)
{
    drover_record_t out;
    g_autofree char *text = NULL;
    drover_record_t again;

    ck_assert_int_eq(
        drover_record_parse("{\"from\":\"n\\200\",\"error\":\"a\\101\"}", &out),
        0);
    ck_assert(g_utf8_validate(out.source, -1, NULL));
    ck_assert_msg(g_str_equal(out.source, "n\xef\xbf\xbd") || /* U+FFFD */
                      g_str_equal(out.source, "n\xc2\x80"),   /* U+0080 */
                  "from: %s", out.source);
    text = drover_record_format(&out);
    ck_assert_int_eq(drover_record_parse(text, &again), 0);
    ck_assert_str_eq(again.source, out.source);
    ck_assert_str_eq(again.error, out.error);
    drover_record_clear(&out);
    drover_record_clear(&again);
}
END_TEST

Suite *
record_suite(void)
{
    Suite *s = suite_create("record");
    TCase *tc = tcase_create("record");

    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, older_seconds);
    tcase_add_test(tc, older_seconds_out_of_range);
    tcase_add_test(tc, octal_escape_made_valid);
    tcase_add_test(tc, rejects_non_records);
    suite_add_tcase(s, tc);
    return s;
}
