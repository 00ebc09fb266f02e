/*
 * expr/registry.c - user scalar functions: the em_func_registry that the C
 * API fills (em_engine_register_function) and binding consults after the
 * built-in tables, and the call of a user function during evaluation.
 *
 * Each definition is allocated on its own so bound expressions can keep a
 * pointer to it while the registry grows. User functions are strict: the
 * caller presets an all-valid bitmap that the function may clear, then
 * ANDs in the arguments' validity, so NULL in gives NULL out.
 */
#include "expr/expr_int.h"

#include "ember/error.h"

#include <string.h>

struct em_func_registry {
    em_user_func **defs; /* owned, each with its own name and argv */
    uint32_t n;
};

int em_func_registry_create(em_func_registry **out)
{
    em_func_registry *r = em_calloc(1, sizeof *r);
    *out = r;
    return r ? 0 : EM_ENOMEM;
}

static void def_free(em_user_func *d)
{
    if (!d)
        return;
    em_free((char *)d->base.name);
    em_free((em_type *)d->argv);
    em_free(d);
}

void em_func_registry_destroy(em_func_registry *r)
{
    if (!r)
        return;
    for (uint32_t i = 0; i < r->n; i++)
        def_free(r->defs[i]);
    em_free(r->defs);
    em_free(r);
}

const em_user_func *const *em__registry_defs(const em_func_registry *r, uint32_t *n)
{
    *n = r->n;
    return (const em_user_func *const *)r->defs;
}

int em_func_builtin(const char *name)
{
    int anyt, found;
    em__func_find(NULL, name, NULL, 0, 1, &anyt, &found);
    return found;
}

static int real_type(em_type t)
{
    return t >= EM_TYPE_BOOLEAN && t <= EM_TYPE_INTERVAL;
}

int em_func_registry_add(em_func_registry *r, const char *name, uint32_t nargs,
                         const em_type *arg_types, em_type result, em_scalar_fn fn, void *ud,
                         em_errbuf *err)
{
    em_user_func *d = NULL;
    em_user_func **v;
    int anyt, found;
    if (!name || !*name || !fn)
        return em_errf(err, EM_EINVAL, "a function needs a name and an implementation");
    if (nargs > 254)
        return em_errf(err, EM_EINVAL, "function %s: at most 254 arguments, not %u", name, nargs);
    for (uint32_t i = 0; i < nargs; i++)
        if (!real_type(arg_types[i]))
            return em_errf(err, EM_EINVAL, "function %s: argument %u has no valid type", name,
                           i + 1);
    if (!real_type(result) || result == EM_TYPE_TEXT)
        return em_errf(err, EM_EUNSUPPORTED,
                       "function %s: result type %s is not supported for user functions "
                       "(use BOOLEAN, BIGINT, DOUBLE, TIMESTAMP or INTERVAL)",
                       name, em_type_name(result));
    if (em__func_find(r, name, arg_types, nargs, 1, &anyt, &found))
        return em_errf(err, EM_EEXISTS,
                       "function %s with these argument types already exists; "
                       "register it under another name",
                       name);
    d = em_calloc(1, sizeof *d);
    if (!d)
        goto oom;
    d->base.name = em_strdup(name);
    d->argv = em_malloc((nargs ? nargs : 1) * sizeof *d->argv);
    v = em_realloc(r->defs, (r->n + 1) * sizeof *v);
    if (v)
        r->defs = v;
    if (!d->base.name || !d->argv || !v)
        goto oom;
    memcpy((em_type *)d->argv, arg_types, nargs * sizeof *arg_types);
    d->base.min_args = d->base.max_args = (uint8_t)nargs;
    d->base.ret = result;
    d->fn = fn;
    d->ud = ud;
    r->defs[r->n++] = d;
    return 0;
oom:
    def_free(d);
    return em_errf(err, EM_ENOMEM, "out of memory");
}

int em__func_call_user(const em_user_func *d, em_eval_ctx *cx, const em_column *args,
                       uint32_t nargs, const em_batch *in, em_column *out)
{
    uint32_t n = in->nrows;
    size_t nb = em_bitmap_bytes(n) + 1;
    int rc = em__out_alloc(cx, in, d->base.ret, 0, out);
    if (rc)
        return rc;
    uint8_t *bm = em_arena_alloc(cx->arena, nb);
    if (!bm)
        return EM_ENOMEM;
    memset(bm, 0xff, nb);
    out->validity = bm;
    out->null_count = 0;
    out->len = n;
    rc = d->fn(d->ud, args, nargs, in, out);
    if (rc)
        return rc < 0 ? rc : EM_EINVAL;
    out->validity = bm; /* the contract forbids replacing it */
    out->type = d->base.ret;
    for (uint32_t i = 0; i < nargs; i++) {
        if (args[i].type == EM_TYPE_NULL) {
            memset(out->validity, 0, nb);
        } else if (args[i].validity) {
            for (size_t k = 0; k < nb - 1; k++)
                out->validity[k] &= args[i].validity[k];
        }
    }
    out->null_count = em__count_nulls(out->validity, n);
    if (!out->null_count)
        out->validity = NULL;
    return 0;
}
