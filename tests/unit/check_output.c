/*
 * Output: XML valid against schemas/, the JSON mapping, text, progress.
 */
#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <libxml/relaxng.h>

#include <drover/output.h>
#include <drover/rc.h>

#include "unit.h"

/* A result shaped like `drover config show` */
static drover_output_t *
sample(void)
{
    drover_output_t *out = drover_output_new("config show");
    xmlNode *root = drover_output_root(out);
    xmlNode *props = drover_output_add(root, "properties");
    xmlNode *nodes = drover_output_add(root, "nodes");
    xmlNode *node = NULL;
    xmlNode *p = drover_output_add(props, "property");

    drover_output_set(p, "name", "drover-max-migrations");
    drover_output_set(p, "value", "4");
    drover_output_set(p, "origin", "set");
    node = drover_output_add(nodes, "node");
    drover_output_set(node, "name", "n1");
    drover_output_set_bool(out, node, "online", true);
    drover_output_add(node, "attributes");
    drover_output_status(out, 0, "OK");
    return out;
}

static char *
print_to_string(drover_output_t *out, drover_output_format_t format,
                drover_output_text_fn text)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *stream = open_memstream(&buf, &len);

    ck_assert_int_eq(drover_output_print(out, format, text, stream), 0);
    fclose(stream);
    return buf;
}

START_TEST(format_names)
{
    drover_output_format_t f = DROVER_OUTPUT_TEXT;

    ck_assert_int_eq(drover_output_format_parse("json", &f), 0);
    ck_assert_int_eq(f, DROVER_OUTPUT_JSON);
    ck_assert_int_eq(drover_output_format_parse("xml", &f), 0);
    ck_assert_int_eq(f, DROVER_OUTPUT_XML);
    ck_assert_int_eq(drover_output_format_parse("yaml", &f), DROVER_RC_USAGE);
    ck_assert_int_eq(drover_output_format_parse(NULL, &f), DROVER_RC_USAGE);
}
END_TEST

START_TEST(xml_validates_against_the_schema)
{
    g_autoptr(drover_output_t) out = sample();
    g_autofree char *xml = print_to_string(out, DROVER_OUTPUT_XML, NULL);
    g_autofree char *schema =
        g_build_filename(unit_env("DROVER_SCHEMAS"), "drover-output.rng", NULL);
    xmlRelaxNGParserCtxtPtr parser = xmlRelaxNGNewParserCtxt(schema);
    xmlRelaxNGPtr rng = xmlRelaxNGParse(parser);
    xmlRelaxNGValidCtxtPtr valid = xmlRelaxNGNewValidCtxt(rng);
    xmlDoc *doc = xmlReadMemory(xml, (int) strlen(xml), "out.xml", NULL, 0);

    ck_assert_ptr_nonnull(rng);
    ck_assert_ptr_nonnull(doc);
    ck_assert_int_eq(xmlRelaxNGValidateDoc(valid, doc), 0);

    /* and a broken one does not */
    xmlUnsetProp(xmlDocGetRootElement(doc), BAD_CAST "command");
    ck_assert_int_ne(xmlRelaxNGValidateDoc(valid, doc), 0);

    xmlFreeDoc(doc);
    xmlRelaxNGFreeValidCtxt(valid);
    xmlRelaxNGFree(rng);
    xmlRelaxNGFreeParserCtxt(parser);
}
END_TEST

START_TEST(json_mapping)
{
    g_autoptr(drover_output_t) out = sample();
    g_autofree char *json = drover_output_to_json(out);
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *root = NULL;
    JsonArray *nodes = NULL;
    JsonObject *n1 = NULL;

    ck_assert(json_parser_load_from_data(parser, json, -1, NULL));
    root = json_node_get_object(json_parser_get_root(parser));
    ck_assert_str_eq(json_object_get_string_member(root, "command"),
                     "config show");
    /* lists become arrays, typed attributes keep their type */
    nodes = json_object_get_array_member(root, "nodes");
    ck_assert_int_eq(json_array_get_length(nodes), 1);
    n1 = json_array_get_object_element(nodes, 0);
    ck_assert_str_eq(json_object_get_string_member(n1, "name"), "n1");
    ck_assert(json_object_get_boolean_member(n1, "online"));
    ck_assert_int_eq(
        json_array_get_length(json_object_get_array_member(n1, "attributes")),
        0);
    ck_assert_str_eq(
        json_object_get_string_member(
            json_array_get_object_element(
                json_object_get_array_member(root, "properties"), 0),
            "value"),
        "4");
    /* a single child is an object */
    ck_assert_int_eq(json_object_get_int_member(
                         json_object_get_object_member(root, "status"), "code"),
                     0);
}
END_TEST

static void
sample_text(const xmlNode *result, GString *text)
{
    g_string_append_printf(text, "%s!\n", (const char *) result->name);
}

START_TEST(text_uses_the_command_renderer)
{
    g_autoptr(drover_output_t) out = sample();
    g_autofree char *text =
        print_to_string(out, DROVER_OUTPUT_TEXT, sample_text);

    ck_assert_str_eq(text, "drover!\n");
}
END_TEST

START_TEST(progress_on_a_terminal_rewrites_one_line)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *stream = open_memstream(&buf, &len);
    drover_progress_t *p = drover_progress_new(stream, true);

    drover_progress_update(p, "vm1 %d%%", 10);
    drover_progress_update(p, "vm1 %d%%", 50);
    drover_progress_done(p, "vm1 done");
    drover_progress_free(p);
    fclose(stream);
    ck_assert_str_eq(buf, "\r\033[Kvm1 10%\r\033[Kvm1 50%\r\033[Kvm1 done\n");
    free(buf);
}
END_TEST

START_TEST(progress_elsewhere_is_rate_limited)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *stream = open_memstream(&buf, &len);
    drover_progress_t *p = drover_progress_new(stream, false);

    drover_progress_update(p, "step 1");
    drover_progress_update(p, "step 2"); /* within a second: skipped */
    drover_progress_done(p, "finished"); /* always shown */
    drover_progress_free(p);
    fclose(stream);
    ck_assert_str_eq(buf, "step 1\nfinished\n");
    free(buf);
}
END_TEST

Suite *
output_suite(void)
{
    Suite *s = suite_create("output");
    TCase *tc = tcase_create("output");

    tcase_add_test(tc, format_names);
    tcase_add_test(tc, xml_validates_against_the_schema);
    tcase_add_test(tc, json_mapping);
    tcase_add_test(tc, text_uses_the_command_renderer);
    tcase_add_test(tc, progress_on_a_terminal_rewrites_one_line);
    tcase_add_test(tc, progress_elsewhere_is_rate_limited);
    suite_add_tcase(s, tc);
    return s;
}
