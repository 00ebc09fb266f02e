/*
 * libFuzzer target: the InfluxDB line protocol reader. Each input line is
 * parsed into a batch of every column type (with a `measurement` column and
 * two TIMESTAMP columns), once per timestamp precision; bad lines must be
 * reported as EM_EPARSE with a message, never crash, leak, hang or read
 * past the line (each line is copied to a buffer of exactly its length, so
 * ASan sees any overread).
 */
#include "batch/batch.h"
#include "core/errbuf.h"
#include "core/mem.h"
#include "ember/error.h"
#include "formats/format.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *names[] = {"measurement", "s", "i", "d", "b", "t", "u"};
    em_type types[] = {EM_TYPE_TEXT,    EM_TYPE_TEXT,      EM_TYPE_BIGINT,   EM_TYPE_DOUBLE,
                       EM_TYPE_BOOLEAN, EM_TYPE_TIMESTAMP, EM_TYPE_TIMESTAMP};
    em_schema *schema = em_schema_create(7, names, types);
    em_arena arena;
    em_arena_init(&arena, 0);
    const char *units[] = {NULL, "s"};
    for (int u = 0; u < 2 && schema; u++) {
        em_reader *r = NULL;
        em_errbuf err;
        em_batch_builder bb;
        if (em_reader_create(&r, "influx", schema, units[u], &err) ||
            em_batch_builder_init(&bb, schema, 64, &arena)) {
            em_reader_destroy(r);
            continue;
        }
        const char *p = (const char *)data, *end = p + size;
        while (p < end && !em_batch_builder_full(&bb)) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
            char *line = malloc(n ? n : 1);
            if (!line) break;
            memcpy(line, p, n);
            uint32_t rows = bb.b->nrows;
            int rc = em_reader_parse(r, line, n, &bb, &err);
            if (rc == EM_EPARSE && (!err.msg[0] || bb.b->nrows != rows))
                abort(); /* a bad line must say why and leave no row */
            if (rc == 0 && bb.b->nrows != rows + 1) abort();
            free(line);
            p += n + (nl != NULL);
        }
        em_batch *b = em_batch_builder_finish(&bb);
        em_writer *w = NULL;
        em_buf out;
        em_buf_init(&out, 1 << 24);
        if (em_writer_create(&w, "json", schema, &err) == 0) em_writer_write(w, b, &out);
        em_writer_destroy(w);
        em_buf_release(&out);
        em_reader_destroy(r);
        em_arena_reset(&arena);
    }
    em_arena_release(&arena);
    em_schema_destroy(schema);
    return 0;
}
