/*
 * connectors/registry.h - the built-in connector types.
 */
#ifndef EMBER_CONNECTORS_REGISTRY_H
#define EMBER_CONNECTORS_REGISTRY_H

#include "ember/connector.h"

extern const em_connector em_connector_generator;
extern const em_connector em_connector_file;
extern const em_connector em_connector_stdout;
extern const em_connector em_connector_http;
extern const em_connector em_connector_view;
extern const em_connector em_connector_tcp;
/* Built only when their library is found (cmake/connectors.cmake). */
extern const em_connector em_connector_sqlite;
extern const em_connector em_connector_postgres;
extern const em_connector em_connector_webhook;
extern const em_connector em_connector_mqtt;
extern const em_connector em_connector_nats;

/* NULL-terminated list of every connector compiled into this build. */
extern const em_connector *const em_builtin_connectors[];

#endif
