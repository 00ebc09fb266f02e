/*
 * libFuzzer target: the schema-guided JSON and CSV readers. Each input line
 * is parsed into a batch of every column type; bad records must be reported,
 * never crash, leak or hang.
 */
#include "batch/batch.h"
#include "core/errbuf.h"
#include "formats/format.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *names[] = {"s", "i", "d", "b", "t"};
    em_type types[] = {EM_TYPE_TEXT, EM_TYPE_BIGINT, EM_TYPE_DOUBLE, EM_TYPE_BOOLEAN,
                       EM_TYPE_TIMESTAMP};
    em_schema *schema = em_schema_create(5, names, types);
    em_arena arena;
    em_arena_init(&arena, 0);
    const char *formats[] = {"json", "csv"};
    for (int f = 0; f < 2 && schema; f++) {
        em_reader *r = NULL;
        em_errbuf err;
        em_batch_builder bb;
        if (em_reader_create(&r, formats[f], schema, "ms", &err) ||
            em_batch_builder_init(&bb, schema, 64, &arena)) {
            em_reader_destroy(r);
            continue;
        }
        const char *p = (const char *)data, *end = p + size;
        while (p < end && !em_batch_builder_full(&bb)) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
            em_reader_parse(r, p, n, &bb, &err);
            p += n + (nl != NULL);
        }
        em_batch *b = em_batch_builder_finish(&bb);
        em_writer *w = NULL;
        em_buf out;
        em_buf_init(&out, 1 << 24);
        if (em_writer_create(&w, formats[f], schema, &err) == 0)
            em_writer_write(w, b, &out);
        em_writer_destroy(w);
        em_buf_release(&out);
        em_reader_destroy(r);
        em_arena_reset(&arena);
    }
    em_arena_release(&arena);
    em_schema_destroy(schema);
    return 0;
}
