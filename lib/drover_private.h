/*
 * Shared inside libdrover and its programs, not part of the public API.
 */
#ifndef DROVER_PRIVATE__H
#define DROVER_PRIVATE__H

#include <glib.h>

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

#endif /* DROVER_PRIVATE__H */
