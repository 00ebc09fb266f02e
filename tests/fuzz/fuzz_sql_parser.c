/*
 * libFuzzer target: the SQL front end (lexer, parser, printer, diagnostics).
 * Any input must parse or fail with a diagnostic, never crash, leak or hang.
 * When it parses, the canonical print must parse again and print the same
 * text (the printer is a fixed point); a difference aborts the run.
 */
#include "core/mem.h"
#include "core/str.h"
#include "ember/error.h"
#include "sql/parser.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    em_arena a, b;
    em_buf diag, o1, o2;
    em_sql_script *s = NULL, *s2 = NULL;
    em_arena_init(&a, 0);
    em_arena_init(&b, 0);
    em_buf_init(&diag, 1 << 16);
    em_buf_init(&o1, 1 << 24);
    em_buf_init(&o2, 1 << 24);
    int rc = em_sql_parse("fuzz.sql", (const char *)data, size, &a, &s, &diag);
    if (rc == 0) {
        if (em_sql_ast_print(s, &o1) == 0) {
            rc = em_sql_parse("print.sql", o1.ptr ? o1.ptr : "", o1.len, &b, &s2, &diag);
            if (rc != 0)
                __builtin_trap(); /* the printer wrote something the parser rejects */
            if (em_sql_ast_print(s2, &o2) == 0 &&
                (o1.len != o2.len || (o1.len && memcmp(o1.ptr, o2.ptr, o1.len) != 0)))
                __builtin_trap(); /* print -> parse -> print is not stable */
        }
    } else if (rc == EM_EPARSE && diag.len == 0) {
        __builtin_trap(); /* a syntax error must come with a message */
    }
    em_buf_release(&diag);
    em_buf_release(&o1);
    em_buf_release(&o2);
    em_arena_release(&a);
    em_arena_release(&b);
    return 0;
}
