/*
 * libFuzzer target: the schema-guided JSON and CSV readers. Each input line
 * is parsed into a batch of every column type; bad records must be reported,
 * never crash, leak or hang. For JSON the input is also read a block at a
 * time with em_reader_parse_lines, which reads records shaped like the one
 * before through json_shape.c's fast path: its rows must equal the general
 * parser's (a fresh reader per line, whose first record is always read the
 * general way), or the target aborts.
 */
#include "batch/batch.h"
#include "core/errbuf.h"
#include "formats/format.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The rows of bb as text, written by the JSON writer (caller frees). */
static char *render(const em_schema *schema, em_batch_builder *bb, size_t *len)
{
    em_errbuf err;
    em_writer *w = NULL;
    em_buf out;
    em_buf_init(&out, 1 << 26);
    if (em_writer_create(&w, "json", schema, &err) == 0)
        em_writer_write(w, em_batch_builder_finish(bb), &out);
    em_writer_destroy(w);
    char *s = malloc(out.len + 1);
    if (s && out.len) memcpy(s, out.ptr, out.len);
    *len = out.len;
    em_buf_release(&out);
    return s;
}

/* The fast path against the general parser. */
static void differential(const em_schema *schema, const char *p, size_t size, em_arena *arena)
{
    em_reader *r = NULL;
    em_errbuf err;
    em_batch_builder fast, slow;
    if (em_reader_create(&r, "json", schema, "ms", &err) ||
        em_batch_builder_init(&fast, schema, 64, arena) ||
        em_batch_builder_init(&slow, schema, 64, arena)) {
        em_reader_destroy(r);
        return;
    }
    size_t i = 0;
    while (i < size && !em_batch_builder_full(&fast)) {
        em_reader_lines got;
        uint32_t room = fast.cap - fast.b->nrows;
        int stop = em_reader_parse_lines(r, p + i, size - i, room, size, &fast, &got);
        /* the same lines, one fresh reader each */
        for (size_t j = i, end = i + got.used; j < end;) {
            const char *nl = memchr(p + j, '\n', end - j);
            size_t n = (size_t)(nl - (p + j)), m = n && p[j + n - 1] == '\r' ? n - 1 : n;
            em_reader *g = NULL;
            if (em_reader_create(&g, "json", schema, "ms", &err) == 0)
                em_reader_parse(g, p + j, m, &slow, &err);
            em_reader_destroy(g);
            j += n + 1;
        }
        i += got.used;
        if (!stop) break;
        const char *nl = memchr(p + i, '\n', size - i); /* the bad line: skip it */
        if (!nl) break;
        em_reader_parse(r, p + i, (size_t)(nl - (p + i)), &fast, &err);
        em_reader *g = NULL;
        if (em_reader_create(&g, "json", schema, "ms", &err) == 0)
            em_reader_parse(g, p + i, (size_t)(nl - (p + i)), &slow, &err);
        em_reader_destroy(g);
        i = (size_t)(nl - p) + 1;
    }
    size_t fl, sl;
    char *a = render(schema, &fast, &fl), *b = render(schema, &slow, &sl);
    if (!a || !b || fl != sl || memcmp(a, b, fl) != 0) {
        fprintf(stderr, "fast path:\n%.*s\ngeneral parser:\n%.*s\n", (int)fl, a ? a : "",
                (int)sl, b ? b : "");
        abort();
    }
    free(a);
    free(b);
    em_reader_destroy(r);
}

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
    if (schema) differential(schema, (const char *)data, size, &arena);
    em_arena_release(&arena);
    em_schema_destroy(schema);
    return 0;
}
