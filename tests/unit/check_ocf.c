/*
 * The OCF dispatcher, through a real agent built from its table
 * (test_agent.c): meta-data validity, exit codes per action, exit reasons,
 * probes and deadlines.
 */
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <drover/ocf.h>
#include <drover/rc.h>

#include "unit.h"

typedef struct {
    int code;
    char *out;
    char *err;
} result_t;

static char *tmpdir = NULL;
static char *config = NULL;

static void
setup(void)
{
    tmpdir = g_dir_make_tmp("drover-ocf-XXXXXX", NULL);
    config = g_build_filename(tmpdir, "test.conf", NULL);
    g_file_set_contents(config, "ok\n", -1, NULL);
}

static void
teardown(void)
{
    g_autofree char *state = g_strconcat(config, ".running", NULL);

    g_unlink(state);
    g_unlink(config);
    g_rmdir(tmpdir);
    g_clear_pointer(&config, g_free);
    g_clear_pointer(&tmpdir, g_free);
}

static void
result_clear(result_t *r)
{
    g_free(r->out);
    g_free(r->err);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(result_t, result_clear)

static const char *const sanitizer_vars[] = { "ASAN_OPTIONS", "LSAN_OPTIONS",
                                              "UBSAN_OPTIONS", NULL };

/* Run \p agent: action, then NAME=VALUE environment entries */
static void
run_agent_va(const char *agent, result_t *r, const char *action,
             const char *first, va_list ap)
{
    g_autoptr(GPtrArray) env = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    const char *argv[] = { agent, action, NULL };
    const char *entry = NULL;
    int status = 0;

    g_ptr_array_add(env, g_strdup("PATH=/usr/bin:/bin"));
    g_ptr_array_add(env, g_strdup("OCF_RESOURCE_INSTANCE=test1"));
    /* a sanitizer build's agent reads its suppressions there */
    for (const char *const *s = sanitizer_vars; *s != NULL; s++) {
        if (getenv(*s) != NULL) {
            g_ptr_array_add(env, g_strconcat(*s, "=", getenv(*s), NULL));
        }
    }
    if (first != NULL) {
        g_ptr_array_add(env, g_strdup(first));
    }
    while ((entry = va_arg(ap, const char *)) != NULL) {
        g_ptr_array_add(env, g_strdup(entry));
    }
    g_ptr_array_add(env, NULL);

    ck_assert_msg(g_spawn_sync(NULL, (char **) argv, (char **) env->pdata,
                               G_SPAWN_DEFAULT, NULL, NULL, &r->out, &r->err,
                               &status, &error),
                  "%s", error ? error->message : "");
    ck_assert(WIFEXITED(status));
    r->code = WEXITSTATUS(status);
}

/* The test agent (test_agent.c) */
static void
run_agent(result_t *r, const char *action, ...)
{
    va_list ap;

    va_start(ap, action);
    run_agent_va(unit_env("DROVER_TEST_AGENT"), r, action, NULL, ap);
    va_end(ap);
}

/* One of drover's agents, by name, on a copy of the test CIB (CIB_file:
 * never the cluster this machine may be part of) */
static void
run_drover_agent(const char *name, result_t *r, const char *action, ...)
{
    g_autofree char *path =
        g_build_filename(unit_env("DROVER_AGENT_DIR"), name, NULL);
    g_autofree char *data = unit_data_path("cib.xml");
    g_autofree char *copy = g_build_filename(tmpdir, "cib.xml", NULL);
    g_autofree char *cib_env = g_strconcat("CIB_file=", copy, NULL);
    g_autofree char *text = NULL;
    va_list ap;

    ck_assert(g_file_get_contents(data, &text, NULL, NULL));
    ck_assert(g_file_set_contents(copy, text, -1, NULL));
    va_start(ap, action);
    run_agent_va(path, r, action, cib_env, ap);
    va_end(ap);
    g_unlink(copy);
}

/* The one exit reason the agent printed, or NULL */
static char *
exit_reason(const result_t *r)
{
    g_auto(GStrv) lines = g_strsplit(r->err, "\n", -1);
    char *reason = NULL;

    for (char **l = lines; *l != NULL; l++) {
        if (g_str_has_prefix(*l, "ocf-exit-reason:")) {
            ck_assert_msg(reason == NULL, "more than one exit reason in: %s",
                          r->err);
            reason = g_strdup(*l + strlen("ocf-exit-reason:"));
        }
    }
    return reason;
}

static char *
config_env(void)
{
    return g_strconcat("OCF_RESKEY_config=", config, NULL);
}

/* The meta-data's own DOCTYPE (resource-agents' ra-api-1.dtd, OCF 1.0,
 * with OCF 1.1's additions in its internal subset), as ocf-tester checks
 * it; and OCF 1.1's schema, as pcs checks it */
#define RA_DTD_DIR  "/usr/share/resource-agents"
#define OCF_1_1_RNG "/usr/share/pcs/data/ocf-1.1.rng"

/* xmllint --noout HOW SCHEMA [MORE] on \p xml must exit 0 */
static int
xmllint_more(const char *xml, const char *how, const char *schema,
             const char *more)
{
    g_autofree char *file = g_build_filename(tmpdir, "meta.xml", NULL);
    const char *argv[] = {
        "xmllint", "--noout", how, schema, file, NULL, NULL
    };
    g_autofree char *err = NULL;
    int status = -1;

    if (more != NULL) {
        argv[4] = more;
        argv[5] = file;
    }
    g_file_set_contents(file, xml, -1, NULL);
    ck_assert(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH,
                           NULL, NULL, NULL, &err, &status, NULL));
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "xmllint %s %s: %s", how, schema, err);
    return 0;
}

static int
xmllint(const char *xml, const char *how, const char *schema)
{
    return xmllint_more(xml, how, schema, NULL);
}

/* drover's agents declare OCF 1.1 (reloadable parameters, reload-agent):
 * valid by their DOCTYPE and by OCF 1.1's schema */
START_TEST(drover_agents_metadata_valid)
{
    static const char *const agents[] = { "VirtualDomain", "NodeHealth", NULL };

    for (const char *const *a = agents; *a != NULL; a++) {
        g_auto(result_t) r = { 0 };

        run_drover_agent(*a, &r, "meta-data", NULL);
        ck_assert_int_eq(r.code, 0);
        xmllint_more(r.out, "--path", RA_DTD_DIR, "--valid");
        xmllint(r.out, "--relaxng", OCF_1_1_RNG);
    }
}
END_TEST

START_TEST(metadata_is_valid)
{
    g_auto(result_t) r = { 0 };

    run_agent(&r, "meta-data", NULL);
    ck_assert_int_eq(r.code, 0);
    xmllint(r.out, "--dtdvalid", RA_DTD_DIR "/ra-api-1.dtd");
    xmllint(r.out, "--relaxng", RA_DTD_DIR "/metadata.rng");
    ck_assert_ptr_nonnull(strstr(r.out, "<parameter name=\"config\" "
                                        "unique=\"1\" required=\"1\">"));
    ck_assert_ptr_nonnull(strstr(r.out, "<content type=\"integer\" "
                                        "default=\"3\"/>"));
    ck_assert_ptr_nonnull(strstr(r.out, "&amp; use &lt;markup&gt;"));
    /* an integer's range is said where its description is */
    ck_assert_ptr_nonnull(
        strstr(r.out, "A number of things.  Valid values: 0 to 1000."));
    ck_assert_ptr_nonnull(strstr(r.out, "<action name=\"monitor\" "
                                        "timeout=\"20s\" interval=\"10s\" "
                                        "depth=\"0\"/>"));
    ck_assert_ptr_nonnull(strstr(r.out, "<version>1.1</version>"));
}
END_TEST

START_TEST(lifecycle)
{
    g_autofree char *cfg = config_env();
    g_auto(result_t) probe = { 0 };
    g_auto(result_t) start = { 0 };
    g_auto(result_t) monitor = { 0 };
    g_auto(result_t) stop = { 0 };
    g_auto(result_t) stop_again = { 0 };
    g_auto(result_t) monitor_stopped = { 0 };

    run_agent(&probe, "monitor", cfg, "OCF_RESKEY_CRM_meta_interval=0", NULL);
    ck_assert_int_eq(probe.code, PCMK_OCF_NOT_RUNNING);
    ck_assert_ptr_null(exit_reason(&probe));

    run_agent(&start, "start", cfg, NULL);
    ck_assert_int_eq(start.code, PCMK_OCF_OK);
    ck_assert_ptr_nonnull(strstr(start.out, "count=3 verbose=0"));

    run_agent(&monitor, "monitor", cfg, "OCF_RESKEY_CRM_meta_interval=10000",
              NULL);
    ck_assert_int_eq(monitor.code, PCMK_OCF_OK);

    run_agent(&stop, "stop", cfg, NULL);
    ck_assert_int_eq(stop.code, PCMK_OCF_OK);
    run_agent(&stop_again, "stop", cfg, NULL);
    ck_assert_int_eq(stop_again.code, PCMK_OCF_OK);

    run_agent(&monitor_stopped, "monitor", cfg,
              "OCF_RESKEY_CRM_meta_interval=10000", NULL);
    ck_assert_int_eq(monitor_stopped.code, PCMK_OCF_NOT_RUNNING);
    ck_assert_ptr_null(exit_reason(&monitor_stopped));
}
END_TEST

START_TEST(parameters_are_typed_and_defaulted)
{
    g_autofree char *cfg = config_env();
    g_auto(result_t) r = { 0 };

    run_agent(&r, "start", cfg, "OCF_RESKEY_count=12", "OCF_RESKEY_verbose=yes",
              NULL);
    ck_assert_int_eq(r.code, PCMK_OCF_OK);
    ck_assert_ptr_nonnull(strstr(r.out, "count=12 verbose=1"));
}
END_TEST

/* One bad parameter: OCF_ERR_CONFIGURED, and a reason naming it */
static void
assert_bad_parameter(const char *action, const char *env1, const char *env2,
                     const char *reason_part)
{
    g_auto(result_t) r = { 0 };
    g_autofree char *reason = NULL;

    run_agent(&r, action, env1, env2, NULL);
    ck_assert_int_eq(r.code, PCMK_OCF_NOT_CONFIGURED);
    reason = exit_reason(&r);
    ck_assert_ptr_nonnull(reason);
    ck_assert_msg(strstr(reason, reason_part) != NULL, "'%s' not in '%s'",
                  reason_part, reason);
}

START_TEST(bad_parameters)
{
    g_autofree char *cfg = config_env();
    g_autofree char *huge =
        g_strdup_printf("OCF_RESKEY_count=%s", "99999999999999999999999");
    g_autofree char *long_path = g_strnfill(1000, 'x');
    g_autofree char *long_env =
        g_strconcat("OCF_RESKEY_config=", long_path, NULL);

    assert_bad_parameter("validate-all", "PATH=/bin", NULL,
                         "Required parameter 'config' is not set");
    assert_bad_parameter("start", "OCF_RESKEY_config=relative/path", NULL,
                         "must be an absolute path, not 'relative/path'");
    assert_bad_parameter("start", cfg, "OCF_RESKEY_count=-1",
                         "'count' must be from 0 to 1000, not '-1'");
    assert_bad_parameter("start", cfg, "OCF_RESKEY_count=1001",
                         "'count' must be from 0 to 1000, not '1001'");
    /* not cut to 32 bits (it became 0) */
    assert_bad_parameter("start", cfg, "OCF_RESKEY_count=4294967296",
                         "'count' must be from 0 to 1000, not '4294967296'");
    assert_bad_parameter("start", cfg, "OCF_RESKEY_count=abc",
                         "'count' must be an integer, not 'abc'");
    assert_bad_parameter("start", cfg, huge, "'count' must be an integer");
    assert_bad_parameter("start", cfg, "OCF_RESKEY_verbose=maybe",
                         "'verbose' must be true or false");
    assert_bad_parameter("start", cfg, "OCF_RESKEY_count=1\xff",
                         "'count' is not valid UTF-8");
    /* Long values are cut short in the reason */
    assert_bad_parameter("start", long_env, NULL, "xxx...'");
    /* A probe with a bad parameter is still a configuration error */
    assert_bad_parameter("monitor", "OCF_RESKEY_config=relative", NULL,
                         "absolute path");
}
END_TEST

/* VirtualDomain's integers, each with the range its use allows */
START_TEST(virtualdomain_integer_ranges)
{
    static const struct {
        const char *env;
        const char *reason;
    } rows[] = {
        { "OCF_RESKEY_migration_stall_timeout=4294967296",
          "Parameter 'migration_stall_timeout' must be from 0 to 3600, not "
          "'4294967296'" },
        { "OCF_RESKEY_migration_stall_timeout=3601",
          "'migration_stall_timeout' must be from 0 to 3600, not '3601'" },
        { "OCF_RESKEY_migration_speed=-1",
          "'migration_speed' must be from 0 to 1048576, not '-1'" },
        { "OCF_RESKEY_migration_speed=18446744073709551616",
          "'migration_speed' must be an integer" },
        { "OCF_RESKEY_migration_downtime=2000001",
          "'migration_downtime' must be from 0 to 2000000, not '2000001'" },
        { "OCF_RESKEY_parallel_connections=256",
          "'parallel_connections' must be from 0 to 255, not '256'" },
        { "OCF_RESKEY_migrateport=0",
          "'migrateport' must be from 1 to 65535, not '0'" },
        { "OCF_RESKEY_migrateport=65536",
          "'migrateport' must be from 1 to 65535, not '65536'" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_auto(result_t) r = { 0 };
        g_autofree char *reason = NULL;

        run_drover_agent("VirtualDomain", &r, "validate-all",
                         "OCF_RESKEY_config=/nonexistent/vm.xml", rows[i].env,
                         NULL);
        ck_assert_int_eq(r.code, PCMK_OCF_NOT_CONFIGURED);
        reason = exit_reason(&r);
        ck_assert_msg(reason != NULL && strstr(reason, rows[i].reason) != NULL,
                      "%s: '%s' not in '%s'", rows[i].env, rows[i].reason,
                      reason);
    }
}
END_TEST

/* VirtualDomain's URIs and names: what can never be valid is refused,
 * naming the parameter and the value */
START_TEST(virtualdomain_uris_and_names)
{
    static const struct {
        const char *env;
        const char *reason; /* NULL: valid */
    } rows[] = {
        { "OCF_RESKEY_hypervisor=qemu:///system", NULL },
        { "OCF_RESKEY_hypervisor=qemu+ssh://root@n2/system?keyfile=/k&"
          "no_verify=1",
          NULL },
        { "OCF_RESKEY_hypervisor=qemu:///system;reboot",
          "Parameter 'hypervisor' must be a URI like qemu:///system, not "
          "'qemu:///system;reboot': ';' is not allowed" },
        { "OCF_RESKEY_hypervisor=qemu:///system&x",
          "'&' is allowed only between query parameters" },
        { "OCF_RESKEY_hypervisor=qemu:///$(reboot)", "'$' is not allowed" },
        { "OCF_RESKEY_hypervisor=qemu:///sys tem",
          "not 'qemu:///sys tem': a blank is not allowed" },
        { "OCF_RESKEY_hypervisor=qemu:///sys\ntem",
          "not 'qemu:///sys tem': a control character is not allowed" },
        { "OCF_RESKEY_hypervisor=system", "does not parse" },
        { "OCF_RESKEY_migrateuri=tcp://%n-lm1:49152", NULL },
        { "OCF_RESKEY_migrateuri=tcp://%n.lm.example:49152", NULL },
        { "OCF_RESKEY_migrateuri=tcp://%n`id`",
          "Parameter 'migrateuri' must be a URI like tcp://%n-lm1 (%n: the "
          "target node), not 'tcp://%n`id`': '`' is not allowed" },
        { "OCF_RESKEY_migrateuri=tcp://%x", "does not parse" },
        { "OCF_RESKEY_remoteuri=qemu+tls://%n/system", NULL },
        { "OCF_RESKEY_remoteuri=qemu+ssh://%n/system?command=a|b",
          "Parameter 'remoteuri' must be a URI like qemu+tls://%n/system "
          "(%n: the target node), not 'qemu+ssh://%n/system?command=a|b': "
          "'|' is not allowed" },
        { "OCF_RESKEY_remoteuri=qemu+ssh://\"n\"/system",
          "a quote is not allowed" },
        { "OCF_RESKEY_migration_user=root", NULL },
        { "OCF_RESKEY_migration_user=svc.migr-1_a", NULL },
        { "OCF_RESKEY_migration_user=-oProxyCommand=x",
          "Parameter 'migration_user' must be a user name (letters, digits, "
          "'.', '_', '-', not starting with '-'), not '-oProxyCommand=x'" },
        { "OCF_RESKEY_migration_user=root@evil", "not 'root@evil'" },
        { "OCF_RESKEY_migration_network_suffix=-lm1", NULL },
        { "OCF_RESKEY_migration_network_suffix=.lm.example.org", NULL },
        { "OCF_RESKEY_migration_network_suffix=-lm1/x",
          "Parameter 'migration_network_suffix' must be host name characters "
          "(letters, digits, '.', '-'), like -lm1, not '-lm1/x'" },
        { "OCF_RESKEY_migration_network_suffix=:99", "not ':99'" },
        { "OCF_RESKEY_migration_networks=lm2 lm1", NULL },
        { "OCF_RESKEY_migration_networks=lm2,lm1", NULL },
        { "OCF_RESKEY_migration_networks=lm2;lm1",
          "Parameter 'migration_networks': 'lm2;lm1' is not a valid network "
          "name: use 1-32 of a-z" },
        { "OCF_RESKEY_migration_networks=lm1 lm1",
          "Parameter 'migration_networks': Migration network 'lm1' is listed "
          "twice" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_auto(result_t) r = { 0 };
        g_autofree char *reason = NULL;

        run_drover_agent("VirtualDomain", &r, "validate-all",
                         "OCF_RESKEY_config=/nonexistent/vm.xml", rows[i].env,
                         NULL);
        reason = exit_reason(&r);
        if (rows[i].reason == NULL) {
            ck_assert_msg(r.code == PCMK_OCF_OK, "%s: exit %d (%s): %s",
                          rows[i].env, r.code, reason, r.err);
            continue;
        }
        ck_assert_msg(r.code == PCMK_OCF_NOT_CONFIGURED, "%s: exit %d",
                      rows[i].env, r.code);
        ck_assert_msg(reason != NULL && strstr(reason, rows[i].reason) != NULL,
                      "%s: '%s' not in '%s'", rows[i].env, rows[i].reason,
                      reason);
    }
}
END_TEST

/* A stop goes on despite bad parameters, but with no valid hypervisor it
 * cannot know the VM stopped: it says so (never libvirt's default URI) */
START_TEST(virtualdomain_stop_without_valid_hypervisor)
{
    g_autofree char *rsctmp = g_strconcat("HA_RSCTMP=", tmpdir, NULL);
    g_auto(result_t) r = { 0 };
    g_autofree char *reason = NULL;

    run_drover_agent(
        "VirtualDomain", &r, "stop", "OCF_RESKEY_config=/nonexistent/vm.xml",
        "OCF_RESKEY_hypervisor=qemu:///system;reboot", rsctmp, NULL);
    ck_assert_int_eq(r.code, PCMK_OCF_UNKNOWN_ERROR);
    reason = exit_reason(&r);
    ck_assert_str_eq(reason, "Parameter 'hypervisor' is not valid: cannot "
                             "tell whether the VM is stopped");
}
END_TEST

START_TEST(stop_succeeds_despite_bad_parameters)
{
    g_auto(result_t) r = { 0 };

    run_agent(&r, "stop", "OCF_RESKEY_count=-5", NULL);
    ck_assert_int_eq(r.code, PCMK_OCF_OK);
    ck_assert_ptr_null(exit_reason(&r));
}
END_TEST

START_TEST(missing_config_file)
{
    g_autofree char *missing =
        g_strconcat("OCF_RESKEY_config=", tmpdir, "/missing.conf", NULL);
    g_auto(result_t) shallow = { 0 };
    g_auto(result_t) deep = { 0 };
    g_auto(result_t) probe = { 0 };
    g_auto(result_t) start = { 0 };
    g_autofree char *reason = NULL;

    /* validate-all at level 0 checks the parameters only */
    run_agent(&shallow, "validate-all", missing, NULL);
    ck_assert_int_eq(shallow.code, PCMK_OCF_OK);

    run_agent(&deep, "validate-all", missing, "OCF_CHECK_LEVEL=10", NULL);
    ck_assert_int_eq(deep.code, PCMK_OCF_NOT_INSTALLED);
    reason = exit_reason(&deep);
    ck_assert_ptr_nonnull(strstr(reason, "missing.conf' is missing"));

    /* A node without the configuration does not run the resource */
    run_agent(&probe, "monitor", missing, "OCF_RESKEY_CRM_meta_interval=0",
              NULL);
    ck_assert_int_eq(probe.code, PCMK_OCF_NOT_RUNNING);
    ck_assert_ptr_null(exit_reason(&probe));

    run_agent(&start, "start", missing, NULL);
    ck_assert_int_eq(start.code, PCMK_OCF_NOT_INSTALLED);
}
END_TEST

START_TEST(failure_reason_from_the_agent)
{
    g_autofree char *cfg = config_env();
    g_auto(result_t) r = { 0 };
    g_autofree char *reason = NULL;

    g_file_set_contents(config, "fail-start\n", -1, NULL);
    run_agent(&r, "start", cfg, NULL);
    ck_assert_int_eq(r.code, PCMK_OCF_UNKNOWN_ERROR);
    reason = exit_reason(&r);
    ck_assert_str_eq(reason, "Start refused by the configuration");
}
END_TEST

START_TEST(unknown_and_missing_actions)
{
    g_auto(result_t) unknown = { 0 };
    g_auto(result_t) none = { 0 };
    g_auto(result_t) usage = { 0 };
    g_autofree char *reason = NULL;

    run_agent(&unknown, "frobnicate", NULL);
    ck_assert_int_eq(unknown.code, PCMK_OCF_UNIMPLEMENT_FEATURE);
    reason = exit_reason(&unknown);
    ck_assert_ptr_nonnull(strstr(reason, "'frobnicate' is not implemented"));

    run_agent(&none, NULL, NULL);
    ck_assert_int_eq(none.code, PCMK_OCF_INVALID_PARAM);

    run_agent(&usage, "usage", NULL);
    ck_assert_int_eq(usage.code, PCMK_OCF_OK);
    ck_assert_str_eq(usage.out,
                     "usage: TestAgent "
                     "{start|stop|monitor|validate-all|meta-data}\n");
}
END_TEST

START_TEST(deadline_from_operation_timeout)
{
    g_autofree char *cfg = config_env();
    g_auto(result_t) r = { 0 };
    g_auto(result_t) dflt = { 0 };
    gint64 ms = 0;

    run_agent(&r, "start", cfg, "OCF_RESKEY_CRM_meta_timeout=20000", NULL);
    ck_assert_int_eq(r.code, 0);
    ck_assert(sscanf(r.out, "deadline_ms=%" G_GINT64_FORMAT, &ms) == 1);
    ck_assert_int_le(ms, 18000); /* 2 s kept back */
    ck_assert_int_gt(ms, 16000);

    /* Without one, the table's advised timeout (20 s) counts */
    run_agent(&dflt, "start", cfg, NULL);
    ck_assert(sscanf(dflt.out, "deadline_ms=%" G_GINT64_FORMAT, &ms) == 1);
    ck_assert_int_le(ms, 18000);
    ck_assert_int_gt(ms, 16000);
}
END_TEST

START_TEST(budget)
{
    ck_assert_int_eq(drover_ocf_budget_ms(20000), 18000);
    ck_assert_int_eq(drover_ocf_budget_ms(5000), 4000);     /* 1 s min */
    ck_assert_int_eq(drover_ocf_budget_ms(600000), 590000); /* 10 s max */
    ck_assert_int_eq(drover_ocf_budget_ms(1000), 500);      /* half */
    ck_assert_int_eq(drover_ocf_budget_ms(0), 0);
}
END_TEST

/* The URI check itself (hypervisor, NodeHealth's libvirt_uri) */
START_TEST(uri_check)
{
    static const drover_ocf_param_t param = { .name = "uri",
                                              .default_value = "a:///b" };
    static const struct {
        const char *value;
        const char *reason; /* NULL: valid */
    } rows[] = {
        { "qemu:///system", NULL },
        { "test:///default", NULL },
        { "qemu+tls://[fd00::12]:16514/system", NULL },
        { "qemu+ssh://u@h/system?keyfile=/a%20b&no_verify=1#x", NULL },
        { "tcp:n2:49152", NULL },
        { "qemu:///system>/etc/passwd",
          "Parameter 'uri' must be a URI like a:///b, not "
          "'qemu:///system>/etc/passwd': '>' is not allowed" },
        { "qemu:///system#a&b", "'&' is allowed only between query" },
        { "qemu:///syst\u00e9m", "a non-ASCII character must be "
                                 "percent-encoded" },
        { "qemu:///system\x7f", "a control character is not allowed" },
        { "qemu:///sys\\tem", "'\\' is not allowed" },
        { "qemu:///a'b", "a quote is not allowed" },
        { "qemu:///%zz", "it does not parse as scheme:[//host]/path" },
        { "no-scheme", "it does not parse" },
        { "qemu://h:99999/", "it does not parse" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autoptr(GString) reason = g_string_new(NULL);
        int rc = drover_ocf_check_uri(&param, rows[i].value, reason);

        if (rows[i].reason == NULL) {
            ck_assert_msg(rc == 0, "%s: %s", rows[i].value, reason->str);
            continue;
        }
        ck_assert_msg(rc == DROVER_RC_CONFIG, "%s accepted", rows[i].value);
        ck_assert_msg(strstr(reason->str, rows[i].reason) != NULL,
                      "'%s' not in '%s'", rows[i].reason, reason->str);
    }
}
END_TEST

START_TEST(exit_codes_per_action)
{
    ck_assert_int_eq(drover_ocf_exit_code(DROVER_RC_NOT_RUNNING, "stop", false),
                     PCMK_OCF_OK);
    ck_assert_int_eq(
        drover_ocf_exit_code(DROVER_RC_NOT_RUNNING, "monitor", true),
        PCMK_OCF_NOT_RUNNING);
    ck_assert_int_eq(
        drover_ocf_exit_code(DROVER_RC_NOT_RUNNING, "start", false),
        PCMK_OCF_UNKNOWN_ERROR);
    ck_assert_int_eq(drover_ocf_exit_code(DROVER_RC_INSTALLED, "monitor", true),
                     PCMK_OCF_NOT_RUNNING);
    ck_assert_int_eq(drover_ocf_exit_code(DROVER_RC_INSTALLED, "start", false),
                     PCMK_OCF_NOT_INSTALLED);
    ck_assert_int_eq(drover_ocf_exit_code(DROVER_RC_CONFIG, "monitor", true),
                     PCMK_OCF_NOT_CONFIGURED);
    ck_assert_int_eq(
        drover_ocf_exit_code(DROVER_RC_TIMEOUT, "migrate_to", false),
        PCMK_OCF_UNKNOWN_ERROR);
    ck_assert_int_eq(drover_ocf_exit_code(EACCES, "start", false),
                     PCMK_OCF_INSUFFICIENT_PRIV);
}
END_TEST

Suite *
ocf_suite(void)
{
    Suite *s = suite_create("ocf");
    TCase *agent = tcase_create("agent");
    TCase *pure = tcase_create("mapping");
    /* drover's own agent, a process per row */
    TCase *vd = tcase_create("VirtualDomain");

    tcase_add_checked_fixture(agent, setup, teardown);
    tcase_add_test(agent, metadata_is_valid);
    tcase_add_test(agent, drover_agents_metadata_valid);
    tcase_add_test(agent, lifecycle);
    tcase_add_test(agent, parameters_are_typed_and_defaulted);
    tcase_add_test(agent, bad_parameters);
    tcase_add_test(agent, stop_succeeds_despite_bad_parameters);
    tcase_add_test(agent, missing_config_file);
    tcase_add_test(agent, failure_reason_from_the_agent);
    tcase_add_test(agent, unknown_and_missing_actions);
    tcase_add_test(agent, deadline_from_operation_timeout);
    tcase_add_test(pure, budget);
    tcase_add_test(pure, uri_check);
    tcase_add_test(pure, exit_codes_per_action);
    tcase_add_checked_fixture(vd, setup, teardown);
    tcase_set_timeout(vd, 180); /* 31 agent runs: a loaded CI machine */
    tcase_add_test(vd, virtualdomain_integer_ranges);
    tcase_add_test(vd, virtualdomain_uris_and_names);
    tcase_add_test(vd, virtualdomain_stop_without_valid_hypervisor);
    suite_add_tcase(s, agent);
    suite_add_tcase(s, vd);
    suite_add_tcase(s, pure);
    return s;
}
