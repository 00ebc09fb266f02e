/*
 * expr/expr_int.h - expression nodes and the function registry, shared by
 * the files of the expr module only.
 */
#ifndef EMBER_EXPR_EXPR_INT_H
#define EMBER_EXPR_EXPR_INT_H

#include "expr/expr.h"

/* A vectorized kernel: computes out (nrows = in->nrows) on the selected rows
 * of in from evaluated args (or on every row, see em__dense); other rows get
 * initialised but meaningless values. Allocates out from cx->arena; 0 or
 * EM_ENOMEM. */
typedef int (*em_kernel_fn)(em_eval_ctx *cx, const em_column *args, uint32_t nargs,
                            const em_batch *in, em_column *out);

/* Pseudo types in signatures: any type; all EM__T_ANY arguments are unified
 * to one common type (NULL->x, BIGINT->DOUBLE), which is also the result
 * when ret is EM__T_ANY. EM__T_NUM: BIGINT or DOUBLE (unified like ANY). */
#define EM__T_ANY ((em_type)100)
#define EM__T_NUM ((em_type)101)

/* A kernel for `x OP literal` (lit_left 0) or `literal OP x` (lit_left 1):
 * lit points at the literal's int64_t or double, already of x's type. The
 * literal is never expanded into a column. Same contract as em_kernel_fn. */
typedef int (*em_lit_kernel_fn)(em_eval_ctx *cx, const em_column *x, const void *lit,
                                int lit_left, const em_batch *in, em_column *out);

typedef struct em_func_def {
    const char *name;
    uint8_t min_args, max_args; /* max 255 = variadic */
    em_type args[3];            /* types of the first args; the last repeats */
    em_type ret;
    em_kernel_fn fn;            /* NULL: a user function (em_user_func) */
} em_func_def;

/* A registered user function (registry.c); base first so a definition
 * with fn == NULL can be cast to it. */
typedef struct em_user_func {
    em_func_def base;
    const em_type *argv; /* all base.max_args argument types, replacing args */
    em_scalar_fn fn;
    void *ud;
} em_user_func;

/* The registry's definitions in registration order; *n gets their number. */
const em_user_func *const *em__registry_defs(const em_func_registry *r, uint32_t *n);

/* The `x OP literal` kernel matching binary kernel fn, or NULL. */
em_lit_kernel_fn em__lit_kernel(em_kernel_fn fn);

/* Finds the definition for name(types) among the built-ins, then reg (may
 * be NULL). A first pass wants exact types (ANY groups still unify), a
 * second allows implicit coercion unless exact_only. Returns it and the
 * unified ANY type in *anyt, or NULL; *name_found says whether any
 * definition had the name. */
const em_func_def *em__func_find(const em_func_registry *reg, const char *name,
                                 const em_type *types, uint32_t n, int exact_only, int *anyt,
                                 int *name_found);

/* Calls user function d over the selected rows of in (registry.c). */
int em__func_call_user(const em_user_func *d, em_eval_ctx *cx, const em_column *args,
                       uint32_t nargs, const em_batch *in, em_column *out);

/* Built-in tables (NULL-name terminated). */
extern const em_func_def em__funcs_arith[];
extern const em_func_def em__funcs_ops[];
extern const em_func_def em__funcs_scalar[];
extern const em_func_def em__funcs_aqi[]; /* func_aqi.c: air-quality index */

typedef enum { EX_COL, EX_LIT, EX_CALL, EX_CASE, EX_CAST } em_expr_kind;

struct em_expr {
    em_expr_kind kind;
    em_type type;
    em_arena *arena;
    /* EX_COL */
    char *name;
    uint32_t col;
    int bound;
    /* EX_LIT */
    union {
        int64_t i;
        double d;
        int b;
    } lit;
    int null_lit; /* the NULL literal (possibly typed by bind) */
    char *text;
    size_t text_len;
    /* EX_CALL / EX_CASE (args = conds..., vals..., [else]) / EX_CAST (args[0]) */
    uint32_t nargs;
    em_expr **args;
    const em_func_def *def;
    uint32_t nwhen;
    /* set by bind for EX_CALL: the `x OP literal` kernel of def (or NULL),
     * and what the evaluator treats specially */
    em_lit_kernel_fn litk;
    int lit_left; /* litk: the literal is args[0] (else args[1]) */
    enum { OPK_NONE, OPK_AND, OPK_OR, OPK_CMP, OPK_BETWEEN } opk; /* BETWEEN: numeric x,
                                                                  * literal bounds of its type */
    int cmp; /* OPK_CMP: 0 =, 1 <>, 2 <, 3 <=, 4 >, 5 >= */
};

/* ---- kernel helpers ---- */

static inline int em__anynull(const em_column *a, uint32_t n, uint32_t row)
{
    for (uint32_t i = 0; i < n; i++)
        if (em_column_is_null(&a[i], row))
            return 1;
    return 0;
}

/* Whether kernels should compute every physical row with branch-free
 * loops that vectorise, rather than visit the selection: no selection, or
 * one keeping at least half the rows. Dense kernels must be harmless on
 * unselected rows (their values are initialised but meaningless). */
static inline int em__dense(const em_batch *in)
{
    return !in->sel || in->nsel >= in->nrows / 2;
}

/* Sets out->validity (out->len rows) to the AND of the validity of
 * a[0..n), or NULL when none has NULLs, and out->null_count to match.
 * Returns 0 or EM_ENOMEM. */
int em__out_validity(em_eval_ctx *cx, em_column *out, const em_column *a, uint32_t n);
/* NULLs among the first n rows of bitmap bm. */
uint32_t em__count_nulls(const uint8_t *bm, uint32_t n);
/* Three-way compare of same-typed values (TEXT bytewise). */
int em__cmp_rows(const em_column *a, uint32_t ra, const em_column *b, uint32_t rb);

/* Allocates a fixed-width (or, for TEXT, empty with cap bytes) result. */
int em__out_alloc(em_eval_ctx *cx, const em_batch *in, em_type t, uint32_t cap,
                  em_column *out);
/* Marks row NULL. */
int em__set_null(em_eval_ctx *cx, em_column *out, uint32_t row);

/* TEXT results are appended in ascending row order: unselected rows between
 * get empty values. Call em__text_finish when done. */
typedef struct em_text_out {
    em_column *c;
    uint32_t next; /* next row whose start offset is not yet written */
} em_text_out;
void em__text_begin(em_text_out *t, em_column *c);
int em__text_put(em_eval_ctx *cx, em_text_out *t, uint32_t row, const char *p, size_t n);
/* Appends to the value of row, which must be the last row put. */
int em__text_append(em_eval_ctx *cx, em_text_out *t, uint32_t row, const char *p, size_t n);
int em__text_null(em_eval_ctx *cx, em_text_out *t, uint32_t row);
void em__text_finish(em_text_out *t);

/* extract() field: 0 epoch 1 year 2 month 3 day 4 hour 5 minute 6 second,
 * -1 unknown. */
int em__extract_field(em_slice f);

/* Cast kernel: converts args[0] to out->type (set by the caller). */
int em__cast_column(em_eval_ctx *cx, const em_column *x, const em_batch *in, em_type to,
                    em_column *out);

#define EM__FOREACH_ROW(in, k, r)                                                                  \
    for (uint32_t k = 0, r = 0, n_##k = em_batch_count(in);                                        \
         k < n_##k && ((r = em_batch_row(in, k)), 1); k++)

#endif
