/*
 * connectors/registry.c - the list of built-in connectors. A connector whose
 * library is missing at build time is simply left out of this list.
 */
#include "connectors/registry.h"

#include <stddef.h>

const em_connector *const em_builtin_connectors[] = {
    &em_connector_generator,
    &em_connector_file,
    &em_connector_stdout,
    &em_connector_http,
    NULL,
};
