/*
 * The don't-fragment path probe, on loopback (MTU 65536).
 */
#include <errno.h>
#include <string.h>

#include <drover/probe.h>
#include <drover/rc.h>

#include "unit.h"

static int
probe(const char *from, const char *to, int size, GString *reason)
{
    g_autoptr(GInetAddress) src = g_inet_address_new_from_string(from);
    g_autoptr(GInetAddress) dst = g_inet_address_new_from_string(to);

    return drover_probe_path(src, dst, size, drover_deadline_in_ms(2000),
                             reason);
}

START_TEST(full_size_arrives)
{
    g_autoptr(GString) reason = g_string_new(NULL);

    ck_assert_int_eq(probe("127.0.0.1", "127.0.0.1", 1500, reason), 0);
    ck_assert_int_eq(probe("127.0.0.1", "127.0.0.1", 9000, reason), 0);
    ck_assert_int_eq(probe("::1", "::1", 9000, reason), 0);
}
END_TEST

START_TEST(too_big_for_the_link)
{
    g_autoptr(GString) reason = g_string_new(NULL);

    /* over loopback's 65536 needs IPv6 jumbograms: refused locally */
    ck_assert_int_ne(probe("::1", "::1", 65535 + 1, reason), 0);
    ck_assert_str_eq(reason->str, "probe size 65536 is out of range");
}
END_TEST

START_TEST(foreign_source_address)
{
    g_autoptr(GString) reason = g_string_new(NULL);

    /* not an address of this host: cannot send from it */
    ck_assert_int_eq(probe("0.0.0.1", "127.0.0.1", 1500, reason),
                     EADDRNOTAVAIL);
    ck_assert_ptr_nonnull(strstr(reason->str, "cannot probe 127.0.0.1"));
}
END_TEST

Suite *
probe_suite(void)
{
    Suite *s = suite_create("probe");
    TCase *tc = tcase_create("loopback");

    tcase_add_test(tc, full_size_arrives);
    tcase_add_test(tc, too_big_for_the_link);
    tcase_add_test(tc, foreign_source_address);
    suite_add_tcase(s, tc);
    return s;
}
