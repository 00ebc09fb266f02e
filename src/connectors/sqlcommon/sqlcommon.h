/*
 * connectors/sqlcommon/sqlcommon.h - what the SQL database sinks (sqlite,
 * postgres) share: identifier quoting, the statements that create the
 * output table and upsert into it, and the upsert key of a sink.
 *
 * The upsert key comes from the sink's `key` option (comma-separated output
 * column names) when given, else from the engine (em_conn_key_columns: the
 * GROUP BY columns of a non-windowed aggregate), else there is none and
 * rows are appended.
 */
#ifndef EMBER_CONNECTORS_SQLCOMMON_H
#define EMBER_CONNECTORS_SQLCOMMON_H

#include "core/str.h"
#include "ember/connector.h"

#include <stdint.h>

/* Column types a database uses for Ember's SQL types (index: em_type). */
typedef struct em__sql_dialect {
    const char *type_boolean, *type_bigint, *type_double, *type_text, *type_timestamp;
    int numbered_params; /* 1: $1, $2 (PostgreSQL); 0: ? (SQLite) */
} em__sql_dialect;

/* The sink's upsert key. Resolves the `key` option (NULL or "" = use the
 * engine's) against the sink schema into keys[] (cap entries). Returns the
 * number of key columns (0 = append) or EM_EINVAL with a message in the
 * connector log naming the unknown column. */
int em__sql_sink_keys(em_conn_ctx *cx, const char *key_opt, uint32_t *keys, uint32_t cap);

/* Appends name as a double-quoted identifier ("a""b"). 0 or EM_ENOMEM. */
int em__sql_ident(em_buf *b, const char *name);

/* CREATE TABLE IF NOT EXISTS table (cols [, PRIMARY KEY (keys)]). */
int em__sql_create_table(em_buf *b, const em__sql_dialect *d, const char *table,
                         const em_schema *s, const uint32_t *keys, uint32_t nkeys);

/* INSERT INTO target (cols) and then, with from_select, "SELECT cols FROM
 * from_select"; else VALUES with one parameter per column for nrows rows.
 * With keys, ON CONFLICT (keys) DO UPDATE SET every other column (DO
 * NOTHING when every column is a key). */
int em__sql_insert(em_buf *b, const em__sql_dialect *d, const char *target,
                   const em_schema *s, const uint32_t *keys, uint32_t nkeys, uint32_t nrows,
                   const char *from_select);

#endif
