/*
 * sql/lexer.c - the job language's tokenizer. See lexer.h.
 *
 * Invariant: every call to em_sql_lexer_next either consumes at least one
 * byte or yields EOF/ERROR, which it keeps yielding; the parser therefore
 * cannot loop forever on any input.
 */
#include "sql/lexer.h"

#include <string.h>

static const struct {
    const char *name;
    int reserved;
} keywords[EM_SQL_KW__COUNT] = {
    {"", 0},
#define EM_SQL_KW_X_(name, text, reserved) {text, reserved},
    EM_SQL_KEYWORDS(EM_SQL_KW_X_)
#undef EM_SQL_KW_X_
};

em_sql_kw em_sql_keyword_lookup(const char *s, size_t n)
{
    char low[16];
    if (n == 0 || n >= sizeof low)
        return EM_SQL_KW_NONE;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        low[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    low[n] = 0;
    for (int k = 1; k < EM_SQL_KW__COUNT; k++)
        if (strcmp(low, keywords[k].name) == 0)
            return (em_sql_kw)k;
    return EM_SQL_KW_NONE;
}

const char *em_sql_keyword_name(em_sql_kw kw)
{
    return (kw > 0 && kw < EM_SQL_KW__COUNT) ? keywords[kw].name : "";
}

int em_sql_keyword_reserved(em_sql_kw kw)
{
    return (kw > 0 && kw < EM_SQL_KW__COUNT) ? keywords[kw].reserved : 0;
}

void em_sql_lexer_init(em_sql_lexer *lx, const char *text, size_t len)
{
    lx->text = text;
    lx->len = len;
    lx->off = 0;
    lx->line = 1;
    lx->col = 1;
    lx->err = NULL;
    lx->err_pos.line = lx->err_pos.col = 0;
    lx->err_pos.off = 0;
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* Identifier characters: ASCII letters, digits, '_', '$', and any byte of a
 * multi-byte UTF-8 sequence (so names may use non-ASCII letters). */
static int is_ident_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static int is_ident_char(int c)
{
    return is_ident_start(c) || is_digit(c) || c == '$';
}

static int peekc(const em_sql_lexer *lx, size_t ahead)
{
    size_t i = lx->off + ahead;
    return i < lx->len ? (unsigned char)lx->text[i] : -1;
}

/* Consumes one byte, keeping line and column (in code points) current. */
static void adv(em_sql_lexer *lx)
{
    unsigned char c = (unsigned char)lx->text[lx->off++];
    if (c == '\n') {
        lx->line++;
        lx->col = 1;
    } else if ((c & 0xC0) != 0x80) {
        lx->col++;
    }
}

static em_sql_pos here(const em_sql_lexer *lx)
{
    em_sql_pos p = {lx->line, lx->col, lx->off};
    return p;
}

static void fail(em_sql_lexer *lx, em_sql_token *tok, em_sql_pos at, const char *msg)
{
    lx->err = msg;
    lx->err_pos = at;
    /* Park at the end so every later call yields EOF-like ERROR again. */
    tok->kind = EM_SQL_TOK_ERROR;
    tok->kw = EM_SQL_KW_NONE;
    tok->pos = at;
    tok->len = 0;
    lx->off = lx->len;
}

/* Skips whitespace and comments. Returns 0, or -1 after reporting an
 * unterminated block comment. */
static int skip_blanks(em_sql_lexer *lx, em_sql_token *tok)
{
    for (;;) {
        int c = peekc(lx, 0);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            adv(lx);
        } else if (c == '-' && peekc(lx, 1) == '-') {
            while (lx->off < lx->len && lx->text[lx->off] != '\n')
                adv(lx);
        } else if (c == '/' && peekc(lx, 1) == '*') {
            em_sql_pos start = here(lx);
            adv(lx);
            adv(lx);
            for (;;) {
                if (lx->off >= lx->len) {
                    fail(lx, tok, start, "unterminated /* comment");
                    return -1;
                }
                if (lx->text[lx->off] == '*' && peekc(lx, 1) == '/') {
                    adv(lx);
                    adv(lx);
                    break;
                }
                adv(lx);
            }
        } else {
            return 0;
        }
    }
}

/* Scans a quoted run ending at an unescaped quote q (doubled = escaped).
 * The opening quote is already consumed. Returns 0 or -1 at end of input. */
static int scan_quoted(em_sql_lexer *lx, char q)
{
    for (;;) {
        if (lx->off >= lx->len)
            return -1;
        char c = lx->text[lx->off];
        adv(lx);
        if (c == q) {
            if (peekc(lx, 0) == (unsigned char)q) {
                adv(lx);
                continue;
            }
            return 0;
        }
    }
}

static void scan_number(em_sql_lexer *lx, em_sql_token *tok)
{
    int decimal = 0;
    while (is_digit(peekc(lx, 0)))
        adv(lx);
    if (peekc(lx, 0) == '.') {
        decimal = 1;
        adv(lx);
        while (is_digit(peekc(lx, 0)))
            adv(lx);
    }
    int c = peekc(lx, 0);
    if (c == 'e' || c == 'E') {
        int s = peekc(lx, 1);
        if (is_digit(s) || ((s == '+' || s == '-') && is_digit(peekc(lx, 2)))) {
            decimal = 1;
            adv(lx);
            if (s == '+' || s == '-')
                adv(lx);
            while (is_digit(peekc(lx, 0)))
                adv(lx);
        }
    }
    if (is_ident_char(peekc(lx, 0)) || peekc(lx, 0) == '.') {
        fail(lx, tok, tok->pos, "malformed number");
        return;
    }
    tok->kind = decimal ? EM_SQL_TOK_DECIMAL : EM_SQL_TOK_INTEGER;
}

void em_sql_lexer_next(em_sql_lexer *lx, em_sql_token *tok)
{
    tok->kw = EM_SQL_KW_NONE;
    tok->len = 0;
    if (lx->err) {
        tok->kind = EM_SQL_TOK_ERROR;
        tok->pos = lx->err_pos;
        return;
    }
    if (skip_blanks(lx, tok) < 0)
        return;
    tok->pos = here(lx);
    if (lx->off >= lx->len) {
        tok->kind = EM_SQL_TOK_EOF;
        return;
    }
    int c = peekc(lx, 0), n1 = peekc(lx, 1);
    if (is_ident_start(c)) {
        while (is_ident_char(peekc(lx, 0)))
            adv(lx);
        tok->kind = EM_SQL_TOK_IDENT;
        tok->kw = em_sql_keyword_lookup(lx->text + tok->pos.off, lx->off - tok->pos.off);
    } else if (is_digit(c) || (c == '.' && is_digit(n1))) {
        scan_number(lx, tok);
        if (tok->kind == EM_SQL_TOK_ERROR)
            return;
    } else if (c == '\'') {
        adv(lx);
        if (scan_quoted(lx, '\'') < 0) {
            fail(lx, tok, tok->pos, "unterminated string literal");
            return;
        }
        tok->kind = EM_SQL_TOK_STRING;
    } else if (c == '"') {
        adv(lx);
        if (scan_quoted(lx, '"') < 0) {
            fail(lx, tok, tok->pos, "unterminated quoted identifier");
            return;
        }
        if (lx->off - tok->pos.off == 2) {
            fail(lx, tok, tok->pos, "zero-length quoted identifier");
            return;
        }
        if (memchr(lx->text + tok->pos.off, 0, lx->off - tok->pos.off)) {
            fail(lx, tok, tok->pos, "quoted identifier contains a NUL byte");
            return;
        }
        tok->kind = EM_SQL_TOK_QIDENT;
    } else {
        em_sql_tok_kind k;
        size_t w = 1;
        switch (c) {
        case '+': k = EM_SQL_TOK_PLUS; break;
        case '-': k = EM_SQL_TOK_MINUS; break;
        case '*': k = EM_SQL_TOK_STAR; break;
        case '/': k = EM_SQL_TOK_SLASH; break;
        case '%': k = EM_SQL_TOK_PERCENT; break;
        case '=': k = EM_SQL_TOK_EQ; break;
        case '(': k = EM_SQL_TOK_LPAREN; break;
        case ')': k = EM_SQL_TOK_RPAREN; break;
        case ',': k = EM_SQL_TOK_COMMA; break;
        case ';': k = EM_SQL_TOK_SEMI; break;
        case '.': k = EM_SQL_TOK_DOT; break;
        case '|':
            if (n1 != '|')
                goto stray;
            k = EM_SQL_TOK_CONCAT, w = 2;
            break;
        case '!':
            if (n1 != '=')
                goto stray;
            k = EM_SQL_TOK_NE, w = 2;
            break;
        case '<':
            if (n1 == '=')
                k = EM_SQL_TOK_LE, w = 2;
            else if (n1 == '>')
                k = EM_SQL_TOK_NE, w = 2;
            else
                k = EM_SQL_TOK_LT;
            break;
        case '>':
            if (n1 == '=')
                k = EM_SQL_TOK_GE, w = 2;
            else
                k = EM_SQL_TOK_GT;
            break;
        default:
            goto stray;
        }
        tok->kind = k;
        while (w--)
            adv(lx);
    }
    tok->len = lx->off - tok->pos.off;
    return;
stray:
    fail(lx, tok, tok->pos, "unexpected character");
    tok->len = 1;
}

char *em_sql_token_text(const char *text, const em_sql_token *tok, em_arena *arena, size_t *n)
{
    const char *src = text + tok->pos.off;
    size_t len = tok->len;
    char *out = em_arena_alloc(arena, len + 1);
    size_t o = 0;
    if (!out)
        return NULL;
    if (tok->kind == EM_SQL_TOK_IDENT) {
        for (size_t i = 0; i < len; i++) {
            char c = src[i];
            out[o++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
    } else if ((tok->kind == EM_SQL_TOK_QIDENT || tok->kind == EM_SQL_TOK_STRING) && len >= 2) {
        char q = src[0];
        for (size_t i = 1; i + 1 < len; i++) {
            out[o++] = src[i];
            if (src[i] == q)
                i++; /* a doubled quote stands for one */
        }
    } else {
        memcpy(out, src, len);
        o = len;
    }
    out[o] = 0;
    if (n)
        *n = o;
    return out;
}
