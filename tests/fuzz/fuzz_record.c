/*
 * libFuzzer target: a migration record (drover_record_parse,
 * drover_record_format), the JSON a node keeps in a private attribute.
 *
 * Input: the attribute's value (up to the first NUL, and to the end of
 * its first JSON value: see fuzz_json.h).  A rejected text
 * leaves the record empty; what parses must format to a text that parses
 * to the same record and formats the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drover/record.h>

#include "fuzz_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void G_GNUC_NORETURN
fail(const char *what, const char *text)
{
    fprintf(stderr, "fuzz_record: %s (input '%s')\n", what, text);
    abort();
}

static bool
records_equal(const drover_record_t *a, const drover_record_t *b)
{
    return a->at_ms == b->at_ms && g_strcmp0(a->source, b->source) == 0
           && g_strcmp0(a->target, b->target) == 0
           && g_strcmp0(a->mode, b->mode) == 0
           && g_strcmp0(a->network, b->network) == 0
           && g_strcmp0(a->uri, b->uri) == 0
           && g_strcmp0(a->skipped, b->skipped) == 0 && a->ok == b->ok
           && g_strcmp0(a->error, b->error) == 0
           && a->duration_ms == b->duration_ms && a->bytes == b->bytes
           && a->attempts == b->attempts;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = fuzz_json_first_value(data, size);
    static const drover_record_t empty = { 0 };
    drover_record_t record;
    drover_record_t again;
    g_autofree char *formatted = NULL;
    g_autofree char *reformatted = NULL;

    if (drover_record_parse(text, &record) != 0) {
        if (memcmp(&record, &empty, sizeof(record)) != 0) {
            fail("rejected record not empty", text);
        }
        return 0;
    }
    formatted = drover_record_format(&record);
    if (drover_record_parse(formatted, &again) != 0) {
        fail("a formatted record does not parse again", text);
    }
    if (!records_equal(&record, &again)) {
        fail("round trip changed the record", text);
    }
    reformatted = drover_record_format(&again);
    if (strcmp(formatted, reformatted) != 0) {
        fail("formatting is not stable", text);
    }
    drover_record_clear(&record);
    drover_record_clear(&again);
    return 0;
}
