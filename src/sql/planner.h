/*
 * sql/planner.h - a job file's syntax tree to an engine graph.
 *
 * The planner resolves names (sources, tables, views, columns, qualifiers)
 * and builds the graph through the public API (ember/ember.h) only, so a
 * job written in SQL and the same pipeline written in C run the same
 * operators. Every error is a diagnostic at the offending node
 * (FILE:LINE:COL: error: ...) with a suggestion for unknown names.
 */
#ifndef EMBER_SQL_PLANNER_H
#define EMBER_SQL_PLANNER_H

#include "core/str.h"
#include "ember/ember.h"
#include "sql/ast.h"

/* Settings given on the command line (--set k=v) override the job's SET
 * statements: pass them as NULL-terminated key, value pairs (may be NULL). */
typedef struct em_sql_plan_opts {
    const char *const *overrides;
} em_sql_plan_opts;

/* Plans script into e (which must be fresh). On failure returns an EM_E*
 * code and appends the diagnostic to diag. */
int em_sql_plan(em_engine *e, const em_sql_script *script, const em_sql_plan_opts *opts,
                em_buf *diag);

/* Reads, parses and plans the file at path into e. Diagnostics (and I/O
 * errors) are appended to diag. */
int em_sql_load_file(em_engine *e, const char *path, const em_sql_plan_opts *opts, em_buf *diag);

#endif
