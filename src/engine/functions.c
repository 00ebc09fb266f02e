/*
 * engine/functions.c - user scalar functions registered through the C API.
 * The engine keeps them in its em_func_registry (expr layer), which the
 * graph builders pass to binding, so a function must be registered before
 * the first filter/select/aggregate that calls it is built.
 */
#include "engine/engine_int.h"

int em_engine_register_function(em_engine *e, const char *name, uint32_t nargs,
                                const em_type *arg_types, em_type result, em_scalar_fn fn,
                                void *ud)
{
    em_errbuf err;
    em_errbuf_clear(&err);
    if (e->running)
        return em__engine_fail(e, EM_ESTATE, "function %s: cannot register on a running engine",
                               name ? name : "(null)");
    if (nargs && !arg_types)
        return em__engine_fail(e, EM_EINVAL, "function %s: %u arguments but no argument types",
                               name ? name : "(null)", nargs);
    int rc = em_func_registry_add(e->funcs, name, nargs, arg_types, result, fn, ud, &err);
    if (rc)
        return em__engine_fail(e, rc, "%s", err.msg);
    return 0;
}
