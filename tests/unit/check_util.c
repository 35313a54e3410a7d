/*
 * The library's small shared helpers (util.c).
 */
#include <string.h>

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

Suite *
util_suite(void)
{
    Suite *s = suite_create("util");
    TCase *tc = tcase_create("util");

    tcase_add_test(tc, xpath_literals);
    suite_add_tcase(s, tc);
    return s;
}
