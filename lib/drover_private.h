/*
 * Shared inside libdrover and its programs, not part of the public API.
 */
#ifndef DROVER_PRIVATE__H
#define DROVER_PRIVATE__H

#include <sys/types.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <drover/autoptr.h>

/*!
 * \brief A value made fit to quote in a message: valid UTF-8, one line,
 *        at most 80 characters (longer ones end in "...")
 */
char *drover__shown(const char *value);

/*!
 * \brief Append \p text as roff text: backslashes as \e, hyphens as \-,
 *        a leading '.' or '\'' guarded, newlines as paragraph breaks
 */
void drover__roff_text(GString *out, const char *text);

/*!
 * \brief What makes \p text unfit as a URI for libvirt, or NULL if it fits
 *
 * It must parse (g_uri_parse(), with a scheme) and hold only printable
 * ASCII (anything else percent-encoded), none of " ' ` ; | $ < > \ ^ ( ) { }
 * and '&' only between the parameters of its query.  Nothing that can be
 * valid needs them; a shell or a command line built from it would.
 *
 * \return e.g. "';' is not allowed" (free it), or NULL
 */
char *drover__uri_problem(const char *text);

/*!
 * \brief \p value as an XPath 1.0 string literal: 'a', "it's", or
 *        concat('a',"'",'b') when it holds both quotes
 */
char *drover__xpath_literal(const char *value);

/*!
 * \brief Replace the file at \p path with \p data, atomically
 *
 * A symbolic link is followed: the file it points to is replaced.  The new
 * file is a temporary one in the same directory, created with mode 0600,
 * given the old file's owner and group and its mode within \p max_mode
 * (never wider than the old one, nor than \p max_mode; \p max_mode for a
 * new file), the old file's SELinux label when it has one, synced, and
 * renamed over the old one; the directory is synced then.  POSIX ACLs are
 * not copied.  On failure the old file is untouched.
 *
 * \return 0, or an errno with \p reason saying what failed
 */
int drover__file_replace(const char *path, const char *data, size_t len,
                         mode_t max_mode, GString *reason);

/*!
 * \brief Member \p key of \p o when it is a string, else \p fallback,
 *        made valid UTF-8 (free it)
 *
 * json-glib's _with_default() getters assert on a member of another type
 * and give NULL for a number; json-glib 1.6 takes an octal escape ("\200")
 * for a byte, which would not format to JSON that parses again.
 */
char *drover__json_string(JsonObject *o, const char *key, const char *fallback);

/*! \brief Member \p key of \p o when it is an integer, else 0 */
gint64 drover__json_int(JsonObject *o, const char *key);

/*!
 * \brief The value of \p node's attribute \p name ("" when it has no
 *        text), or NULL when it has none: the one reader of XML attributes
 *        (the CIB's, crm_mon's, drover's own output)
 *
 * The value lives as long as the node.
 */
const char *drover__xml_attr(const xmlNode *node, const char *name);

/*!
 * \brief \p length bytes of \p text (named \p name) as XML, read offline
 *        and quietly: the one reader of what others write (a domain's
 *        config, libvirt's capabilities, crm_mon's and attrd_updater's
 *        output), which reports a bad document by its NULL alone
 */
xmlDoc *drover__xml_read(const char *text, size_t length, const char *name);

#endif /* DROVER_PRIVATE__H */
