/*
 * The library's small shared helpers (util.c).
 */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "drover_private.h"
#include "unit.h"

/* How many <c id="..."/> of a document holding one with id \p id an XPath
 * expression with drover__xpath_literal(\p id) finds */
static int
matches(const char *id, const char *literal)
{
    g_autoptr(xmlDoc) doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNode *root = xmlNewNode(NULL, BAD_CAST "constraints");
    g_autofree char *xpath = g_strdup_printf("//c[@id=%s]", literal);
    g_autoptr(xmlXPathContext) ctx = NULL;
    g_autoptr(xmlXPathObject) found = NULL;

    xmlDocSetRootElement(doc, root);
    xmlNewProp(xmlNewChild(root, NULL, BAD_CAST "c", NULL), BAD_CAST "id",
               BAD_CAST id);
    xmlNewProp(xmlNewChild(root, NULL, BAD_CAST "c", NULL), BAD_CAST "id",
               BAD_CAST "other");
    ctx = xmlXPathNewContext(doc);
    found = xmlXPathEvalExpression(BAD_CAST xpath, ctx);
    ck_assert_msg(found != NULL, "not XPath: %s", xpath);
    return (found->nodesetval != NULL) ? found->nodesetval->nodeNr : 0;
}

START_TEST(xpath_literals)
{
    static const struct {
        const char *value;
        const char *literal;
    } rows[] = {
        { "drover-drain-n1-", "'drover-drain-n1-'" },
        { "", "''" },
        { "it's", "\"it's\"" },
        { "say \"hi\"", "'say \"hi\"'" },
        { "n1' or '1'='1", "\"n1' or '1'='1\"" },
        { "a'b\"c", "concat('a',\"'\",'b\"c')" },
        { "'\"'", "concat('',\"'\",'\"',\"'\",'')" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autofree char *literal = drover__xpath_literal(rows[i].value);

        ck_assert_str_eq(literal, rows[i].literal);
        /* it finds exactly the one element, never all of them */
        ck_assert_int_eq(matches(rows[i].value, literal), 1);
    }
}
END_TEST

/* ---- replacing a file ---- */

static char *dir = NULL;

static void
setup(void)
{
    dir = g_dir_make_tmp("drover-util-XXXXXX", NULL);
}

static gint
by_name(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Every file left in the directory, sorted: "a b" */
static char *
listing(void)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name = NULL;

    while ((name = g_dir_read_name(d)) != NULL) {
        g_ptr_array_add(names, g_strdup(name));
    }
    g_ptr_array_sort(names, by_name);
    g_ptr_array_add(names, NULL);
    return g_strjoinv(" ", (char **) names->pdata);
}

static void
teardown(void)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name = NULL;

    while ((name = g_dir_read_name(d)) != NULL) {
        g_autofree char *path = g_build_filename(dir, name, NULL);

        g_unlink(path);
    }
    g_rmdir(dir);
    g_clear_pointer(&dir, g_free);
}

/* A file of \p mode holding "old", its path */
static char *
old_file(const char *name, mode_t mode)
{
    char *path = g_build_filename(dir, name, NULL);

    ck_assert(g_file_set_contents(path, "old", -1, NULL));
    ck_assert_int_eq(g_chmod(path, mode), 0);
    return path;
}

static void
assert_file(const char *path, const char *content, mode_t mode, uid_t uid,
            gid_t gid)
{
    g_autofree char *text = NULL;
    struct stat st;

    ck_assert(g_file_get_contents(path, &text, NULL, NULL));
    ck_assert_str_eq(text, content);
    ck_assert_int_eq(lstat(path, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_msg((st.st_mode & 07777) == mode, "%s: mode %o, not %o", path,
                  (unsigned) (st.st_mode & 07777), (unsigned) mode);
    ck_assert_int_eq(st.st_uid, uid);
    ck_assert_int_eq(st.st_gid, gid);
}

/* The mode is the old one, within the maximum: never wider than either */
START_TEST(replace_keeps_mode_within_max)
{
    static const struct {
        mode_t old, max, want;
    } rows[] = {
        { 0600, 0600, 0600 }, /* as libvirt writes it */
        { 0644, 0600, 0600 }, /* readable by all: no more */
        { 0640, 0600, 0600 },
        { 0400, 0600, 0400 }, /* never wider than it was */
        { 0664, 0644, 0644 },
        { 04755, 0600, 0600 }, /* no set-id bits come along */
    };

    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autoptr(GString) reason = g_string_new(NULL);
        g_autofree char *path = old_file("vm.xml", rows[i].old);
        g_autofree char *left = NULL;

        ck_assert_msg(
            drover__file_replace(path, "<domain/>", 9, rows[i].max, reason)
                == 0,
            "%s", reason->str);
        assert_file(path, "<domain/>", rows[i].want, geteuid(), getegid());
        left = listing();
        ck_assert_str_eq(left, "vm.xml"); /* no temporary file left */
    }
}
END_TEST

/* The owner and group are the old file's, not the writer's */
START_TEST(replace_keeps_owner)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *path = old_file("vm.xml", 0640);
    uid_t uid = geteuid();
    gid_t gid = getegid();

    if (geteuid() == 0) {
        uid = 65534; /* nobody: as root, any owner */
        gid = 65534;
    } else {
        gid_t groups[64];
        int n = getgroups(G_N_ELEMENTS(groups), groups);

        /* another group of ours, if we have one */
        for (int i = 0; i < n; i++) {
            gid = (groups[i] != getegid()) ? groups[i] : gid;
        }
    }
    ck_assert_int_eq(chown(path, uid, gid), 0);
    ck_assert_int_eq(drover__file_replace(path, "new", 3, 0600, reason), 0);
    assert_file(path, "new", 0600, uid, gid);
}
END_TEST

/* Through a link, the file it points to is replaced; the link stays */
START_TEST(replace_follows_a_link)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *real = old_file("real.xml", 0644);
    g_autofree char *link = g_build_filename(dir, "vm.xml", NULL);
    g_autofree char *left = NULL;
    struct stat st;

    ck_assert_int_eq(symlink("real.xml", link), 0);
    ck_assert_int_eq(drover__file_replace(link, "new", 3, 0600, reason), 0);
    ck_assert_int_eq(lstat(link, &st), 0);
    ck_assert(S_ISLNK(st.st_mode));
    assert_file(real, "new", 0600, geteuid(), getegid());
    left = listing();
    ck_assert_str_eq(left, "real.xml vm.xml");
}
END_TEST

START_TEST(replace_creates_with_max_mode)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *path = g_build_filename(dir, "new.xml", NULL);

    ck_assert_int_eq(drover__file_replace(path, "new", 3, 0600, reason), 0);
    assert_file(path, "new", 0600, geteuid(), getegid());
}
END_TEST

/* On failure the old file is as it was, and nothing is left behind */
START_TEST(replace_fails_cleanly)
{
    g_autoptr(GString) reason = g_string_new(NULL);
    g_autofree char *missing = g_build_filename(dir, "no", "vm.xml", NULL);
    g_autofree char *sub = g_build_filename(dir, "sub", NULL);
    g_autofree char *left = NULL;

    ck_assert_int_eq(drover__file_replace(missing, "x", 1, 0600, reason),
                     ENOENT);
    ck_assert_msg(g_str_has_prefix(reason->str, "Cannot create a file in "),
                  "%s", reason->str);
    ck_assert_int_eq(g_mkdir(sub, 0700), 0);
    ck_assert_int_eq(drover__file_replace(sub, "x", 1, 0600, reason), EINVAL);
    ck_assert_ptr_nonnull(strstr(reason->str, "Not a regular file"));
    left = listing();
    ck_assert_str_eq(left, "sub");
    g_rmdir(sub);
}
END_TEST

/* Every process's first parses in two threads at once succeed (a GLib 2.74
 * race, see make_glib_c_locale()): without the fix, 97 runs of 600 failed
 * here, so 100 runs all pass by chance once in 10^7 (a run takes 35 ms) */
START_TEST(first_parses_in_threads)
{
    const char *helper = g_getenv("DROVER_TEST_FIRST_PARSE");
    const char *argv[] = { helper, NULL };
    int failed = 0;

    ck_assert_ptr_nonnull(helper);
    for (int i = 0; i < 100; i++) {
        int status = 0;

        ck_assert(g_spawn_sync(NULL, (char **) argv, NULL,
                               G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL,
                               NULL, &status, NULL));
        if (!g_spawn_check_wait_status(status, NULL)) {
            failed++;
        }
    }
    ck_assert_int_eq(failed, 0);
}
END_TEST

Suite *
util_suite(void)
{
    Suite *s = suite_create("util");
    TCase *tc = tcase_create("util");
    TCase *files = tcase_create("file_replace");
    TCase *threads = tcase_create("first_parse");

    tcase_add_test(tc, xpath_literals);
    suite_add_tcase(s, tc);
    tcase_set_timeout(threads, 60);
    tcase_add_test(threads, first_parses_in_threads);
    suite_add_tcase(s, threads);
    tcase_add_checked_fixture(files, setup, teardown);
    tcase_add_test(files, replace_keeps_mode_within_max);
    tcase_add_test(files, replace_keeps_owner);
    tcase_add_test(files, replace_follows_a_link);
    tcase_add_test(files, replace_creates_with_max_mode);
    tcase_add_test(files, replace_fails_cleanly);
    suite_add_tcase(s, files);
    return s;
}
