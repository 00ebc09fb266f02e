/*
 * sql/parser.c - the entry points, queries and FROM items, and the token
 * plumbing and error reporting shared with parser_stmt.c (statements) and
 * parser_expr.c (expressions). See parser.h.
 *
 * Error discipline: the first error is reported (diag.h format) and stored
 * in p->rc; from then on the current token reads as end of input, so every
 * loop ends and every caller unwinds without further messages. All nodes
 * come from the caller's arena, so unwinding frees nothing.
 */
#include "core/suggest.h"
#include "ember/error.h"
#include "sql/diag.h"
#include "sql/parser_int.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- tokens and errors ------------------------------------------------- */

static void lex_error(em_sql_parser *p)
{
    const char *m = p->lx.err;
    em_sql_pos at = p->lx.err_pos;
    if (strcmp(m, "unexpected character") == 0) {
        unsigned char c = (unsigned char)p->text[at.off];
        if (c >= 0x20 && c < 0x7f)
            em__sql_error(p, at, "unexpected character '%c'", c);
        else
            em__sql_error(p, at, "unexpected byte 0x%02X", c);
    } else if (strcmp(m, "malformed number") == 0) {
        size_t e = at.off;
        while (e < p->len && e - at.off < 32) {
            char c = p->text[e];
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  c == '_' || c == '.'))
                break;
            e++;
        }
        em__sql_error(p, at, "malformed number '%.*s'", (int)(e - at.off), p->text + at.off);
    } else {
        em__sql_error(p, at, "%s", m);
    }
}

void em__sql_advance(em_sql_parser *p)
{
    if (p->rc) {
        p->tok.kind = EM_SQL_TOK_EOF;
        p->tok.kw = EM_SQL_KW_NONE;
        return;
    }
    p->prev_end.line = p->lx.line;
    p->prev_end.col = p->lx.col;
    p->prev_end.off = p->lx.off;
    em_sql_lexer_next(&p->lx, &p->tok);
    if (p->tok.kind == EM_SQL_TOK_ERROR)
        lex_error(p);
}

em_sql_token em__sql_peek(em_sql_parser *p)
{
    em_sql_lexer copy = p->lx;
    em_sql_token t;
    em_sql_lexer_next(&copy, &t);
    return t;
}

static em_sql_token peek2(em_sql_parser *p)
{
    em_sql_lexer copy = p->lx;
    em_sql_token t;
    em_sql_lexer_next(&copy, &t);
    em_sql_lexer_next(&copy, &t);
    return t;
}

int em__sql_is_kw(const em_sql_parser *p, em_sql_kw kw)
{
    return p->tok.kind == EM_SQL_TOK_IDENT && p->tok.kw == kw;
}

int em__sql_is_name(const em_sql_token *t)
{
    return t->kind == EM_SQL_TOK_QIDENT ||
           (t->kind == EM_SQL_TOK_IDENT && !em_sql_keyword_reserved(t->kw));
}

/* Unquoted identifier spelled word (any case)? */
static int is_word(const em_sql_token *t, const char *text, const char *word)
{
    size_t n = strlen(word);
    return t->kind == EM_SQL_TOK_IDENT && t->len == n && strncasecmp(text + t->pos.off, word, n) == 0;
}

static const char *describe(const em_sql_parser *p, const em_sql_token *t, char *buf, size_t cap)
{
    if (t->kind == EM_SQL_TOK_EOF || t->kind == EM_SQL_TOK_ERROR)
        return "end of input";
    const char *s = p->text + t->pos.off;
    size_t n = t->len, o = 0, max = 40;
    if (t->kind == EM_SQL_TOK_STRING) {
        memcpy(buf, "string ", 7);
        o = 7;
    } else {
        buf[o++] = '\'';
    }
    for (size_t i = 0; i < n && i < max && o + 6 < cap; i++) { /* cap >= 64 */
        unsigned char c = (unsigned char)s[i];
        buf[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (n > max) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    if (t->kind != EM_SQL_TOK_STRING || n > max)
        buf[o++] = '\'';
    buf[o] = 0;
    return buf;
}

void *em__sql_error(em_sql_parser *p, em_sql_pos at, const char *fmt, ...)
{
    if (p->rc)
        return NULL;
    p->rc = EM_EPARSE;
    if (p->diag) {
        va_list ap;
        va_start(ap, fmt);
        em_sql_vdiag(p->diag, p->file, p->text, p->len, at, "error", fmt, ap);
        va_end(ap);
    }
    p->tok.kind = EM_SQL_TOK_EOF;
    p->tok.kw = EM_SQL_KW_NONE;
    return NULL;
}

void *em__sql_expected(em_sql_parser *p, const char *what)
{
    return em__sql_expected_one_of(p, what, NULL);
}

void *em__sql_expected_one_of(em_sql_parser *p, const char *what, const char *const *cands)
{
    char buf[96], word[64];
    em_sql_token t = p->tok;
    const char *sug = NULL;
    /* At the end of input, point just after the last token rather than at
     * a (possibly empty) line below it. */
    em_sql_pos at = t.kind == EM_SQL_TOK_EOF && p->prev_end.line ? p->prev_end : t.pos;
    if (cands && t.kind == EM_SQL_TOK_IDENT && t.len < sizeof word) {
        memcpy(word, p->text + t.pos.off, t.len);
        word[t.len] = 0;
        sug = em_suggest(word, cands, SIZE_MAX);
    }
    if (sug)
        return em__sql_error(p, at, "expected %s, found %s; did you mean '%s'?", what,
                             describe(p, &t, buf, sizeof buf), sug);
    return em__sql_error(p, at, "expected %s, found %s", what, describe(p, &t, buf, sizeof buf));
}

void *em__sql_nomem(em_sql_parser *p)
{
    if (!p->rc)
        p->rc = EM_ENOMEM;
    p->tok.kind = EM_SQL_TOK_EOF;
    p->tok.kw = EM_SQL_KW_NONE;
    return NULL;
}

int em__sql_expect(em_sql_parser *p, em_sql_tok_kind k, const char *what)
{
    if (p->tok.kind != k || p->rc) {
        em__sql_expected(p, what);
        return -1;
    }
    em__sql_advance(p);
    return 0;
}

int em__sql_expect_kw(em_sql_parser *p, em_sql_kw kw, const char *what)
{
    if (!em__sql_is_kw(p, kw)) {
        em__sql_expected(p, what);
        return -1;
    }
    em__sql_advance(p);
    return 0;
}

int em__sql_enter(em_sql_parser *p)
{
    if (p->rc)
        return -1;
    if (p->depth >= EM_SQL_MAX_DEPTH) {
        em__sql_error(p, p->tok.pos, "nesting too deep (more than %d levels)", EM_SQL_MAX_DEPTH);
        return -1;
    }
    p->depth++;
    return 0;
}

void em__sql_leave(em_sql_parser *p)
{
    p->depth--;
}

void *em__sql_push(em_sql_parser *p, void *arr, uint32_t *n, uint32_t *cap, size_t elem)
{
    char *cur;
    memcpy(&cur, arr, sizeof cur);
    if (*n == *cap) {
        if (*cap >= UINT32_MAX / 2)
            return em__sql_nomem(p);
        uint32_t ncap = *cap ? *cap * 2 : 4;
        char *grown = cur ? em_arena_grow(p->arena, cur, (size_t)*cap * elem, (size_t)ncap * elem)
                          : em_arena_alloc(p->arena, (size_t)ncap * elem);
        if (!grown)
            return em__sql_nomem(p);
        cur = grown;
        memcpy(arr, &cur, sizeof cur);
        *cap = ncap;
    }
    char *slot = cur + (size_t)(*n)++ * elem;
    memset(slot, 0, elem);
    return slot;
}

char *em__sql_name(em_sql_parser *p, const char *what, em_sql_pos *pos)
{
    if (!em__sql_is_name(&p->tok) || p->rc)
        return em__sql_expected(p, what);
    if (pos)
        *pos = p->tok.pos;
    char *s = em_sql_token_text(p->text, &p->tok, p->arena, NULL);
    if (!s)
        return em__sql_nomem(p);
    em__sql_advance(p);
    return s;
}

/* ---- FROM -------------------------------------------------------------- */

static em_sql_from *from_new(em_sql_parser *p, em_sql_from_kind kind, em_sql_pos pos)
{
    em_sql_from *f = em_arena_calloc(p->arena, 1, sizeof *f);
    if (!f)
        return em__sql_nomem(p);
    f->kind = kind;
    f->pos = pos;
    return f;
}

/* Optional "[AS] alias". Returns 0 or -1. */
static int opt_alias(em_sql_parser *p, const char **alias, em_sql_pos *pos)
{
    if (em__sql_is_kw(p, EM_SQL_KW_AS)) {
        em__sql_advance(p);
        return (*alias = em__sql_name(p, "alias after AS", pos)) ? 0 : -1;
    }
    /* A bare alias must be a plain word: "FROM t SET ..." (a missing ';')
     * should not read SET as an alias. Non-reserved keywords need AS. */
    if (p->tok.kind == EM_SQL_TOK_QIDENT ||
        (p->tok.kind == EM_SQL_TOK_IDENT && p->tok.kw == EM_SQL_KW_NONE))
        return (*alias = em__sql_name(p, "alias", pos)) ? 0 : -1;
    return 0;
}

static em_sql_from *subquery(em_sql_parser *p, em_sql_pos pos)
{
    em__sql_advance(p); /* ( */
    if (!em__sql_is_kw(p, EM_SQL_KW_SELECT))
        return em__sql_expected(p, "SELECT after '(' in FROM");
    em_sql_from *f = from_new(p, EM_SQL_FROM_SUBQUERY, pos);
    if (!f || !(f->query = em__sql_parse_query(p)) ||
        em__sql_expect(p, EM_SQL_TOK_RPAREN, "')' after subquery"))
        return NULL;
    return f;
}

static em_sql_from *window(em_sql_parser *p, em_sql_from_kind kind, const char *fn)
{
    char what[96];
    em_sql_from *f = from_new(p, kind, p->tok.pos);
    if (!f)
        return NULL;
    em__sql_advance(p); /* name */
    em__sql_advance(p); /* ( */
    if (kind == EM_SQL_FROM_LATE) {
        if (!(f->name = em__sql_name(p, "source name in LATE(...)", NULL)) ||
            em__sql_expect(p, EM_SQL_TOK_RPAREN, "')' after LATE source"))
            return NULL;
        return f;
    }
    if (p->tok.kind == EM_SQL_TOK_LPAREN) {
        f->input = subquery(p, p->tok.pos);
    } else if (em__sql_is_name(&p->tok)) {
        if ((f->input = from_new(p, EM_SQL_FROM_NAME, p->tok.pos)))
            f->input->name = em__sql_name(p, "window input", NULL);
    } else {
        snprintf(what, sizeof what, "%s input (a source or view name, or a subquery)", fn);
        return em__sql_expected(p, what);
    }
    snprintf(what, sizeof what, "',' after %s input", fn);
    if (!f->input || em__sql_expect(p, EM_SQL_TOK_COMMA, what))
        return NULL;
    f->time_pos = p->tok.pos;
    if (is_word(&p->tok, p->text, "proctime") && em__sql_peek(p).kind == EM_SQL_TOK_LPAREN) {
        em__sql_advance(p);
        em__sql_advance(p);
        if (em__sql_expect(p, EM_SQL_TOK_RPAREN, "')' after PROCTIME("))
            return NULL;
        f->proctime = 1;
    } else if (!(f->time_col = em__sql_name(p, "time column (or PROCTIME())", NULL))) {
        return NULL;
    }
    uint32_t given = 0;
    while (p->tok.kind == EM_SQL_TOK_COMMA) {
        em__sql_advance(p);
        em_sql_expr *e = em__sql_parse_expr(p);
        if (!e)
            return NULL;
        if (given < 2)
            f->args[given] = e;
        given++;
    }
    snprintf(what, sizeof what, "')' after %s arguments", fn);
    if (em__sql_expect(p, EM_SQL_TOK_RPAREN, what))
        return NULL;
    uint32_t want = kind == EM_SQL_FROM_HOP ? 2 : 1;
    if (given != want) {
        const char *sig = kind == EM_SQL_FROM_TUMBLE ? "input, time_col, size"
                          : kind == EM_SQL_FROM_HOP  ? "input, time_col, slide, size"
                                                     : "input, time_col, gap";
        return em__sql_error(p, f->pos, "%s takes %u arguments (%s), found %u", fn, want + 2, sig,
                             given + 2);
    }
    f->nargs = want;
    return f;
}

/* Stateful table functions: NAME(input, arg, ..., name => arg, ...), the
 * input a source/view name or a subquery; the planner checks the rest. */
static em_sql_from *table_func(em_sql_parser *p, const char *fn)
{
    char what[96];
    em_sql_from *f = from_new(p, EM_SQL_FROM_FUNC, p->tok.pos);
    if (!f)
        return NULL;
    f->name = fn;
    em__sql_advance(p); /* name */
    em__sql_advance(p); /* ( */
    if (p->tok.kind == EM_SQL_TOK_LPAREN) {
        f->input = subquery(p, p->tok.pos);
    } else if (em__sql_is_name(&p->tok)) {
        if ((f->input = from_new(p, EM_SQL_FROM_NAME, p->tok.pos)))
            f->input->name = em__sql_name(p, "table function input", NULL);
    } else {
        snprintf(what, sizeof what, "%s input (a source or view name, or a subquery)", fn);
        return em__sql_expected(p, what);
    }
    if (!f->input)
        return NULL;
    uint32_t cap = 0, pcap = 0, ncap = 0;
    while (p->tok.kind == EM_SQL_TOK_COMMA) {
        em__sql_advance(p);
        const char *name = NULL;
        em_sql_pos pos = p->tok.pos;
        if ((p->tok.kind == EM_SQL_TOK_IDENT || p->tok.kind == EM_SQL_TOK_QIDENT) &&
            em__sql_peek(p).kind == EM_SQL_TOK_EQ && peek2(p).kind == EM_SQL_TOK_GT) {
            if (!(name = em_sql_token_text(p->text, &p->tok, p->arena, NULL)))
                return em__sql_nomem(p);
            em__sql_advance(p);
            em__sql_advance(p);
            em__sql_advance(p);
        }
        em_sql_expr *e = em__sql_parse_expr(p);
        if (!e)
            return NULL;
        em_sql_expr **slot = em__sql_push(p, &f->fargs, &f->nfargs, &cap, sizeof *slot);
        if (!slot)
            return NULL;
        *slot = e;
        uint32_t n2 = f->nfargs - 1, n3 = f->nfargs - 1;
        const char **ns = em__sql_push(p, &f->fnames, &n2, &ncap, sizeof *ns);
        em_sql_pos *ps = ns ? em__sql_push(p, &f->fpos, &n3, &pcap, sizeof *ps) : NULL;
        if (!ps)
            return NULL;
        *ns = name;
        *ps = pos;
    }
    snprintf(what, sizeof what, "')' after %s arguments", fn);
    if (em__sql_expect(p, EM_SQL_TOK_RPAREN, what))
        return NULL;
    return f;
}

static em_sql_from *from_item(em_sql_parser *p)
{
    em_sql_pos pos = p->tok.pos;
    em_sql_from *f;
    if (p->tok.kind == EM_SQL_TOK_LPAREN) {
        if (!(f = subquery(p, pos)))
            return NULL;
        if (em__sql_is_kw(p, EM_SQL_KW_AS))
            em__sql_advance(p);
        f->alias = em__sql_name(p, "alias after subquery", &f->alias_pos);
        return f->alias ? f : NULL;
    }
    if (p->tok.kind == EM_SQL_TOK_IDENT && em__sql_peek(p).kind == EM_SQL_TOK_LPAREN) {
        static const struct {
            const char *word, *fn;
            em_sql_from_kind kind;
        } wins[] = {{"tumble", "TUMBLE", EM_SQL_FROM_TUMBLE},
                    {"hop", "HOP", EM_SQL_FROM_HOP},
                    {"session", "SESSION", EM_SQL_FROM_SESSION},
                    {"late", "LATE", EM_SQL_FROM_LATE}};
        for (size_t i = 0; i < sizeof wins / sizeof wins[0]; i++)
            if (is_word(&p->tok, p->text, wins[i].word)) {
                f = window(p, wins[i].kind, wins[i].fn);
                return f && opt_alias(p, &f->alias, &f->alias_pos) == 0 ? f : NULL;
            }
        static const char *const funcs[] = {"QC", "ALERTS", "SILENCE"};
        for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++)
            if (is_word(&p->tok, p->text, funcs[i])) {
                f = table_func(p, funcs[i]);
                return f && opt_alias(p, &f->alias, &f->alias_pos) == 0 ? f : NULL;
            }
        char buf[96];
        return em__sql_error(p, pos,
                             "unknown table function %s in FROM (use TUMBLE, HOP, SESSION, LATE, "
                             "QC, ALERTS or SILENCE)",
                             describe(p, &p->tok, buf, sizeof buf));
    }
    if (!(f = from_new(p, EM_SQL_FROM_NAME, pos)) ||
        !(f->name = em__sql_name(p, "source, table or view name", NULL)) ||
        opt_alias(p, &f->alias, &f->alias_pos))
        return NULL;
    return f;
}

static em_sql_from *from_clause(em_sql_parser *p)
{
    em_sql_from *left = from_item(p);
    int joins = 0;
    while (left) {
        em_sql_join_type jt = EM_SQL_JOIN_INNER;
        if (em__sql_is_kw(p, EM_SQL_KW_INNER)) {
            em__sql_advance(p);
            if (em__sql_expect_kw(p, EM_SQL_KW_JOIN, "JOIN after INNER"))
                left = NULL;
        } else if (em__sql_is_kw(p, EM_SQL_KW_LEFT)) {
            jt = EM_SQL_JOIN_LEFT;
            em__sql_advance(p);
            if (em__sql_is_kw(p, EM_SQL_KW_OUTER))
                em__sql_advance(p);
            if (em__sql_expect_kw(p, EM_SQL_KW_JOIN, "JOIN after LEFT"))
                left = NULL;
        } else if (em__sql_is_kw(p, EM_SQL_KW_JOIN)) {
            em__sql_advance(p);
        } else {
            break;
        }
        /* A join chain is a left-deep tree: count it as nesting. */
        if (!left || em__sql_enter(p)) {
            left = NULL;
            break;
        }
        joins++;
        em_sql_from *j = from_new(p, EM_SQL_FROM_JOIN, left->pos);
        if (!j || !(j->right = from_item(p)) ||
            em__sql_expect_kw(p, EM_SQL_KW_ON, "ON after JOIN input") ||
            !(j->on = em__sql_parse_expr(p))) {
            left = NULL;
            break;
        }
        j->join_type = jt;
        j->left = left;
        left = j;
    }
    while (joins--)
        em__sql_leave(p);
    if (left && p->tok.kind == EM_SQL_TOK_COMMA)
        return em__sql_error(p, p->tok.pos, "comma joins are not supported; use JOIN ... ON");
    return left;
}

/* ---- SELECT ------------------------------------------------------------ */

static int select_items(em_sql_parser *p, em_sql_select *s)
{
    uint32_t cap = 0;
    for (;;) {
        em_sql_select_item *it = em__sql_push(p, &s->items, &s->nitems, &cap, sizeof *it);
        if (!it)
            return -1;
        it->pos = p->tok.pos;
        if (p->tok.kind == EM_SQL_TOK_STAR) {
            it->kind = EM_SQL_ITEM_STAR;
            em__sql_advance(p);
        } else if (em__sql_is_name(&p->tok) && em__sql_peek(p).kind == EM_SQL_TOK_DOT &&
                   peek2(p).kind == EM_SQL_TOK_STAR) {
            it->kind = EM_SQL_ITEM_QSTAR;
            if (!(it->qualifier = em__sql_name(p, "qualifier", NULL)))
                return -1;
            em__sql_advance(p); /* . */
            em__sql_advance(p); /* * */
        } else {
            it->kind = EM_SQL_ITEM_EXPR;
            if (!(it->expr = em__sql_parse_expr(p)) ||
                opt_alias(p, &it->alias, &it->alias_pos))
                return -1;
        }
        if (p->tok.kind != EM_SQL_TOK_COMMA)
            break;
        em__sql_advance(p);
    }
    return em__sql_expect_kw(p, EM_SQL_KW_FROM, "',' or FROM after select list");
}

static em_sql_select *select_stmt(em_sql_parser *p)
{
    if (!em__sql_is_kw(p, EM_SQL_KW_SELECT))
        return em__sql_expected(p, "SELECT");
    em_sql_select *s = em_arena_calloc(p->arena, 1, sizeof *s);
    if (!s)
        return em__sql_nomem(p);
    s->pos = p->tok.pos;
    em__sql_advance(p);
    if (em__sql_is_kw(p, EM_SQL_KW_DISTINCT)) {
        s->distinct = 1;
        em__sql_advance(p);
    }
    if (select_items(p, s) || !(s->from = from_clause(p)))
        return NULL;
    if (em__sql_is_kw(p, EM_SQL_KW_WHERE)) {
        em__sql_advance(p);
        if (!(s->where = em__sql_parse_expr(p)))
            return NULL;
    }
    if (em__sql_is_kw(p, EM_SQL_KW_GROUP)) {
        uint32_t cap = 0;
        em__sql_advance(p);
        if (em__sql_expect_kw(p, EM_SQL_KW_BY, "BY after GROUP"))
            return NULL;
        do {
            if (s->ngroup_by)
                em__sql_advance(p); /* , */
            em_sql_expr *e = em__sql_parse_expr(p);
            em_sql_expr **slot = e ? em__sql_push(p, &s->group_by, &s->ngroup_by, &cap, sizeof e)
                                   : NULL;
            if (!slot)
                return NULL;
            *slot = e;
        } while (p->tok.kind == EM_SQL_TOK_COMMA);
    }
    if (em__sql_is_kw(p, EM_SQL_KW_HAVING)) {
        em__sql_advance(p);
        if (!(s->having = em__sql_parse_expr(p)))
            return NULL;
    }
    return s;
}

em_sql_query *em__sql_parse_query(em_sql_parser *p)
{
    if (em__sql_enter(p))
        return NULL;
    em_sql_query *q = em_arena_calloc(p->arena, 1, sizeof *q);
    uint32_t cap = 0;
    if (!q) {
        q = em__sql_nomem(p);
        goto done;
    }
    q->pos = p->tok.pos;
    for (;;) {
        em_sql_select *s = select_stmt(p);
        em_sql_select **slot = s ? em__sql_push(p, &q->selects, &q->nselects, &cap, sizeof s) : NULL;
        if (!slot) {
            q = NULL;
            goto done;
        }
        *slot = s;
        if (!em__sql_is_kw(p, EM_SQL_KW_UNION))
            break;
        em__sql_advance(p);
        if (!em__sql_is_kw(p, EM_SQL_KW_ALL)) {
            q = em__sql_error(p, p->tok.pos,
                              "UNION without ALL is not supported (streams are not "
                              "deduplicated); write UNION ALL");
            goto done;
        }
        em__sql_advance(p);
    }
done:
    em__sql_leave(p);
    return q;
}

static void parser_init(em_sql_parser *p, const char *file, const char *text, size_t len,
                        em_arena *arena, em_buf *diag)
{
    memset(p, 0, sizeof *p);
    p->text = text ? text : "";
    p->len = text ? len : 0;
    p->file = file ? file : "<input>";
    p->arena = arena;
    p->diag = diag;
    em_sql_lexer_init(&p->lx, p->text, p->len);
    em__sql_advance(p);
}

int em_sql_parse(const char *file_name, const char *text, size_t len, em_arena *arena,
                 em_sql_script **out, em_buf *diag)
{
    em_sql_parser p;
    em_sql_script *s;
    uint32_t cap = 0;
    *out = NULL;
    parser_init(&p, file_name, text, len, arena, diag);
    if (!(s = em_arena_calloc(arena, 1, sizeof *s)) ||
        !(s->file_name = em_arena_strndup(arena, p.file, strlen(p.file)))) {
        em__sql_nomem(&p);
        goto fail;
    }
    s->text = p.text;
    s->len = p.len;
    while (!p.rc) {
        while (p.tok.kind == EM_SQL_TOK_SEMI)
            em__sql_advance(&p);
        if (p.tok.kind == EM_SQL_TOK_EOF)
            break;
        em_sql_stmt *st = em__sql_push(&p, &s->stmts, &s->nstmts, &cap, sizeof *st);
        if (!st || em__sql_parse_stmt(&p, st))
            goto fail;
        if (p.tok.kind == EM_SQL_TOK_SEMI)
            em__sql_advance(&p);
        else if (p.tok.kind != EM_SQL_TOK_EOF)
            em__sql_expected(&p, "';' after statement");
    }
    if (p.rc)
        goto fail;
    *out = s;
    return 0;
fail:
    return p.rc ? p.rc : EM_EPARSE;
}

int em_sql_parse_expr(const char *file_name, const char *text, size_t len, em_arena *arena,
                      em_sql_expr **out, em_buf *diag)
{
    em_sql_parser p;
    *out = NULL;
    parser_init(&p, file_name, text, len, arena, diag);
    em_sql_expr *e = em__sql_parse_expr(&p);
    if (e && p.tok.kind != EM_SQL_TOK_EOF)
        em__sql_expected(&p, "end of expression");
    if (p.rc || !e)
        return p.rc ? p.rc : EM_EPARSE;
    *out = e;
    return 0;
}
