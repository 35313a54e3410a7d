/*
 * libvirt's test driver (test:///default: one running domain, "test", with
 * no job) stands for a libvirtd asked again after it dropped a migration's
 * connection.
 */
#include <string.h>

#include <libvirt/libvirt.h>

#include <drover/rc.h>
#include <drover/virt.h>

#include "unit.h"

START_TEST(outcome_gone_is_migrated)
{
    virConnectPtr conn = NULL;

    ck_assert_int_eq(drover_virt_migration_outcome("test:///default", "vm9",
                                                   drover_deadline_in_ms(5000),
                                                   &conn),
                     0);
    ck_assert_ptr_null(conn);
}
END_TEST

START_TEST(outcome_still_here_without_job)
{
    virConnectPtr conn = NULL;
    drover_vm_state_t state = DROVER_VM_ABSENT;

    ck_assert_int_eq(drover_virt_migration_outcome("test:///default", "test",
                                                   drover_deadline_in_ms(5000),
                                                   &conn),
                     DROVER_RC_STATE);
    ck_assert_ptr_nonnull(conn);
    ck_assert_int_eq(drover_virt_state(conn, "test", &state, NULL), 0);
    ck_assert_int_eq(state, DROVER_VM_RUNNING);
    virConnectClose(conn);
}
END_TEST

START_TEST(outcome_no_libvirtd_is_a_timeout)
{
    virConnectPtr conn = NULL;
    gint64 start = g_get_monotonic_time();

    ck_assert_int_eq(drover_virt_migration_outcome(
                         "qemu+unix:///system?socket=/nonexistent", "test",
                         drover_deadline_in_ms(500), &conn),
                     DROVER_RC_TIMEOUT);
    ck_assert_ptr_null(conn);
    /* the deadline, then 3 s for an aborted job to end */
    ck_assert_int_lt(g_get_monotonic_time() - start, 5 * G_TIME_SPAN_SECOND);
}
END_TEST

/* A peer-to-peer migration's errors on the target's libvirtd, as the
 * soak met them: its restart mid-migration and its refusal just after */
START_TEST(rpc_errors_are_the_target_libvirtd)
{
    virError closed = { .code = VIR_ERR_INTERNAL_ERROR,
                        .domain = VIR_FROM_RPC,
                        .message = (char *) "client socket is closed" };
    virError refused = { .code = VIR_ERR_SYSTEM_ERROR,
                         .domain = VIR_FROM_RPC,
                         .message = (char *) "Connection refused" };
    virError remote = { .code = VIR_ERR_RPC, .domain = VIR_FROM_REMOTE };
    virError auth = { .code = VIR_ERR_AUTH_FAILED, .domain = VIR_FROM_RPC };
    virError qemu = { .code = VIR_ERR_OPERATION_FAILED,
                      .domain = VIR_FROM_QEMU,
                      .message = (char *) "migration out job: failed" };

    ck_assert(drover_virt_error_is_rpc(&closed));
    ck_assert(drover_virt_error_is_rpc(&refused));
    ck_assert(drover_virt_error_is_rpc(&remote));
    ck_assert(!drover_virt_error_is_rpc(&auth));
    ck_assert(!drover_virt_error_is_rpc(&qemu));
    ck_assert(!drover_virt_error_is_rpc(NULL));
}
END_TEST

/* The test driver's "test" domain through each state Pacemaker must tell
 * apart; it is left running, as the other tests expect it */
START_TEST(states_as_pacemaker_sees_them)
{
    virConnectPtr conn = NULL;
    virDomainPtr dom = NULL;
    drover_vm_state_t state = DROVER_VM_CRASHED;
    g_autofree char *detail = NULL;

    ck_assert_int_eq(drover_virt_open("test:///default", &conn), 0);
    dom = virDomainLookupByName(conn, "test");
    ck_assert_ptr_nonnull(dom);

    ck_assert_int_eq(drover_virt_state(conn, "test", &state, &detail), 0);
    ck_assert_int_eq(state, DROVER_VM_RUNNING);
    ck_assert(g_str_has_prefix(detail, "libvirt state 1, reason "));

    /* paused by someone on purpose: still running for Pacemaker */
    ck_assert_int_eq(virDomainSuspend(dom), 0);
    ck_assert_int_eq(drover_virt_state(conn, "test", &state, NULL), 0);
    ck_assert_int_eq(state, DROVER_VM_PAUSED);
    ck_assert_int_eq(virDomainResume(dom), 0);

    ck_assert_int_eq(virDomainDestroy(dom), 0);
    ck_assert_int_eq(drover_virt_state(conn, "test", &state, NULL), 0);
    ck_assert_int_eq(state, DROVER_VM_SHUTOFF);
    ck_assert_int_eq(virDomainCreate(dom), 0);
    ck_assert_int_eq(drover_virt_state(conn, "test", &state, NULL), 0);
    ck_assert_int_eq(state, DROVER_VM_RUNNING);

    /* not defined here: absent, which is no error */
    ck_assert_int_eq(drover_virt_state(conn, "vm9", &state, NULL), 0);
    ck_assert_int_eq(state, DROVER_VM_ABSENT);

    virDomainFree(dom);
    virConnectClose(conn);
}
END_TEST

START_TEST(open_says_why_not)
{
    virConnectPtr conn = NULL;

    ck_assert_int_ne(drover_virt_open("frob:///system", &conn), 0);
    ck_assert_ptr_null(conn);
    /* libvirt's own words (here: no libvirtd socket for an unknown
     * scheme), not our placeholder */
    ck_assert_str_ne(drover_virt_error(), "unknown libvirt error");
}
END_TEST

/* A migration libvirt refuses at once (the test driver has none): an
 * error with libvirt's reason, nothing aborted, the VM still here */
START_TEST(refused_migration_leaves_the_vm_here)
{
    virConnectPtr conn = NULL;
    virDomainPtr dom = NULL;
    drover_vm_state_t state = DROVER_VM_ABSENT;
    drover_migration_t m = {
        .dest_uri = "test:///default",
        .migrate_uri = "tcp://192.0.2.1",
        .stall_s = 2,
        .abort_at = drover_deadline_in_ms(10000),
        .finish_by = drover_deadline_in_ms(12000),
    };
    drover_migration_result_t result = { 0 };

    ck_assert_int_eq(drover_virt_open("test:///default", &conn), 0);
    dom = virDomainLookupByName(conn, "test");
    ck_assert_ptr_nonnull(dom);
    ck_assert_int_ne(drover_virt_migrate(dom, &m, &result), 0);
    ck_assert_ptr_nonnull(result.error);
    ck_assert(!result.aborted);
    ck_assert(!result.postcopy);
    ck_assert(!result.connection_lost);
    ck_assert_int_eq(drover_virt_state(conn, "test", &state, NULL), 0);
    ck_assert_int_eq(state, DROVER_VM_RUNNING);
    drover_migration_result_clear(&result);
    virDomainFree(dom);
    virConnectClose(conn);
}
END_TEST

Suite *
virt_suite(void)
{
    Suite *s = suite_create("virt");
    TCase *tc = tcase_create("migration_outcome");

    tcase_add_test(tc, outcome_gone_is_migrated);
    tcase_add_test(tc, outcome_still_here_without_job);
    tcase_add_test(tc, outcome_no_libvirtd_is_a_timeout);
    tcase_add_test(tc, rpc_errors_are_the_target_libvirtd);
    tcase_add_test(tc, states_as_pacemaker_sees_them);
    tcase_add_test(tc, open_says_why_not);
    tcase_add_test(tc, refused_migration_leaves_the_vm_here);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}
