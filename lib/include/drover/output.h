/*
 * Command output in text, XML and JSON from one source.
 *
 * A command builds its result as an XML tree (attributes only, no text
 * content); XML prints that tree, which schemas/ describe; JSON maps it
 * mechanically; text is the command's own rendering of the same tree.  So
 * the three never disagree.  The JSON mapping:
 *  - an element is an object, its attributes are members (strings, or
 *    numbers and booleans when set with the typed setters);
 *  - an element without attributes whose children all share one name is a
 *    list (<nodes><node/><node/></nodes> -> "nodes": [{}, {}]);
 *  - any other child is a member named after it (an array if repeated).
 */
#ifndef DROVER_OUTPUT__H
#define DROVER_OUTPUT__H

#include <stdbool.h>
#include <stdio.h>

#include <glib.h>
#include <libxml/tree.h>

typedef enum {
    DROVER_OUTPUT_TEXT,
    DROVER_OUTPUT_XML,
    DROVER_OUTPUT_JSON,
} drover_output_format_t;

typedef struct drover_output_s drover_output_t;

/* Renders the result tree as text for people */
typedef void (*drover_output_text_fn)(const xmlNode *result, GString *text);

/*!
 * \brief Parse "text", "xml" or "json"
 */
int drover_output_format_parse(const char *name,
                               drover_output_format_t *format);

/*!
 * \brief Start the result of \p command: <drover version= command=>
 */
drover_output_t *drover_output_new(const char *command);
void drover_output_free(drover_output_t *out);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(drover_output_t, drover_output_free)

xmlNode *drover_output_root(drover_output_t *out);

/*!
 * \brief Add an element \p name under \p parent
 */
xmlNode *drover_output_add(xmlNode *parent, const char *name);

/* Attributes; the typed ones become JSON numbers and booleans */
void drover_output_set(xmlNode *node, const char *name, const char *value);
void drover_output_set_int(drover_output_t *out, xmlNode *node,
                           const char *name, gint64 value);
void drover_output_set_bool(drover_output_t *out, xmlNode *node,
                            const char *name, bool value);

/*!
 * \brief An attribute of a result node, "" if it has none (for the text
 *        renderers)
 */
const char *drover_output_get(const xmlNode *node, const char *name);

/*!
 * \brief Record the command's result: <status code= message=>
 */
void drover_output_status(drover_output_t *out, int exit_code,
                          const char *message);

/*!
 * \brief Print the result in \p format (\p text renders the text format)
 */
int drover_output_print(drover_output_t *out, drover_output_format_t format,
                        drover_output_text_fn text, FILE *stream);

/*!
 * \brief The JSON form of a result (what --output-as=json prints)
 */
char *drover_output_to_json(drover_output_t *out);

/*
 * Progress of a long operation.  On a terminal, one line rewritten in
 * place; elsewhere (logs, pipes) a line per change, at most one a second.
 */
typedef struct drover_progress_s drover_progress_t;

drover_progress_t *drover_progress_new(FILE *stream, bool terminal);
void drover_progress_update(drover_progress_t *progress, const char *format,
                            ...) G_GNUC_PRINTF(2, 3);
void drover_progress_done(drover_progress_t *progress, const char *format, ...)
    G_GNUC_PRINTF(2, 3);
void drover_progress_free(drover_progress_t *progress);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(drover_progress_t, drover_progress_free)

#endif /* DROVER_OUTPUT__H */
