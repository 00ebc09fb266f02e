/*
 * api/api.c - the public entry point: an engine with every built-in
 * connector registered.
 */
#include "connectors/registry.h"
#include "engine/engine_int.h"

int em_engine_create(em_engine **out)
{
    em_engine *e = NULL;
    int rc = em__engine_new(&e);
    if (rc)
        return rc;
    for (size_t i = 0; em_builtin_connectors[i]; i++) {
        if ((rc = em_engine_register_connector(e, em_builtin_connectors[i]))) {
            em_engine_destroy(e);
            return rc;
        }
    }
    *out = e;
    return 0;
}
