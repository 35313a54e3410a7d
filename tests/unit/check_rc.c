#include <errno.h>
#include <string.h>

#include <drover/rc.h>

#include "unit.h"

START_TEST(every_code_has_its_own_text)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

    for (int rc = DROVER_RC_STATE; rc <= DROVER_RC_ERROR; rc++) {
        const char *text = drover_rc_str(rc);

        ck_assert_str_ne(text, "Unknown result");
        ck_assert_msg(!g_hash_table_contains(seen, text), "%d repeats '%s'", rc,
                      text);
        g_hash_table_add(seen, (gpointer) text);
    }
    ck_assert_str_eq(drover_rc_str(0), "OK");
    ck_assert_str_eq(drover_rc_str(ENOENT), g_strerror(ENOENT));
    ck_assert_str_eq(drover_rc_str(-999), "Unknown result");
    ck_assert_str_eq(drover_rc_str(pcmk_rc_no_quorum),
                     pcmk_rc_str(pcmk_rc_no_quorum));
}
END_TEST

START_TEST(errno_is_kept_and_never_zero)
{
    ck_assert_int_eq(drover_rc_from_errno(EACCES), EACCES);
    ck_assert_int_eq(drover_rc_from_errno(0), DROVER_RC_ERROR);
}
END_TEST

START_TEST(corosync_ok_is_one)
{
    ck_assert_int_eq(drover_rc_from_cs(CS_OK), 0);
    ck_assert_int_eq(drover_rc_from_cs(CS_ERR_TRY_AGAIN), DROVER_RC_BUSY);
    ck_assert_int_eq(drover_rc_from_cs(CS_ERR_LIBRARY), DROVER_RC_UNREACHABLE);
    ck_assert_int_eq(drover_rc_from_cs(CS_ERR_TIMEOUT), DROVER_RC_TIMEOUT);
    ck_assert_int_eq(drover_rc_from_cs(CS_ERR_NO_MEMORY), ENOMEM);
    ck_assert_int_eq(drover_rc_from_cs(CS_ERR_MESSAGE_ERROR), DROVER_RC_ERROR);
}
END_TEST

START_TEST(pacemaker_codes)
{
    ck_assert_int_eq(drover_rc_from_pcmk(pcmk_rc_ok), 0);
    ck_assert_int_eq(drover_rc_from_pcmk(EPERM), EPERM);
    ck_assert_int_eq(drover_rc_from_pcmk(pcmk_rc_no_quorum),
                     DROVER_RC_NO_QUORUM);
    ck_assert_int_eq(drover_rc_from_pcmk(pcmk_rc_ipc_unresponsive),
                     DROVER_RC_UNREACHABLE);
    ck_assert_int_eq(drover_rc_from_pcmk(pcmk_rc_schema_validation),
                     DROVER_RC_CONFIG);
    ck_assert_int_eq(drover_rc_from_pcmk(pcmk_rc_graph_error), DROVER_RC_ERROR);
    ck_assert_int_eq(drover_rc_from_pcmk_legacy(-ENOTCONN), ENOTCONN);
    ck_assert_int_eq(drover_rc_from_pcmk_legacy(pcmk_ok), 0);
    ck_assert_int_eq(drover_rc_from_pcmk_legacy(-pcmk_err_no_quorum),
                     DROVER_RC_NO_QUORUM);
}
END_TEST

START_TEST(libvirt_errors)
{
    virError err = { .code = VIR_ERR_NO_DOMAIN };

    ck_assert_int_eq(drover_rc_from_virt(&err), DROVER_RC_NO_SUCH);
    err.code = VIR_ERR_OPERATION_TIMEOUT;
    ck_assert_int_eq(drover_rc_from_virt(&err), DROVER_RC_TIMEOUT);
    err.code = VIR_ERR_SYSTEM_ERROR;
    err.int1 = ECONNREFUSED;
    ck_assert_int_eq(drover_rc_from_virt(&err), ECONNREFUSED);
    err.code = VIR_ERR_XML_ERROR;
    ck_assert_int_eq(drover_rc_from_virt(&err), DROVER_RC_CONFIG);
    err.code = VIR_ERR_OPERATION_INVALID;
    ck_assert_int_eq(drover_rc_from_virt(&err), DROVER_RC_STATE);
}
END_TEST

START_TEST(exit_codes_follow_pacemaker)
{
    ck_assert_int_eq(drover_rc_to_exit(0), CRM_EX_OK);
    ck_assert_int_eq(drover_rc_to_exit(DROVER_RC_USAGE), 64);
    ck_assert_int_eq(drover_rc_to_exit(DROVER_RC_CONFIG), 78);
    ck_assert_int_eq(drover_rc_to_exit(DROVER_RC_UNREACHABLE), 69);
    ck_assert_int_eq(drover_rc_to_exit(DROVER_RC_TIMEOUT), 124);
    ck_assert_int_eq(drover_rc_to_exit(ETIMEDOUT), 124);
    ck_assert_int_eq(drover_rc_to_exit(DROVER_RC_NO_SUCH), 105);
    ck_assert_int_eq(drover_rc_to_exit(DROVER_RC_ERROR), CRM_EX_ERROR);
}
END_TEST

Suite *
rc_suite(void)
{
    Suite *s = suite_create("rc");
    TCase *tc = tcase_create("rc");

    tcase_add_test(tc, every_code_has_its_own_text);
    tcase_add_test(tc, errno_is_kept_and_never_zero);
    tcase_add_test(tc, corosync_ok_is_one);
    tcase_add_test(tc, pacemaker_codes);
    tcase_add_test(tc, libvirt_errors);
    tcase_add_test(tc, exit_codes_follow_pacemaker);
    suite_add_tcase(s, tc);
    return s;
}
