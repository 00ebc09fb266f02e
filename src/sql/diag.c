/*
 * sql/diag.c - FILE:LINE:COL diagnostics with a caret line. See diag.h.
 */
#include "sql/diag.h"

#include "ember/error.h"

/* Lines longer than this are shown as a window around the column, so a
 * one-line 1 MB file does not produce a 1 MB message. */
#define DIAG_WINDOW 160

int em_sql_vdiag(em_buf *out, const char *file, const char *text, size_t len, em_sql_pos pos,
                 const char *level, const char *fmt, va_list ap)
{
    int rc = em_buf_printf(out, "%s:%u:%u: %s: ", file ? file : "<input>", pos.line, pos.col,
                           level);
    if (rc)
        return rc;
    if ((rc = em_buf_vprintf(out, fmt, ap)) || (rc = em_buf_putc(out, '\n')))
        return rc;
    if (!text)
        return 0;
    size_t off = pos.off > len ? len : pos.off;
    size_t start = off, end = off;
    while (start > 0 && text[start - 1] != '\n')
        start--;
    while (end < len && text[end] != '\n')
        end++;
    if (end > start && text[end - 1] == '\r')
        end--;
    if (off > end)
        off = end;
    /* Cut long lines at character boundaries around the column. */
    int cut_left = 0, cut_right = 0;
    if (off - start > DIAG_WINDOW) {
        start = off - DIAG_WINDOW / 2;
        while (start < off && ((unsigned char)text[start] & 0xC0) == 0x80)
            start++;
        cut_left = 1;
    }
    if (end - off > DIAG_WINDOW) {
        end = off + DIAG_WINDOW / 2;
        while (end > off && ((unsigned char)text[end] & 0xC0) == 0x80)
            end--;
        cut_right = 1;
    }
    /* Source line, then carets; the caret line copies tabs so it lines up. */
    for (int pass = 0; pass < 2; pass++) {
        if (cut_left && (rc = em_buf_puts(out, pass ? "   " : "...")))
            return rc;
        size_t stop = pass ? off : end;
        for (size_t i = start; i < stop; i++) {
            unsigned char c = (unsigned char)text[i];
            char o;
            if (pass == 0)
                o = (c == '\t' || c >= 0x20) && c != 0x7f ? (char)c : '?';
            else if ((c & 0xC0) == 0x80)
                continue; /* one caret column per character */
            else
                o = c == '\t' ? '\t' : ' ';
            if ((rc = em_buf_putc(out, o)))
                return rc;
        }
        if (pass == 0 && cut_right && (rc = em_buf_puts(out, "...")))
            return rc;
        if (pass == 1 && (rc = em_buf_putc(out, '^')))
            return rc;
        if ((rc = em_buf_putc(out, '\n')))
            return rc;
    }
    return 0;
}

int em_sql_diag(em_buf *out, const char *file, const char *text, size_t len, em_sql_pos pos,
                const char *level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = em_sql_vdiag(out, file, text, len, pos, level, fmt, ap);
    va_end(ap);
    return rc;
}
