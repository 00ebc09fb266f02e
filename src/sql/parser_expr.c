/*
 * sql/parser_expr.c - expressions, literals and type names.
 *
 * Precedence, loosest first (each level a function below):
 *
 *   OR < AND < NOT < comparison, IS, BETWEEN, IN, LIKE < || < + - < * / %
 *      < unary - < primary
 *
 * Binary operators associate to the left. Chains of NOT and unary minus
 * are collected in loops rather than by recursion, and every node's height
 * is checked against EM_SQL_MAX_HEIGHT, so no input can exhaust the stack
 * here or in later passes over the tree.
 */
#include "core/clock.h"
#include "core/suggest.h"
#include "ember/error.h"
#include "sql/parser_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static em_sql_expr *parse_or(em_sql_parser *p);

static em_sql_expr *node(em_sql_parser *p, em_sql_expr_kind kind, em_sql_pos pos)
{
    em_sql_expr *e = em_arena_calloc(p->arena, 1, sizeof *e);
    if (!e)
        return em__sql_nomem(p);
    e->kind = kind;
    e->pos = pos;
    e->height = 1;
    return e;
}

/* Raises e's height above child c; reports a too-deep tree. */
static int grow(em_sql_parser *p, em_sql_expr *e, const em_sql_expr *c)
{
    if (c && c->height + 1 > e->height) {
        e->height = c->height + 1;
        if (e->height > EM_SQL_MAX_HEIGHT) {
            em__sql_error(p, e->pos, "expression nested too deeply (more than %d levels)",
                          EM_SQL_MAX_HEIGHT);
            return -1;
        }
    }
    return 0;
}

static em_sql_expr *binary(em_sql_parser *p, em_sql_binop op, em_sql_expr *l, em_sql_expr *r)
{
    if (!l || !r)
        return NULL;
    em_sql_expr *e = node(p, EM_SQL_E_BINARY, l->pos);
    if (!e)
        return NULL;
    e->v.bin.op = op;
    e->v.bin.l = l;
    e->v.bin.r = r;
    if (grow(p, e, l) || grow(p, e, r))
        return NULL;
    return e;
}

/* Shows user text in a message: at most max bytes, control bytes as '?'. */
static const char *show(const char *s, size_t n, char *buf, size_t cap)
{
    size_t o = 0, max = cap - 4;
    for (size_t i = 0; i < n && o < max; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (n > max)
        memcpy(buf + o, "...", 3), o += 3;
    buf[o] = 0;
    return buf;
}

/* ---- literals ---------------------------------------------------------- */

static em_sql_expr *number(em_sql_parser *p, int neg, em_sql_pos pos)
{
    em_sql_token t = p->tok;
    const char *raw = p->text + t.pos.off;
    char sh[48];
    em_sql_expr *e;
    if (t.kind == EM_SQL_TOK_INTEGER) {
        uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        for (size_t i = 0; i < t.len; i++) {
            unsigned d = (unsigned)(raw[i] - '0');
            if (v > (lim - d) / 10)
                return em__sql_error(p, t.pos, "integer literal '%s%s' is out of range for BIGINT",
                                     neg ? "-" : "", show(raw, t.len, sh, sizeof sh));
            v = v * 10 + d;
        }
        if (!(e = node(p, EM_SQL_E_INT, pos)))
            return NULL;
        e->v.i = neg ? (int64_t)(0 - v) : (int64_t)v;
    } else {
        char *s = em_sql_token_text(p->text, &t, p->arena, NULL);
        if (!s)
            return em__sql_nomem(p);
        double d = strtod(s, NULL);
        if (!isfinite(d))
            return em__sql_error(p, t.pos, "numeric literal '%s' is out of range for DOUBLE",
                                 show(raw, t.len, sh, sizeof sh));
        if (!(e = node(p, EM_SQL_E_DOUBLE, pos)))
            return NULL;
        e->v.d = neg ? -d : d;
    }
    em__sql_advance(p);
    return e;
}

static const struct {
    const char *name;
    int64_t us;
} interval_units[] = {
    {"millisecond", 1000},        {"milliseconds", 1000},      {"second", 1000000},
    {"seconds", 1000000},         {"minute", 60000000},        {"minutes", 60000000},
    {"hour", INT64_C(3600000000)}, {"hours", INT64_C(3600000000)}, {"day", INT64_C(86400000000)},
    {"days", INT64_C(86400000000)},
};

static const char *const unit_names[] = {"MILLISECOND", "SECOND", "MINUTE", "HOUR", "DAY", NULL};

static int unit_us(const char *u, size_t n, int64_t *mult)
{
    for (size_t i = 0; i < sizeof interval_units / sizeof interval_units[0]; i++) {
        if (strlen(interval_units[i].name) == n && strncasecmp(u, interval_units[i].name, n) == 0) {
            *mult = interval_units[i].us;
            return 0;
        }
    }
    return -1;
}

/* Returns 0 with *us; 1 when s holds only a number and unit is NULL (the
 * unit follows as a separate word); -1 with a reason in why. */
static int interval_value(const char *s, size_t n, const char *unit, int64_t *us, char *why,
                          size_t whycap)
{
    size_t i = 0, e = n;
    while (i < e && (s[i] == ' ' || s[i] == '\t'))
        i++;
    while (e > i && (s[e - 1] == ' ' || s[e - 1] == '\t'))
        e--;
    size_t ns = i, digits = 0;
    while (i < e && s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (i < e && s[i] == '.') {
        i++;
        while (i < e && s[i] >= '0' && s[i] <= '9')
            i++, digits++;
    }
    size_t nl = i - ns;
    if (digits == 0 || nl > 40) {
        snprintf(why, whycap, "expected a non-negative number%s", unit ? "" : " and a unit");
        return -1;
    }
    while (i < e && (s[i] == ' ' || s[i] == '\t'))
        i++;
    int64_t mult;
    if (i == e) {
        if (!unit)
            return 1;
        if (unit_us(unit, strlen(unit), &mult) < 0) {
            snprintf(why, whycap, "unknown unit");
            return -1;
        }
    } else {
        if (unit) {
            snprintf(why, whycap, "expected a number (the unit comes after the quotes)");
            return -1;
        }
        char sh[40];
        if (unit_us(s + i, e - i, &mult) < 0) {
            snprintf(why, whycap,
                     "unknown unit '%s' (use MILLISECOND, SECOND, MINUTE, HOUR or DAY)",
                     show(s + i, e - i, sh, sizeof sh));
            return -1;
        }
    }
    char num[48];
    memcpy(num, s + ns, nl);
    num[nl] = 0;
    double r = strtod(num, NULL) * (double)mult;
    if (!(r < 9.2e18)) {
        snprintf(why, whycap, "value out of range");
        return -1;
    }
    *us = (int64_t)llround(r);
    return 0;
}

static em_sql_expr *interval_literal(em_sql_parser *p)
{
    em_sql_pos pos = p->tok.pos;
    em_sql_expr *e;
    char why[128], sh[48], sh2[48];
    int64_t us = 0;
    em__sql_advance(p); /* INTERVAL */
    em_sql_token st = p->tok;
    size_t n;
    char *s = em_sql_token_text(p->text, &st, p->arena, &n);
    if (!s)
        return em__sql_nomem(p);
    em__sql_advance(p);
    int rc = interval_value(s, n, NULL, &us, why, sizeof why);
    if (rc == 1) {
        /* "INTERVAL '30' SECOND": the unit is the next word. */
        em_sql_token ut = p->tok;
        if (ut.kind != EM_SQL_TOK_IDENT || em_sql_keyword_reserved(ut.kw))
            return em__sql_error(
                p, ut.pos,
                "expected INTERVAL unit (MILLISECOND, SECOND, MINUTE, HOUR or DAY) after '%s', "
                "found %s%s%s",
                show(s, n, sh, sizeof sh), ut.kind == EM_SQL_TOK_EOF ? "" : "'",
                ut.kind == EM_SQL_TOK_EOF ? "end of input"
                                          : show(p->text + ut.pos.off, ut.len, sh2, sizeof sh2),
                ut.kind == EM_SQL_TOK_EOF ? "" : "'");
        int64_t mult;
        if (unit_us(p->text + ut.pos.off, ut.len, &mult) < 0) {
            char *u = em_sql_token_text(p->text, &ut, p->arena, NULL);
            if (!u)
                return em__sql_nomem(p);
            const char *sug = em_suggest(u, unit_names, SIZE_MAX);
            show(p->text + ut.pos.off, ut.len, sh2, sizeof sh2);
            if (sug)
                return em__sql_error(p, ut.pos, "unknown INTERVAL unit '%s'; did you mean '%s'?",
                                     sh2, sug);
            return em__sql_error(p, ut.pos,
                                 "unknown INTERVAL unit '%s' (use MILLISECOND, SECOND, MINUTE, "
                                 "HOUR or DAY)",
                                 sh2);
        }
        char *u = em_sql_token_text(p->text, &ut, p->arena, NULL);
        if (!u)
            return em__sql_nomem(p);
        rc = interval_value(s, n, u, &us, why, sizeof why);
        em__sql_advance(p);
    }
    if (rc != 0)
        return em__sql_error(p, st.pos, "invalid INTERVAL '%s': %s", show(s, n, sh, sizeof sh),
                             why);
    if (!(e = node(p, EM_SQL_E_INTERVAL, pos)))
        return NULL;
    e->v.i = us;
    return e;
}

static em_sql_expr *timestamp_literal(em_sql_parser *p)
{
    em_sql_pos pos = p->tok.pos;
    char sh[48];
    em__sql_advance(p); /* TIMESTAMP */
    em_sql_token st = p->tok;
    size_t n;
    char *s = em_sql_token_text(p->text, &st, p->arena, &n);
    if (!s)
        return em__sql_nomem(p);
    int64_t us;
    if (strlen(s) != n || em_ts_parse(s, n, &us) != 0)
        return em__sql_error(p, st.pos,
                             "invalid TIMESTAMP '%s': expected ISO-8601 such as "
                             "'2024-05-01T12:00:00Z'",
                             show(s, n, sh, sizeof sh));
    em__sql_advance(p);
    em_sql_expr *e = node(p, EM_SQL_E_TIMESTAMP, pos);
    if (!e)
        return NULL;
    e->v.ts.us = us;
    e->v.ts.text = s;
    return e;
}

/* ---- compound primaries ------------------------------------------------ */

static const char *const extract_fields[] = {"epoch", "year",   "month",  "day",
                                             "hour",  "minute", "second", NULL};

static em_sql_expr *extract_call(em_sql_parser *p, em_sql_pos pos)
{
    char sh[48];
    em__sql_advance(p); /* extract */
    em__sql_advance(p); /* ( */
    em_sql_token ft = p->tok;
    if (ft.kind != EM_SQL_TOK_IDENT && ft.kind != EM_SQL_TOK_QIDENT)
        return em__sql_expected(p, "EXTRACT field (epoch, year, month, day, hour, minute or "
                                   "second)");
    char *field = em_sql_token_text(p->text, &ft, p->arena, NULL);
    if (!field)
        return em__sql_nomem(p);
    int ok = 0;
    for (int i = 0; extract_fields[i]; i++)
        ok |= strcasecmp(field, extract_fields[i]) == 0;
    if (!ok) {
        const char *sug = em_suggest(field, extract_fields, SIZE_MAX);
        show(p->text + ft.pos.off, ft.len, sh, sizeof sh);
        if (sug)
            return em__sql_error(p, ft.pos, "unknown EXTRACT field '%s'; did you mean '%s'?", sh,
                                 sug);
        return em__sql_error(p, ft.pos,
                             "unknown EXTRACT field '%s' (use epoch, year, month, day, hour, "
                             "minute or second)",
                             sh);
    }
    for (char *c = field; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    em__sql_advance(p);
    if (em__sql_expect_kw(p, EM_SQL_KW_FROM, "FROM after EXTRACT field"))
        return NULL;
    em_sql_expr *arg = em__sql_parse_expr(p);
    if (!arg || em__sql_expect(p, EM_SQL_TOK_RPAREN, "')' to close EXTRACT"))
        return NULL;
    em_sql_expr *e = node(p, EM_SQL_E_EXTRACT, pos);
    if (!e)
        return NULL;
    e->v.extract.field = field;
    e->v.extract.arg = arg;
    return grow(p, e, arg) ? NULL : e;
}

static em_sql_expr *func_call(em_sql_parser *p, const char *name, em_sql_pos pos)
{
    char what[96];
    em__sql_advance(p); /* name */
    em__sql_advance(p); /* ( */
    em_sql_expr *e = node(p, EM_SQL_E_FUNC, pos);
    uint32_t cap = 0;
    if (!e)
        return NULL;
    e->v.func.name = name;
    if (p->tok.kind == EM_SQL_TOK_STAR) {
        em__sql_advance(p);
        e->v.func.star = 1;
        return em__sql_expect(p, EM_SQL_TOK_RPAREN, "')' after '*'") ? NULL : e;
    }
    if (p->tok.kind == EM_SQL_TOK_RPAREN) {
        em__sql_advance(p);
        return e;
    }
    if (em__sql_is_kw(p, EM_SQL_KW_DISTINCT)) {
        em__sql_advance(p);
        e->v.func.distinct = 1;
    }
    snprintf(what, sizeof what, "',' or ')' after argument of %.40s()", name);
    for (;;) {
        em_sql_expr *a = em__sql_parse_expr(p);
        if (!a || grow(p, e, a))
            return NULL;
        em_sql_expr **slot = em__sql_push(p, &e->v.func.args, &e->v.func.nargs, &cap, sizeof a);
        if (!slot)
            return NULL;
        *slot = a;
        if (p->tok.kind == EM_SQL_TOK_COMMA) {
            em__sql_advance(p);
            continue;
        }
        if (p->tok.kind == EM_SQL_TOK_RPAREN) {
            em__sql_advance(p);
            return e;
        }
        return em__sql_expected(p, what);
    }
}

static em_sql_expr *case_expr(em_sql_parser *p)
{
    em_sql_expr *e = node(p, EM_SQL_E_CASE, p->tok.pos);
    uint32_t cap = 0;
    if (!e)
        return NULL;
    em__sql_advance(p); /* CASE */
    if (!em__sql_is_kw(p, EM_SQL_KW_WHEN)) {
        if (!(e->v.cases.operand = em__sql_parse_expr(p)) || grow(p, e, e->v.cases.operand))
            return NULL;
    }
    while (em__sql_is_kw(p, EM_SQL_KW_WHEN)) {
        em__sql_advance(p);
        em_sql_expr *c = em__sql_parse_expr(p);
        if (!c || em__sql_expect_kw(p, EM_SQL_KW_THEN, "THEN after WHEN condition"))
            return NULL;
        em_sql_expr *r = em__sql_parse_expr(p);
        if (!r || grow(p, e, c) || grow(p, e, r))
            return NULL;
        em_sql_when *w = em__sql_push(p, &e->v.cases.whens, &e->v.cases.nwhens, &cap, sizeof *w);
        if (!w)
            return NULL;
        w->cond = c;
        w->result = r;
    }
    if (e->v.cases.nwhens == 0)
        return em__sql_expected(p, "WHEN in CASE");
    if (em__sql_is_kw(p, EM_SQL_KW_ELSE)) {
        em__sql_advance(p);
        if (!(e->v.cases.else_ = em__sql_parse_expr(p)) || grow(p, e, e->v.cases.else_))
            return NULL;
        if (em__sql_expect_kw(p, EM_SQL_KW_END, "END to close CASE"))
            return NULL;
        return e;
    }
    if (em__sql_expect_kw(p, EM_SQL_KW_END, "WHEN, ELSE or END in CASE"))
        return NULL;
    return e;
}

static em_sql_expr *cast_expr(em_sql_parser *p)
{
    em_sql_expr *e = node(p, EM_SQL_E_CAST, p->tok.pos);
    if (!e)
        return NULL;
    em__sql_advance(p); /* CAST */
    if (em__sql_expect(p, EM_SQL_TOK_LPAREN, "'(' after CAST"))
        return NULL;
    if (!(e->v.cast.arg = em__sql_parse_expr(p)) || grow(p, e, e->v.cast.arg))
        return NULL;
    if (em__sql_expect_kw(p, EM_SQL_KW_AS, "AS in CAST") ||
        em__sql_parse_type(p, &e->v.cast.type, &e->v.cast.type_pos) ||
        em__sql_expect(p, EM_SQL_TOK_RPAREN, "')' after CAST type"))
        return NULL;
    return e;
}

static em_sql_expr *name_expr(em_sql_parser *p)
{
    em_sql_pos pos = p->tok.pos;
    if (!em__sql_is_name(&p->tok)) /* a reserved word: not a column, not a function */
        return em__sql_expected(p, "expression");
    em_sql_token nt = em__sql_peek(p);
    if (nt.kind == EM_SQL_TOK_LPAREN) {
        if (p->tok.kind == EM_SQL_TOK_IDENT && p->tok.len == 7 &&
            strncasecmp(p->text + p->tok.pos.off, "extract", 7) == 0)
            return extract_call(p, pos);
        char *name = em_sql_token_text(p->text, &p->tok, p->arena, NULL);
        return name ? func_call(p, name, pos) : em__sql_nomem(p);
    }
    char *first = em__sql_name(p, "expression", NULL);
    if (!first)
        return NULL;
    em_sql_expr *e = node(p, EM_SQL_E_COLUMN, pos);
    if (!e)
        return NULL;
    e->v.col.name = first;
    if (p->tok.kind == EM_SQL_TOK_DOT) {
        em__sql_advance(p);
        if (p->tok.kind == EM_SQL_TOK_STAR)
            return em__sql_error(p, p->tok.pos,
                                 "'%s.*' is only allowed as an item of the select list", first);
        e->v.col.qualifier = first;
        if (!(e->v.col.name = em__sql_name(p, "column name after '.'", NULL)))
            return NULL;
    }
    return e;
}

static em_sql_expr *primary(em_sql_parser *p)
{
    em_sql_token t = p->tok;
    em_sql_expr *e;
    switch (t.kind) {
    case EM_SQL_TOK_INTEGER:
    case EM_SQL_TOK_DECIMAL:
        return number(p, 0, t.pos);
    case EM_SQL_TOK_STRING: {
        if (!(e = node(p, EM_SQL_E_STRING, t.pos)))
            return NULL;
        char *s = em_sql_token_text(p->text, &t, p->arena, &e->v.str.len);
        if (!s)
            return em__sql_nomem(p);
        e->v.str.ptr = s;
        em__sql_advance(p);
        return e;
    }
    case EM_SQL_TOK_LPAREN:
        if (em__sql_peek(p).kw == EM_SQL_KW_SELECT) {
            em__sql_advance(p);
            return em__sql_error(p, p->tok.pos,
                                 "subqueries are not supported in expressions; join instead");
        }
        em__sql_advance(p);
        e = em__sql_parse_expr(p);
        if (!e || em__sql_expect(p, EM_SQL_TOK_RPAREN, "')' after expression"))
            return NULL;
        return e;
    case EM_SQL_TOK_IDENT:
        switch (t.kw) {
        case EM_SQL_KW_TRUE:
        case EM_SQL_KW_FALSE:
            if (!(e = node(p, EM_SQL_E_BOOL, t.pos)))
                return NULL;
            e->v.b = t.kw == EM_SQL_KW_TRUE;
            em__sql_advance(p);
            return e;
        case EM_SQL_KW_NULL:
            em__sql_advance(p);
            return node(p, EM_SQL_E_NULL, t.pos);
        case EM_SQL_KW_CASE:
            return case_expr(p);
        case EM_SQL_KW_CAST:
            return cast_expr(p);
        case EM_SQL_KW_TIMESTAMP:
            if (em__sql_peek(p).kind == EM_SQL_TOK_STRING)
                return timestamp_literal(p);
            break;
        case EM_SQL_KW_INTERVAL:
            if (em__sql_peek(p).kind == EM_SQL_TOK_STRING)
                return interval_literal(p);
            break;
        default:
            break;
        }
        return name_expr(p);
    case EM_SQL_TOK_QIDENT:
        return name_expr(p);
    default:
        return em__sql_expected(p, "expression");
    }
}

/* Unary minus (and a no-op unary plus), collected iteratively. A minus
 * right before a numeric literal folds into it, so -9223372036854775808
 * is a valid BIGINT. */
static em_sql_expr *unary(em_sql_parser *p)
{
    em_sql_pos *negs = NULL;
    uint32_t nneg = 0, cap = 0;
    while (p->tok.kind == EM_SQL_TOK_MINUS || p->tok.kind == EM_SQL_TOK_PLUS) {
        if (p->tok.kind == EM_SQL_TOK_MINUS) {
            em_sql_pos *slot = em__sql_push(p, &negs, &nneg, &cap, sizeof *slot);
            if (!slot)
                return NULL;
            *slot = p->tok.pos;
        }
        em__sql_advance(p);
    }
    em_sql_expr *e;
    if (nneg && (p->tok.kind == EM_SQL_TOK_INTEGER || p->tok.kind == EM_SQL_TOK_DECIMAL))
        e = number(p, 1, negs[--nneg]);
    else
        e = primary(p);
    while (e && nneg) {
        em_sql_expr *u = node(p, EM_SQL_E_UNARY, negs[--nneg]);
        if (!u)
            return NULL;
        u->v.unary.op = EM_SQL_OP_NEG;
        u->v.unary.arg = e;
        e = grow(p, u, e) ? NULL : u;
    }
    return e;
}

static em_sql_expr *mul(em_sql_parser *p)
{
    em_sql_expr *l = unary(p);
    while (l) {
        em_sql_binop op;
        switch (p->tok.kind) {
        case EM_SQL_TOK_STAR: op = EM_SQL_OP_MUL; break;
        case EM_SQL_TOK_SLASH: op = EM_SQL_OP_DIV; break;
        case EM_SQL_TOK_PERCENT: op = EM_SQL_OP_MOD; break;
        default: return l;
        }
        em__sql_advance(p);
        l = binary(p, op, l, unary(p));
    }
    return NULL;
}

static em_sql_expr *add(em_sql_parser *p)
{
    em_sql_expr *l = mul(p);
    while (l) {
        em_sql_binop op;
        if (p->tok.kind == EM_SQL_TOK_PLUS)
            op = EM_SQL_OP_ADD;
        else if (p->tok.kind == EM_SQL_TOK_MINUS)
            op = EM_SQL_OP_SUB;
        else
            return l;
        em__sql_advance(p);
        l = binary(p, op, l, mul(p));
    }
    return NULL;
}

static em_sql_expr *concat(em_sql_parser *p)
{
    em_sql_expr *l = add(p);
    while (l && p->tok.kind == EM_SQL_TOK_CONCAT) {
        em__sql_advance(p);
        l = binary(p, EM_SQL_OP_CONCAT, l, add(p));
    }
    return l;
}

static em_sql_expr *in_list(em_sql_parser *p, em_sql_expr *e)
{
    uint32_t cap = 0;
    em__sql_advance(p); /* IN */
    if (em__sql_expect(p, EM_SQL_TOK_LPAREN, "'(' after IN"))
        return NULL;
    if (em__sql_is_kw(p, EM_SQL_KW_SELECT))
        return em__sql_error(p, p->tok.pos, "subqueries are not supported in IN; join instead");
    for (;;) {
        em_sql_expr *x = em__sql_parse_expr(p);
        if (!x || grow(p, e, x))
            return NULL;
        em_sql_expr **slot = em__sql_push(p, &e->v.in.list, &e->v.in.n, &cap, sizeof x);
        if (!slot)
            return NULL;
        *slot = x;
        if (p->tok.kind == EM_SQL_TOK_COMMA) {
            em__sql_advance(p);
            continue;
        }
        if (em__sql_expect(p, EM_SQL_TOK_RPAREN, "',' or ')' in IN list"))
            return NULL;
        return e;
    }
}

/* Comparisons and the other predicates. */
static em_sql_expr *predicate(em_sql_parser *p)
{
    em_sql_expr *l = concat(p);
    while (l) {
        em_sql_binop op;
        em_sql_expr *e;
        int neg = 0;
        switch (p->tok.kind) {
        case EM_SQL_TOK_EQ: op = EM_SQL_OP_EQ; goto cmp;
        case EM_SQL_TOK_NE: op = EM_SQL_OP_NE; goto cmp;
        case EM_SQL_TOK_LT: op = EM_SQL_OP_LT; goto cmp;
        case EM_SQL_TOK_LE: op = EM_SQL_OP_LE; goto cmp;
        case EM_SQL_TOK_GT: op = EM_SQL_OP_GT; goto cmp;
        case EM_SQL_TOK_GE: op = EM_SQL_OP_GE; goto cmp;
        default: break;
        }
        if (em__sql_is_kw(p, EM_SQL_KW_IS)) {
            em__sql_advance(p);
            if (em__sql_is_kw(p, EM_SQL_KW_NOT)) {
                neg = 1;
                em__sql_advance(p);
            }
            if (em__sql_expect_kw(p, EM_SQL_KW_NULL, neg ? "NULL after IS NOT" : "NULL or NOT NULL after IS"))
                return NULL;
            if (!(e = node(p, EM_SQL_E_IS_NULL, l->pos)))
                return NULL;
            e->v.is_null.arg = l;
            e->v.is_null.negated = neg;
            l = grow(p, e, l) ? NULL : e;
            continue;
        }
        if (em__sql_is_kw(p, EM_SQL_KW_NOT)) {
            em_sql_kw next = em__sql_peek(p).kw;
            if (next != EM_SQL_KW_BETWEEN && next != EM_SQL_KW_IN && next != EM_SQL_KW_LIKE)
                return l;
            neg = 1;
            em__sql_advance(p);
        }
        if (em__sql_is_kw(p, EM_SQL_KW_BETWEEN)) {
            em__sql_advance(p);
            if (!(e = node(p, EM_SQL_E_BETWEEN, l->pos)))
                return NULL;
            e->v.between.arg = l;
            e->v.between.negated = neg;
            if (!(e->v.between.lo = concat(p)) ||
                em__sql_expect_kw(p, EM_SQL_KW_AND, "AND in BETWEEN") ||
                !(e->v.between.hi = concat(p)))
                return NULL;
            l = grow(p, e, l) || grow(p, e, e->v.between.lo) || grow(p, e, e->v.between.hi) ? NULL
                                                                                             : e;
        } else if (em__sql_is_kw(p, EM_SQL_KW_IN)) {
            if (!(e = node(p, EM_SQL_E_IN, l->pos)))
                return NULL;
            e->v.in.arg = l;
            e->v.in.negated = neg;
            l = grow(p, e, l) ? NULL : in_list(p, e);
        } else if (em__sql_is_kw(p, EM_SQL_KW_LIKE)) {
            em__sql_advance(p);
            if (!(e = node(p, EM_SQL_E_LIKE, l->pos)))
                return NULL;
            e->v.like.arg = l;
            e->v.like.negated = neg;
            if (!(e->v.like.pattern = concat(p)))
                return NULL;
            l = grow(p, e, l) || grow(p, e, e->v.like.pattern) ? NULL : e;
        } else {
            return l;
        }
        continue;
    cmp:
        em__sql_advance(p);
        l = binary(p, op, l, concat(p));
    }
    return NULL;
}

/* NOT binds looser than the predicates: NOT a = b is NOT (a = b). */
static em_sql_expr *not_expr(em_sql_parser *p)
{
    em_sql_pos *nots = NULL;
    uint32_t n = 0, cap = 0;
    while (em__sql_is_kw(p, EM_SQL_KW_NOT)) {
        em_sql_pos *slot = em__sql_push(p, &nots, &n, &cap, sizeof *slot);
        if (!slot)
            return NULL;
        *slot = p->tok.pos;
        em__sql_advance(p);
    }
    em_sql_expr *e = predicate(p);
    while (e && n) {
        em_sql_expr *u = node(p, EM_SQL_E_UNARY, nots[--n]);
        if (!u)
            return NULL;
        u->v.unary.op = EM_SQL_OP_NOT;
        u->v.unary.arg = e;
        e = grow(p, u, e) ? NULL : u;
    }
    return e;
}

static em_sql_expr *and_expr(em_sql_parser *p)
{
    em_sql_expr *l = not_expr(p);
    while (l && em__sql_is_kw(p, EM_SQL_KW_AND)) {
        em__sql_advance(p);
        l = binary(p, EM_SQL_OP_AND, l, not_expr(p));
    }
    return l;
}

static em_sql_expr *parse_or(em_sql_parser *p)
{
    em_sql_expr *l = and_expr(p);
    while (l && em__sql_is_kw(p, EM_SQL_KW_OR)) {
        em__sql_advance(p);
        l = binary(p, EM_SQL_OP_OR, l, and_expr(p));
    }
    return l;
}

em_sql_expr *em__sql_parse_expr(em_sql_parser *p)
{
    if (em__sql_enter(p))
        return NULL;
    em_sql_expr *e = parse_or(p);
    em__sql_leave(p);
    return e;
}

/* ---- types ------------------------------------------------------------- */

static const struct {
    const char *name;
    em_type type;
} type_names[] = {
    {"BOOLEAN", EM_TYPE_BOOLEAN},  {"BOOL", EM_TYPE_BOOLEAN},       {"BIGINT", EM_TYPE_BIGINT},
    {"INT", EM_TYPE_BIGINT},       {"INTEGER", EM_TYPE_BIGINT},     {"DOUBLE", EM_TYPE_DOUBLE},
    {"FLOAT", EM_TYPE_DOUBLE},     {"REAL", EM_TYPE_DOUBLE},        {"TEXT", EM_TYPE_TEXT},
    {"VARCHAR", EM_TYPE_TEXT},     {"STRING", EM_TYPE_TEXT},        {"TIMESTAMP", EM_TYPE_TIMESTAMP},
    {"INTERVAL", EM_TYPE_INTERVAL},
};

int em__sql_parse_type(em_sql_parser *p, em_type *t, em_sql_pos *pos)
{
    enum { NT = sizeof type_names / sizeof type_names[0] };
    char sh[48];
    em_sql_token tt = p->tok;
    *pos = tt.pos;
    if (tt.kind != EM_SQL_TOK_IDENT && tt.kind != EM_SQL_TOK_QIDENT) {
        em__sql_expected(p, "type name");
        return -1;
    }
    size_t n;
    char *name = em_sql_token_text(p->text, &tt, p->arena, &n);
    if (!name) {
        em__sql_nomem(p);
        return -1;
    }
    for (size_t i = 0; i < NT; i++) {
        if (strcasecmp(name, type_names[i].name) == 0 && strlen(name) == n) {
            *t = type_names[i].type;
            em__sql_advance(p);
            /* DOUBLE PRECISION; VARCHAR(n) and TIMESTAMP(p) for Flink users. */
            if (i == 5 && p->tok.kind == EM_SQL_TOK_IDENT && p->tok.len == 9 &&
                strncasecmp(p->text + p->tok.pos.off, "precision", 9) == 0)
                em__sql_advance(p);
            if ((*t == EM_TYPE_TEXT || *t == EM_TYPE_TIMESTAMP) &&
                p->tok.kind == EM_SQL_TOK_LPAREN) {
                em__sql_advance(p);
                if (em__sql_expect(p, EM_SQL_TOK_INTEGER, "length or precision") ||
                    em__sql_expect(p, EM_SQL_TOK_RPAREN, "')' after length or precision"))
                    return -1;
            }
            return 0;
        }
    }
    const char *cands[NT + 1];
    for (size_t i = 0; i < NT; i++)
        cands[i] = type_names[i].name;
    cands[NT] = NULL;
    const char *sug = strlen(name) == n ? em_suggest(name, cands, SIZE_MAX) : NULL;
    const char *shown = tt.kind == EM_SQL_TOK_IDENT ? show(p->text + tt.pos.off, tt.len, sh, sizeof sh)
                                                    : show(name, n, sh, sizeof sh);
    if (sug)
        em__sql_error(p, tt.pos, "unknown type '%s'; did you mean '%s'?", shown, sug);
    else
        em__sql_error(p, tt.pos,
                      "unknown type '%s' (types: BOOLEAN, BIGINT, DOUBLE, TEXT, TIMESTAMP)", shown);
    return -1;
}
