/*
 * connectors/registry.c - the list of built-in connectors. A connector whose
 * library is missing at build time is simply left out of this list
 * (cmake/connectors.cmake defines EMBER_WITH_<NAME> for those built).
 */
#include "connectors/registry.h"

#include <stddef.h>

const em_connector *const em_builtin_connectors[] = {
    &em_connector_generator,
    &em_connector_file,
    &em_connector_stdout,
    &em_connector_http,
    &em_connector_view,
#ifdef EMBER_WITH_SQLITE
    &em_connector_sqlite,
#endif
#ifdef EMBER_WITH_POSTGRES
    &em_connector_postgres,
#endif
#ifdef EMBER_WITH_WEBHOOK
    &em_connector_webhook,
#endif
#ifdef EMBER_WITH_MQTT
    &em_connector_mqtt,
#endif
#ifdef EMBER_WITH_NATS
    &em_connector_nats,
#endif
    &em_connector_tcp,
    NULL,
};
