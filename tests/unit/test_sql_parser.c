/*
 * Unit tests for the SQL front end: lexer, parser, AST printer and
 * diagnostics (src/sql/lexer.c, parser*.c, ast_print.c, diag.c).
 *
 * Structure is checked through the canonical printer (fully parenthesised
 * expressions), which is itself checked to be a fixed point: parse -> print
 * -> parse -> print gives the same text. Errors are checked as the exact
 * text a user sees: FILE:LINE:COL: error: MESSAGE, source line, caret.
 */
#include "core/mem.h"
#include "core/str.h"
#include "ember/error.h"
#include "sql/diag.h"
#include "sql/lexer.h"
#include "sql/parser.h"
#include "t.h"

#include <stdlib.h>

static char printed[16384];
static char diag_text[4096];

/* Parses src, prints it, checks the print is a fixed point, and returns
 * the printed text (static buffer), or "PARSE ERROR: <diag>". */
static const char *pp(const char *src)
{
    em_arena a, b;
    em_buf d, o1, o2;
    em_sql_script *s = NULL, *s2 = NULL;
    em_arena_init(&a, 0);
    em_arena_init(&b, 0);
    em_buf_init(&d, 1 << 16);
    em_buf_init(&o1, 1 << 20);
    em_buf_init(&o2, 1 << 20);
    if (em_sql_parse("t.sql", src, strlen(src), &a, &s, &d) != 0) {
        snprintf(printed, sizeof printed, "PARSE ERROR: %s", d.ptr ? d.ptr : "");
        goto done;
    }
    em_sql_ast_print(s, &o1);
    if (em_sql_parse("t2.sql", o1.ptr ? o1.ptr : "", o1.len, &b, &s2, &d) != 0) {
        snprintf(printed, sizeof printed, "REPARSE ERROR: %s\n%s", d.ptr, o1.ptr);
        goto done;
    }
    em_sql_ast_print(s2, &o2);
    if (o1.len != o2.len || (o1.len && memcmp(o1.ptr, o2.ptr, o1.len) != 0)) {
        snprintf(printed, sizeof printed, "UNSTABLE:\n%s\n%s", o1.ptr, o2.ptr);
        goto done;
    }
    snprintf(printed, sizeof printed, "%s", o1.ptr ? o1.ptr : "");
done:
    em_buf_release(&d);
    em_buf_release(&o1);
    em_buf_release(&o2);
    em_arena_release(&a);
    em_arena_release(&b);
    return printed;
}

/* Canonical form of one expression, via "SELECT <e> FROM t". */
static const char *pe(const char *e)
{
    char src[2048];
    snprintf(src, sizeof src, "CREATE VIEW v AS SELECT %s FROM t;", e);
    const char *out = pp(src);
    const char *pre = "CREATE VIEW v AS SELECT ";
    if (strncmp(out, pre, strlen(pre)) != 0)
        return out;
    memmove(printed, printed + strlen(pre), strlen(printed + strlen(pre)) + 1);
    char *tail = strstr(printed, " FROM t;\n");
    if (tail)
        *tail = 0;
    return printed;
}

/* The diagnostic for src (which must fail with EM_EPARSE), else "OK". */
static const char *perr(const char *src)
{
    em_arena a;
    em_buf d;
    em_sql_script *s = NULL;
    em_arena_init(&a, 0);
    em_buf_init(&d, 1 << 16);
    int rc = em_sql_parse("job.sql", src, strlen(src), &a, &s, &d);
    if (rc == EM_EPARSE && s == NULL)
        snprintf(diag_text, sizeof diag_text, "%s", d.ptr ? d.ptr : "");
    else
        snprintf(diag_text, sizeof diag_text, "rc=%d", rc);
    em_buf_release(&d);
    em_arena_release(&a);
    return diag_text;
}

/* ---- lexer ------------------------------------------------------------- */

TEST(lexer_tokens_and_positions)
{
    const char *src = "SELECT x1,\n  'it''s' <> 1.5e3 -- c\n/* a\n b */ \"Mixed\" || <= >= != . ;";
    em_sql_lexer lx;
    em_sql_token t;
    em_arena a;
    em_arena_init(&a, 0);
    em_sql_lexer_init(&lx, src, strlen(src));
    static const struct {
        em_sql_tok_kind kind;
        uint32_t line, col;
    } want[] = {
        {EM_SQL_TOK_IDENT, 1, 1},   {EM_SQL_TOK_IDENT, 1, 8},   {EM_SQL_TOK_COMMA, 1, 10},
        {EM_SQL_TOK_STRING, 2, 3},  {EM_SQL_TOK_NE, 2, 11},     {EM_SQL_TOK_DECIMAL, 2, 14},
        {EM_SQL_TOK_QIDENT, 4, 7},  {EM_SQL_TOK_CONCAT, 4, 15}, {EM_SQL_TOK_LE, 4, 18},
        {EM_SQL_TOK_GE, 4, 21},     {EM_SQL_TOK_NE, 4, 24},     {EM_SQL_TOK_DOT, 4, 27},
        {EM_SQL_TOK_SEMI, 4, 29},   {EM_SQL_TOK_EOF, 4, 30},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        em_sql_lexer_next(&lx, &t);
        CHECK_EQ_INT(t.kind, want[i].kind);
        CHECK_EQ_INT(t.pos.line, want[i].line);
        CHECK_EQ_INT(t.pos.col, want[i].col);
        if (i == 0) {
            CHECK_EQ_INT(t.kw, EM_SQL_KW_SELECT);
            CHECK_EQ_INT(t.pos.off, 0);
        }
        if (i == 1) {
            CHECK_EQ_INT(t.kw, EM_SQL_KW_NONE);
            CHECK_EQ_INT(t.pos.off, 7);
        }
        if (i == 3) {
            size_t n;
            CHECK_EQ_STR(em_sql_token_text(src, &t, &a, &n), "it's");
            CHECK_EQ_INT(n, 4);
        }
        if (i == 6)
            CHECK_EQ_STR(em_sql_token_text(src, &t, &a, NULL), "Mixed");
    }
    em_sql_lexer_next(&lx, &t); /* EOF again */
    CHECK_EQ_INT(t.kind, EM_SQL_TOK_EOF);
    /* Columns count characters, not bytes. */
    const char *u = "'é' x";
    em_sql_lexer_init(&lx, u, strlen(u));
    em_sql_lexer_next(&lx, &t);
    em_sql_lexer_next(&lx, &t);
    CHECK_EQ_INT(t.pos.col, 5);
    CHECK_EQ_INT(t.pos.off, 5);
    em_arena_release(&a);
}

TEST(lexer_keywords_case_insensitive)
{
    CHECK_EQ_INT(em_sql_keyword_lookup("SeLeCt", 6), EM_SQL_KW_SELECT);
    CHECK_EQ_INT(em_sql_keyword_lookup("selects", 7), EM_SQL_KW_NONE);
    CHECK(em_sql_keyword_reserved(EM_SQL_KW_FROM));
    CHECK(!em_sql_keyword_reserved(EM_SQL_KW_TIMESTAMP));
    CHECK_EQ_STR(pp("create view V as select A, \"A\", \"a b\" from T;"),
                 "CREATE VIEW v AS SELECT a, \"A\", \"a b\" FROM t;\n");
}

/* ---- statements -------------------------------------------------------- */

static const char *example_job =
    "SET batch_interval = '1s';              -- engine settings\n"
    "\n"
    "CREATE SOURCE readings (\n"
    "    device_id  TEXT,\n"
    "    ts         TIMESTAMP,\n"
    "    pm25       DOUBLE,\n"
    "    co2        BIGINT,\n"
    "    WATERMARK FOR ts AS ts - INTERVAL '30' SECOND   -- event time\n"
    ") WITH (connector = 'file', path = 'readings.jsonl', format = 'json');\n"
    "\n"
    "CREATE TABLE devices (                  -- reference data\n"
    "    device_id TEXT PRIMARY KEY,\n"
    "    room      TEXT,\n"
    "    pm25_max  DOUBLE\n"
    ") WITH (connector = 'file', path = 'devices.jsonl', format = 'json');\n"
    "\n"
    "CREATE VIEW clean AS                    -- a named, reusable intermediate stream\n"
    "    SELECT * FROM readings WHERE pm25 BETWEEN 0 AND 1000;\n"
    "\n"
    "CREATE SINK per_minute WITH (connector = 'file', path = 'out.jsonl', format = 'json') AS\n"
    "    SELECT device_id, window_start, window_end, avg(pm25) AS pm25_avg, count(*) AS n\n"
    "    FROM TUMBLE(clean, ts, INTERVAL '1' MINUTE)\n"
    "    GROUP BY device_id, window_start, window_end;\n";

TEST(example_job_parses)
{
    em_arena a;
    em_buf d;
    em_sql_script *s = NULL;
    em_arena_init(&a, 0);
    em_buf_init(&d, 1 << 16);
    CHECK_EQ_INT(em_sql_parse("job.sql", example_job, strlen(example_job), &a, &s, &d), 0);
    CHECK(s != NULL);
    if (s) {
        CHECK_EQ_INT(s->nstmts, 5);
        CHECK_EQ_STR(s->file_name, "job.sql");
        em_sql_stmt *set = &s->stmts[0], *src = &s->stmts[1], *tab = &s->stmts[2];
        em_sql_stmt *view = &s->stmts[3], *sink = &s->stmts[4];
        CHECK_EQ_INT(set->kind, EM_SQL_STMT_SET);
        CHECK_EQ_STR(set->name, "batch_interval");
        CHECK_EQ_STR(set->set.value, "1s");
        CHECK_EQ_INT(set->set.kind, EM_SQL_VAL_STRING);
        CHECK_EQ_INT(set->set.value_pos.line, 1);
        CHECK_EQ_INT(set->set.value_pos.col, 22);
        CHECK_EQ_INT(src->kind, EM_SQL_STMT_CREATE_SOURCE);
        CHECK_EQ_STR(src->name, "readings");
        CHECK_EQ_INT(src->name_pos.line, 3);
        CHECK_EQ_INT(src->name_pos.col, 15);
        CHECK_EQ_INT(src->ncolumns, 4);
        CHECK_EQ_STR(src->columns[3].name, "co2");
        CHECK_EQ_INT(src->columns[3].type, EM_TYPE_BIGINT);
        CHECK_EQ_INT(src->columns[3].pos.line, 7);
        CHECK_EQ_INT(src->columns[3].pos.col, 5);
        CHECK(src->watermark != NULL);
        if (src->watermark) {
            CHECK_EQ_STR(src->watermark->column, "ts");
            CHECK_EQ_INT(src->watermark->delay_us, 30000000);
            CHECK_EQ_INT(src->watermark->pos.line, 8);
        }
        CHECK_EQ_INT(src->noptions, 3);
        CHECK_EQ_STR(src->options[1].key, "path");
        CHECK_EQ_STR(src->options[1].value, "readings.jsonl");
        CHECK_EQ_INT(src->options[1].value_pos.line, 9);
        CHECK_EQ_INT(src->options[1].value_pos.col, 36);
        CHECK_EQ_INT(tab->kind, EM_SQL_STMT_CREATE_TABLE);
        CHECK(tab->columns[0].primary_key);
        CHECK(!tab->columns[1].primary_key);
        CHECK(tab->watermark == NULL);
        CHECK_EQ_INT(view->kind, EM_SQL_STMT_CREATE_VIEW);
        CHECK_EQ_INT(view->query->nselects, 1);
        CHECK_EQ_INT(view->query->selects[0]->items[0].kind, EM_SQL_ITEM_STAR);
        CHECK_EQ_INT(view->query->selects[0]->where->kind, EM_SQL_E_BETWEEN);
        CHECK_EQ_INT(sink->kind, EM_SQL_STMT_CREATE_SINK);
        CHECK_EQ_INT(sink->noptions, 3);
        em_sql_select *sel = sink->query->selects[0];
        CHECK_EQ_INT(sel->nitems, 5);
        CHECK_EQ_STR(sel->items[3].alias, "pm25_avg");
        CHECK_EQ_INT(sel->items[4].expr->kind, EM_SQL_E_FUNC);
        CHECK(sel->items[4].expr->v.func.star);
        CHECK_EQ_INT(sel->from->kind, EM_SQL_FROM_TUMBLE);
        CHECK_EQ_STR(sel->from->input->name, "clean");
        CHECK_EQ_STR(sel->from->time_col, "ts");
        CHECK_EQ_INT(sel->from->args[0]->v.i, 60000000);
        CHECK_EQ_INT(sel->from->pos.line, 22);
        CHECK_EQ_INT(sel->from->pos.col, 10);
        CHECK_EQ_INT(sel->ngroup_by, 3);
        CHECK_EQ_INT(sel->group_by[2]->pos.line, 23);
        CHECK_EQ_INT(sel->group_by[2]->pos.col, 39);
    }
    em_buf_release(&d);
    em_arena_release(&a);
    CHECK_EQ_STR(
        pp(example_job),
        "SET batch_interval = '1s';\n"
        "CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, pm25 DOUBLE, co2 BIGINT, "
        "WATERMARK FOR ts AS (ts - INTERVAL '30' SECOND)) WITH (connector = 'file', path = "
        "'readings.jsonl', format = 'json');\n"
        "CREATE TABLE devices (device_id TEXT PRIMARY KEY, room TEXT, pm25_max DOUBLE) WITH "
        "(connector = 'file', path = 'devices.jsonl', format = 'json');\n"
        "CREATE VIEW clean AS SELECT * FROM readings WHERE (pm25 BETWEEN 0 AND 1000);\n"
        "CREATE SINK per_minute WITH (connector = 'file', path = 'out.jsonl', format = 'json') "
        "AS SELECT device_id, window_start, window_end, avg(pm25) AS pm25_avg, count(*) AS n "
        "FROM TUMBLE(clean, ts, INTERVAL '1' MINUTE) GROUP BY device_id, window_start, "
        "window_end;\n");
}

TEST(set_and_option_values)
{
    CHECK_EQ_STR(pp("SET workers = 4; set http = off; SET x = -2.5; SET y = TRUE; SET z = 'a''b'"),
                 "SET workers = 4;\nSET http = off;\nSET x = -2.5;\nSET y = TRUE;\nSET z = 'a''b';\n");
    CHECK_EQ_STR(pp("CREATE SINK s WITH ('scan.mode' = 'x', tls.ca = 1e3, table = t, follow = "
                    "false) AS SELECT a FROM b"),
                 "CREATE SINK s WITH ('scan.mode' = 'x', 'tls.ca' = 1e3, table = t, follow = "
                 "FALSE) AS SELECT a FROM b;\n");
    /* Empty statements and a missing final ';' are fine. */
    CHECK_EQ_STR(pp(";; SET a = 1;;"), "SET a = 1;\n");
    CHECK_EQ_STR(pp(""), "");
    CHECK_EQ_STR(pp("-- only a comment\n/* and another */"), "");
}

TEST(every_type_alias)
{
    CHECK_EQ_STR(pp("CREATE SOURCE s (a BOOLEAN, b bool, c BIGINT, d INT, e integer, f DOUBLE, "
                    "g double precision, h FLOAT, i REAL, j TEXT, k VARCHAR, l varchar(20), "
                    "m STRING, n TIMESTAMP, o TIMESTAMP(3)) WITH (connector = 'generator')"),
                 "CREATE SOURCE s (a BOOLEAN, b BOOLEAN, c BIGINT, d BIGINT, e BIGINT, f DOUBLE, "
                 "g DOUBLE, h DOUBLE, i DOUBLE, j TEXT, k TEXT, l TEXT, m TEXT, n TIMESTAMP, "
                 "o TIMESTAMP) WITH (connector = 'generator');\n");
    CHECK_EQ_STR(pe("CAST(a AS INT), CAST(b AS \"double\"), CAST('1' AS interval)"),
                 "CAST(a AS BIGINT), CAST(b AS DOUBLE), CAST('1' AS INTERVAL)");
}

TEST(table_primary_key_forms)
{
    CHECK_EQ_STR(pp("CREATE TABLE t (a TEXT, b INT, PRIMARY KEY (b)) WITH (connector = 'file')"),
                 "CREATE TABLE t (a TEXT, b BIGINT PRIMARY KEY) WITH (connector = 'file');\n");
    CHECK_EQ_STR(pp("CREATE SOURCE s (WATERMARK FOR ts AS ts) WITH ()"),
                 "CREATE SOURCE s (WATERMARK FOR ts AS ts) WITH ();\n");
    /* Non-reserved keywords work as names. */
    CHECK_EQ_STR(pp("CREATE TABLE key (source TEXT PRIMARY KEY, timestamp TIMESTAMP, "
                    "watermark INT) WITH ()"),
                 "CREATE TABLE \"key\" (\"source\" TEXT PRIMARY KEY, \"timestamp\" TIMESTAMP, "
                 "\"watermark\" BIGINT) WITH ();\n");
}

TEST(queries_from_items_and_joins)
{
    CHECK_EQ_STR(
        pp("CREATE VIEW v AS SELECT DISTINCT r.*, d.room, r.pm25 p FROM readings AS r "
           "LEFT OUTER JOIN devices d ON r.device_id = d.device_id INNER JOIN x ON TRUE "
           "JOIN (SELECT a FROM y) AS sub ON sub.a = 1 WHERE d.room IS NOT NULL"),
        "CREATE VIEW v AS SELECT DISTINCT r.*, d.room, r.pm25 AS p FROM readings AS r LEFT "
        "JOIN devices AS d ON (r.device_id = d.device_id) JOIN x ON TRUE JOIN (SELECT a FROM y) "
        "AS sub ON (sub.a = 1) WHERE (d.room IS NOT NULL);\n");
    CHECK_EQ_STR(
        pp("CREATE SINK s WITH (connector='stdout') AS SELECT * FROM HOP(r, ts, INTERVAL '10' "
           "SECOND, INTERVAL '1' MINUTE) UNION ALL SELECT * FROM SESSION((SELECT * FROM r "
           "WHERE x > 1), ts, INTERVAL '5' MINUTES) w UNION ALL SELECT * FROM "
           "TUMBLE(r, PROCTIME(), INTERVAL '1' SECOND) UNION ALL SELECT * FROM late(r)"),
        "CREATE SINK s WITH (connector = 'stdout') AS SELECT * FROM HOP(r, ts, INTERVAL '10' "
        "SECOND, INTERVAL '1' MINUTE) UNION ALL SELECT * FROM SESSION((SELECT * FROM r WHERE "
        "(x > 1)), ts, INTERVAL '5' MINUTE) AS w UNION ALL SELECT * FROM TUMBLE(r, PROCTIME(), "
        "INTERVAL '1' SECOND) UNION ALL SELECT * FROM LATE(r);\n");
    CHECK_EQ_STR(pp("CREATE VIEW v AS SELECT room, count(DISTINCT id) c FROM (SELECT * FROM t) "
                    "q GROUP BY room HAVING count(DISTINCT id) > 2"),
                 "CREATE VIEW v AS SELECT room, count(DISTINCT id) AS c FROM (SELECT * FROM t) AS "
                 "q GROUP BY room HAVING (count(DISTINCT id) > 2);\n");
}

/* ---- expressions ------------------------------------------------------- */

TEST(precedence)
{
    CHECK_EQ_STR(pe("a OR b AND NOT c = 1 + 2 * 3"), "(a OR (b AND (NOT (c = (1 + (2 * 3))))))");
    CHECK_EQ_STR(pe("a - b - c"), "((a - b) - c)");
    CHECK_EQ_STR(pe("a / b % c * d"), "(((a / b) % c) * d)");
    CHECK_EQ_STR(pe("a || b + c"), "(a || (b + c))");
    CHECK_EQ_STR(pe("a || b = c || d"), "((a || b) = (c || d))");
    CHECK_EQ_STR(pe("-a * b"), "((- a) * b)");
    CHECK_EQ_STR(pe("- -a"), "(- (- a))");
    CHECK_EQ_STR(pe("-2 * 3"), "(-2 * 3)");
    CHECK_EQ_STR(pe("1 - -2"), "(1 - -2)");
    CHECK_EQ_STR(pe("+a"), "a");
    CHECK_EQ_STR(pe("NOT a AND b"), "((NOT a) AND b)");
    CHECK_EQ_STR(pe("NOT NOT a"), "(NOT (NOT a))");
    CHECK_EQ_STR(pe("(a OR b) AND c"), "((a OR b) AND c)");
    CHECK_EQ_STR(pe("a + 1 BETWEEN b AND c + 1 AND d"),
                 "(((a + 1) BETWEEN b AND (c + 1)) AND d)");
    CHECK_EQ_STR(pe("x NOT BETWEEN 1 AND 2"), "(x NOT BETWEEN 1 AND 2)");
    CHECK_EQ_STR(pe("a IS NULL OR b IS NOT NULL"), "((a IS NULL) OR (b IS NOT NULL))");
    CHECK_EQ_STR(pe("NOT a IS NULL"), "(NOT (a IS NULL))");
    CHECK_EQ_STR(pe("a IN (1, 2 + 3) AND b NOT IN ('x')"),
                 "((a IN (1, (2 + 3))) AND (b NOT IN ('x')))");
    CHECK_EQ_STR(pe("a LIKE 'x%' || 'y' OR a NOT LIKE 'z'"),
                 "((a LIKE ('x%' || 'y')) OR (a NOT LIKE 'z'))");
    CHECK_EQ_STR(pe("a <> b AND a != b AND a <= b AND a >= b AND a < b AND a > b"),
                 "((((((a <> b) AND (a <> b)) AND (a <= b)) AND (a >= b)) AND (a < b)) AND (a > "
                 "b))");
}

TEST(literals_and_calls)
{
    CHECK_EQ_STR(pe("1, 1.5, .5, 2e3, 1E-2, 9223372036854775807, -9223372036854775808"),
                 "1, 1.5, 0.5, 2000.0, 0.01, 9223372036854775807, -9223372036854775808");
    CHECK_EQ_STR(pe("'', 'it''s', TRUE, false, NULL"), "'', 'it''s', TRUE, FALSE, NULL");
    CHECK_EQ_STR(pe("TIMESTAMP '2024-05-01T12:00:00Z'"), "TIMESTAMP '2024-05-01T12:00:00Z'");
    CHECK_EQ_STR(pe("extract(YEAR FROM ts), EXTRACT(epoch from t.ts), date_trunc('minute', ts)"),
                 "extract(year FROM ts), extract(epoch FROM t.ts), date_trunc('minute', ts)");
    CHECK_EQ_STR(pe("now(), count(*), COUNT(DISTINCT x), coalesce(a, b, 0), \"Upper\"(x)"),
                 "now(), count(*), count(DISTINCT x), coalesce(a, b, 0), \"Upper\"(x)");
    CHECK_EQ_STR(pe("CASE WHEN a > 1 THEN 'hi' WHEN a IS NULL THEN NULL ELSE 'lo' END"),
                 "CASE WHEN (a > 1) THEN 'hi' WHEN (a IS NULL) THEN NULL ELSE 'lo' END");
    CHECK_EQ_STR(pe("CASE a WHEN 1 THEN 'one' END"), "CASE a WHEN 1 THEN 'one' END");
    CHECK_EQ_STR(pe("CAST(a + 1 AS TEXT) || 'x'"), "(CAST((a + 1) AS TEXT) || 'x')");
    /* A column called timestamp or interval still works. */
    CHECK_EQ_STR(pe("timestamp, interval + 1"), "\"timestamp\", (\"interval\" + 1)");
}

static int64_t interval_us(const char *lit)
{
    em_arena a;
    em_sql_expr *e = NULL;
    int64_t v = -1;
    em_arena_init(&a, 0);
    if (em_sql_parse_expr("x", lit, strlen(lit), &a, &e, NULL) == 0 &&
        e->kind == EM_SQL_E_INTERVAL)
        v = e->v.i;
    em_arena_release(&a);
    return v;
}

TEST(intervals_to_microseconds)
{
    CHECK_EQ_INT(interval_us("INTERVAL '30' SECOND"), 30000000);
    CHECK_EQ_INT(interval_us("INTERVAL '1 minute'"), 60000000);
    CHECK_EQ_INT(interval_us("interval '1.5' HOUR"), INT64_C(5400000000));
    CHECK_EQ_INT(interval_us("INTERVAL '250' MILLISECOND"), 250000);
    CHECK_EQ_INT(interval_us("INTERVAL '2' milliseconds"), 2000);
    CHECK_EQ_INT(interval_us("INTERVAL '2 Days'"), INT64_C(172800000000));
    CHECK_EQ_INT(interval_us("INTERVAL ' 3 hours '"), INT64_C(10800000000));
    CHECK_EQ_INT(interval_us("INTERVAL '5' MINUTES"), 300000000);
    CHECK_EQ_INT(interval_us("INTERVAL '0.5' SECONDS"), 500000);
    CHECK_EQ_INT(interval_us("INTERVAL '1' DAY"), INT64_C(86400000000));
    CHECK_EQ_STR(pe("INTERVAL '90' SECOND, INTERVAL '1.5' SECOND, INTERVAL '0.0000015' SECOND, "
                    "INTERVAL '24 hours'"),
                 "INTERVAL '90' SECOND, INTERVAL '1500' MILLISECOND, INTERVAL '0.000002' SECOND, "
                 "INTERVAL '1' DAY");
}

TEST(quoted_identifiers_and_comments)
{
    CHECK_EQ_STR(pp("CREATE VIEW \"My View\" AS SELECT \"Col\"\"q\" AS \"Out\", CoL FROM "
                    "\"select\" -- trailing\n/* multi\nline */ WHERE /**/ x=1"),
                 "CREATE VIEW \"My View\" AS SELECT \"Col\"\"q\" AS \"Out\", col FROM \"select\" "
                 "WHERE (x = 1);\n");
    /* -- inside a string is not a comment; a '-' before '-' in print keeps a space */
    CHECK_EQ_STR(pe("'a -- b', '/* c */'"), "'a -- b', '/* c */'");
}

TEST(deep_nesting_is_an_error_not_a_crash)
{
    size_t n = 100000;
    char *src = malloc(n * 2 + 64);
    CHECK(src != NULL);
    if (!src)
        return;
    /* 100000 parentheses */
    strcpy(src, "CREATE VIEW v AS SELECT ");
    size_t o = strlen(src);
    for (size_t i = 0; i < n; i++)
        src[o++] = '(';
    strcpy(src + o, "1 FROM t");
    CHECK(strstr(perr(src), "error: nesting too deep (more than 256 levels)") != NULL);
    /* 100000 NOTs, minuses, and a long operator chain */
    const char *units[] = {"NOT ", "- ", "1 + "};
    for (int k = 0; k < 3; k++) {
        strcpy(src, "CREATE VIEW v AS SELECT ");
        o = strlen(src);
        for (size_t i = 0; i + 4 < n; i += 4) {
            memcpy(src + o, units[k], strlen(units[k]));
            o += strlen(units[k]);
        }
        strcpy(src + o, "1 FROM t");
        CHECK(strstr(perr(src), "error: expression nested too deeply (more than 200 levels)") !=
              NULL);
    }
    /* Nested subqueries. */
    strcpy(src, "CREATE VIEW v AS SELECT ");
    o = strlen(src);
    for (size_t i = 0; i < 1000; i++) {
        memcpy(src + o, "* FROM (SELECT ", 15);
        o += 15;
    }
    strcpy(src + o, "1 FROM t");
    CHECK(strstr(perr(src), "nesting too deep") != NULL);
    free(src);
    /* 150 levels is fine. */
    char ok[2048];
    strcpy(ok, "SET a = 1; CREATE VIEW v AS SELECT ");
    o = strlen(ok);
    for (int i = 0; i < 150; i++)
        ok[o++] = '(';
    ok[o++] = '1';
    for (int i = 0; i < 150; i++)
        ok[o++] = ')';
    strcpy(ok + o, " FROM t");
    CHECK_EQ_STR(pp(ok), "SET a = 1;\nCREATE VIEW v AS SELECT 1 FROM t;\n");
}

/* ---- errors ------------------------------------------------------------ */

TEST(error_messages)
{
    CHECK_EQ_STR(perr("CREATE SOURCE s (\n    a INT,\n    b DOUBLE;\n"),
                 "job.sql:3:13: error: expected ')' after column list, found ';'\n"
                 "    b DOUBLE;\n"
                 "            ^\n");
    CHECK_EQ_STR(perr("CREATE SOURCE s (pm25 DOUBEL) WITH (connector = 'file');"),
                 "job.sql:1:23: error: unknown type 'DOUBEL'; did you mean 'DOUBLE'?\n"
                 "CREATE SOURCE s (pm25 DOUBEL) WITH (connector = 'file');\n"
                 "                      ^\n");
    CHECK_EQ_STR(perr("CREATE SOURCE s (a UUID) WITH ();"),
                 "job.sql:1:20: error: unknown type 'UUID' (types: BOOLEAN, BIGINT, DOUBLE, TEXT, "
                 "TIMESTAMP)\n"
                 "CREATE SOURCE s (a UUID) WITH ();\n"
                 "                   ^\n");
    CHECK_EQ_STR(perr("SET a = 'abc"),
                 "job.sql:1:9: error: unterminated string literal\n"
                 "SET a = 'abc\n"
                 "        ^\n");
    CHECK_EQ_STR(perr("SET a = 1; /* never closed"),
                 "job.sql:1:12: error: unterminated /* comment\n"
                 "SET a = 1; /* never closed\n"
                 "           ^\n");
    CHECK_EQ_STR(perr("SET a = 1 # 2"),
                 "job.sql:1:11: error: unexpected character '#'\n"
                 "SET a = 1 # 2\n"
                 "          ^\n");
    CHECK_EQ_STR(perr("SET a = 12abc"),
                 "job.sql:1:9: error: malformed number '12abc'\n"
                 "SET a = 12abc\n"
                 "        ^\n");
    CHECK_EQ_STR(perr("SELECT 1 FROM t"),
                 "job.sql:1:1: error: a query must be part of CREATE VIEW name AS ... or CREATE "
                 "SINK name WITH (...) AS ...\n"
                 "SELECT 1 FROM t\n"
                 "^\n");
    CHECK_EQ_STR(perr("CREATE STREAM s"),
                 "job.sql:1:8: error: expected SOURCE, TABLE, VIEW or SINK after CREATE, found "
                 "'STREAM'\n"
                 "CREATE STREAM s\n"
                 "       ^\n");
    CHECK_EQ_STR(perr("CREATE VIEW v AS SELECT a FROM t\nCREATE VIEW w AS SELECT a FROM t;"),
                 "job.sql:2:1: error: expected ';' after statement, found 'CREATE'\n"
                 "CREATE VIEW w AS SELECT a FROM t;\n"
                 "^\n");
    CHECK_EQ_STR(perr("CREATE VIEW v AS SELECT a, FROM t;"),
                 "job.sql:1:28: error: expected expression, found 'FROM'\n"
                 "CREATE VIEW v AS SELECT a, FROM t;\n"
                 "                           ^\n");
    CHECK_EQ_STR(perr("CREATE VIEW v AS SELECT a FROM t WHERE IN (1);"),
                 "job.sql:1:40: error: expected expression, found 'IN'\n"
                 "CREATE VIEW v AS SELECT a FROM t WHERE IN (1);\n"
                 "                                       ^\n");
    CHECK_EQ_STR(perr("CREATE VIEW v AS SELECT a b c FROM t;"),
                 "job.sql:1:29: error: expected ',' or FROM after select list, found 'c'\n"
                 "CREATE VIEW v AS SELECT a b c FROM t;\n"
                 "                            ^\n");
    CHECK_EQ_STR(perr("CREATE VIEW v AS SELECT (a + 1 FROM t;"),
                 "job.sql:1:32: error: expected ')' after expression, found 'FROM'\n"
                 "CREATE VIEW v AS SELECT (a + 1 FROM t;\n"
                 "                               ^\n");
    CHECK_EQ_STR(perr("CREATE VIEW v AS\n\tSELECT * FROM a JOIN b WHERE x;"),
                 "job.sql:2:25: error: expected ON after JOIN input, found 'WHERE'\n"
                 "\tSELECT * FROM a JOIN b WHERE x;\n"
                 "\t                       ^\n");
    CHECK_EQ_STR(perr("CREATE VIEW v AS SELECT * FROM (SELECT * FROM a);"),
                 "job.sql:1:49: error: expected alias after subquery, found ';'\n"
                 "CREATE VIEW v AS SELECT * FROM (SELECT * FROM a);\n"
                 "                                                ^\n");
    CHECK_EQ_STR(perr("CREATE VIEW v AS SELECT * FROM TUMBLE(r, ts);"),
                 "job.sql:1:32: error: TUMBLE takes 3 arguments (input, time_col, size), found 2\n"
                 "CREATE VIEW v AS SELECT * FROM TUMBLE(r, ts);\n"
                 "                               ^\n");
    CHECK_EQ_STR(perr("CREATE VIEW v AS SELECT * FROM a UNION SELECT * FROM b;"),
                 "job.sql:1:40: error: UNION without ALL is not supported (streams are not "
                 "deduplicated); write UNION ALL\n"
                 "CREATE VIEW v AS SELECT * FROM a UNION SELECT * FROM b;\n"
                 "                                       ^\n");
    CHECK_EQ_STR(perr("CREATE VIEW v AS SELECT * FROM a, b;"),
                 "job.sql:1:33: error: comma joins are not supported; use JOIN ... ON\n"
                 "CREATE VIEW v AS SELECT * FROM a, b;\n"
                 "                                ^\n");
    CHECK_EQ_STR(perr("CREATE VIEW v AS SELECT INTERVAL '30' FORTNIGHT FROM t;"),
                 "job.sql:1:39: error: unknown INTERVAL unit 'FORTNIGHT' (use MILLISECOND, "
                 "SECOND, MINUTE, HOUR or DAY)\n"
                 "CREATE VIEW v AS SELECT INTERVAL '30' FORTNIGHT FROM t;\n"
                 "                                      ^\n");
    CHECK_EQ_STR(perr("CREATE VIEW v AS SELECT INTERVAL '30' SECNOD FROM t;"),
                 "job.sql:1:39: error: unknown INTERVAL unit 'SECNOD'; did you mean 'SECOND'?\n"
                 "CREATE VIEW v AS SELECT INTERVAL '30' SECNOD FROM t;\n"
                 "                                      ^\n");
    CHECK_EQ_STR(perr("CREATE VIEW v AS SELECT INTERVAL 'soon' FROM t;"),
                 "job.sql:1:34: error: invalid INTERVAL 'soon': expected a non-negative number and "
                 "a unit\n"
                 "CREATE VIEW v AS SELECT INTERVAL 'soon' FROM t;\n"
                 "                                 ^\n");
    CHECK_EQ_STR(perr("CREATE VIEW v AS SELECT INTERVAL '1 fortnight' FROM t;"),
                 "job.sql:1:34: error: invalid INTERVAL '1 fortnight': unknown unit 'fortnight' "
                 "(use MILLISECOND, SECOND, MINUTE, HOUR or DAY)\n"
                 "CREATE VIEW v AS SELECT INTERVAL '1 fortnight' FROM t;\n"
                 "                                 ^\n");
    CHECK_EQ_STR(perr("CREATE VIEW v AS SELECT INTERVAL '30' FROM t;"),
                 "job.sql:1:39: error: expected INTERVAL unit (MILLISECOND, SECOND, MINUTE, HOUR "
                 "or DAY) after '30', found 'FROM'\n"
                 "CREATE VIEW v AS SELECT INTERVAL '30' FROM t;\n"
                 "                                      ^\n");
    CHECK_EQ_STR(perr("CREATE VIEW v AS SELECT TIMESTAMP '2024-13-01' FROM t;"),
                 "job.sql:1:35: error: invalid TIMESTAMP '2024-13-01': expected ISO-8601 such as "
                 "'2024-05-01T12:00:00Z'\n"
                 "CREATE VIEW v AS SELECT TIMESTAMP '2024-13-01' FROM t;\n"
                 "                                  ^\n");
    CHECK_EQ_STR(perr("CREATE VIEW v AS SELECT 99999999999999999999 FROM t;"),
                 "job.sql:1:25: error: integer literal '99999999999999999999' is out of range for "
                 "BIGINT\n"
                 "CREATE VIEW v AS SELECT 99999999999999999999 FROM t;\n"
                 "                        ^\n");
    CHECK_EQ_STR(perr("CREATE TABLE d (id TEXT, room TEXT) WITH (connector = 'file');"),
                 "job.sql:1:14: error: table 'd' needs a PRIMARY KEY column (a table keeps the "
                 "latest row per key)\n"
                 "CREATE TABLE d (id TEXT, room TEXT) WITH (connector = 'file');\n"
                 "             ^\n");
    CHECK_EQ_STR(perr("CREATE TABLE d (id TEXT PRIMARY KEY, room TEXT PRIMARY KEY) WITH ();"),
                 "job.sql:1:48: error: only one PRIMARY KEY column is allowed\n"
                 "CREATE TABLE d (id TEXT PRIMARY KEY, room TEXT PRIMARY KEY) WITH ();\n"
                 "                                               ^\n");
    CHECK_EQ_STR(perr("CREATE SOURCE s (id TEXT PRIMARY KEY) WITH ();"),
                 "job.sql:1:26: error: PRIMARY KEY is only allowed in CREATE TABLE\n"
                 "CREATE SOURCE s (id TEXT PRIMARY KEY) WITH ();\n"
                 "                         ^\n");
    CHECK_EQ_STR(perr("CREATE SOURCE s (a INT) WITH (path 'x');"),
                 "job.sql:1:36: error: expected '=' after option name 'path', found string 'x'\n"
                 "CREATE SOURCE s (a INT) WITH (path 'x');\n"
                 "                                   ^\n");
    CHECK_EQ_STR(perr("CREATE SINK s WITH (a = 1) SELECT 1 FROM t;"),
                 "job.sql:1:28: error: expected AS after WITH options, found 'SELECT'\n"
                 "CREATE SINK s WITH (a = 1) SELECT 1 FROM t;\n"
                 "                           ^\n");
    CHECK_EQ_STR(perr("CREATE VIEW v AS SELECT CASE WHEN a THEN 1 FROM t;"),
                 "job.sql:1:44: error: expected WHEN, ELSE or END in CASE, found 'FROM'\n"
                 "CREATE VIEW v AS SELECT CASE WHEN a THEN 1 FROM t;\n"
                 "                                           ^\n");
    CHECK_EQ_STR(perr("CREATE VIEW v AS SELECT extract(yeer FROM ts) FROM t;"),
                 "job.sql:1:33: error: unknown EXTRACT field 'yeer'; did you mean 'year'?\n"
                 "CREATE VIEW v AS SELECT extract(yeer FROM ts) FROM t;\n"
                 "                                ^\n");
    CHECK_EQ_STR(perr("CREATE VIEW v AS SELECT a IS 1 FROM t;"),
                 "job.sql:1:30: error: expected NULL or NOT NULL after IS, found '1'\n"
                 "CREATE VIEW v AS SELECT a IS 1 FROM t;\n"
                 "                             ^\n");
    CHECK_EQ_STR(perr("CREATE SOURCE s (a INTERVAL) WITH ();"),
                 "job.sql:1:20: error: INTERVAL is not a column type (intervals are literals "
                 "only)\n"
                 "CREATE SOURCE s (a INTERVAL) WITH ();\n"
                 "                   ^\n");
    CHECK_EQ_STR(perr("CREATE VIEW v AS SELECT * FROM t WHERE"),
                 "job.sql:1:39: error: expected expression, found end of input\n"
                 "CREATE VIEW v AS SELECT * FROM t WHERE\n"
                 "                                      ^\n");
    CHECK_EQ_STR(perr("CRAETE VIEW v AS SELECT a FROM t;"),
                 "job.sql:1:1: error: expected SET or CREATE, found 'CRAETE'; did you mean "
                 "'CREATE'?\n"
                 "CRAETE VIEW v AS SELECT a FROM t;\n"
                 "^\n");
    CHECK_EQ_STR(perr("create sorce s (a INT) WITH ();"),
                 "job.sql:1:8: error: expected SOURCE, TABLE, VIEW or SINK after CREATE, found "
                 "'sorce'; did you mean 'SOURCE'?\n"
                 "create sorce s (a INT) WITH ();\n"
                 "       ^\n");
    /* At the end of input the caret sits after the last token. */
    CHECK_EQ_STR(perr("CREATE SOURCE s (\n  a INT,\n\n"),
                 "job.sql:2:9: error: expected column name, found end of input\n"
                 "  a INT,\n"
                 "        ^\n");
    /* A forgotten ';' before SET: SET is not taken as an alias. */
    CHECK_EQ_STR(perr("CREATE VIEW v AS SELECT a FROM t\nSET x = 1;"),
                 "job.sql:2:1: error: expected ';' after statement, found 'SET'\n"
                 "SET x = 1;\n"
                 "^\n");
    /* Columns count characters: the caret lines up under UTF-8 text. */
    CHECK_EQ_STR(perr("SET a = 'é' 'x';"),
                 "job.sql:1:13: error: expected ';' after statement, found string 'x'\n"
                 "SET a = 'é' 'x';\n"
                 "            ^\n");
}

TEST(errors_never_leave_a_script)
{
    em_arena a;
    em_sql_script *s = (em_sql_script *)&a; /* must be reset to NULL */
    em_arena_init(&a, 0);
    CHECK_EQ_INT(em_sql_parse(NULL, "SET", 3, &a, &s, NULL), EM_EPARSE);
    CHECK(s == NULL);
    /* Embedded NUL bytes are reported, not treated as the end. */
    CHECK_EQ_INT(em_sql_parse("x", "SET a = 1;\0 SET", 15, &a, &s, NULL), EM_EPARSE);
    em_arena_release(&a);
}

TEST(out_of_memory_is_reported)
{
    /* Fail each allocation in turn: the parser must return EM_ENOMEM
     * (or succeed) and never crash or leak. */
    for (uint64_t n = 1; n < 40; n++) {
        em_arena a;
        em_buf d;
        em_sql_script *s = NULL;
        em_arena_init(&a, 256);
        em_buf_init(&d, 1 << 16);
        em_mem_fail_after(n);
        int rc = em_sql_parse("job.sql", example_job, strlen(example_job), &a, &s, &d);
        em_mem_fail_after(0);
        CHECK(rc == 0 || rc == EM_ENOMEM);
        CHECK((rc == 0) == (s != NULL));
        em_buf_release(&d);
        em_arena_release(&a);
    }
}

TEST(diag_cuts_long_lines)
{
    char line[1000];
    memset(line, 'x', sizeof line);
    line[500] = '#';
    em_buf d;
    em_buf_init(&d, 1 << 16);
    em_sql_pos pos = {1, 501, 500};
    CHECK_EQ_INT(em_sql_diag(&d, "f.sql", line, sizeof line, pos, "warning", "odd %s", "thing"), 0);
    CHECK(strncmp(d.ptr, "f.sql:1:501: warning: odd thing\n...", 35) == 0);
    CHECK(d.len < 400);
    CHECK(strstr(d.ptr, "#") != NULL);
    em_buf_release(&d);
}

int main(void)
{
    RUN(lexer_tokens_and_positions);
    RUN(lexer_keywords_case_insensitive);
    RUN(example_job_parses);
    RUN(set_and_option_values);
    RUN(every_type_alias);
    RUN(table_primary_key_forms);
    RUN(queries_from_items_and_joins);
    RUN(precedence);
    RUN(literals_and_calls);
    RUN(intervals_to_microseconds);
    RUN(quoted_identifiers_and_comments);
    RUN(deep_nesting_is_an_error_not_a_crash);
    RUN(error_messages);
    RUN(errors_never_leave_a_script);
    RUN(out_of_memory_is_reported);
    RUN(diag_cuts_long_lines);
    return t_done();
}
