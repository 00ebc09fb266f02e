/*
 * ops/winrows.h - window assignment without aggregation.
 *
 * SQL.md: "Selecting from a window function without GROUP BY yields each
 * input row once per window that contains it." For TUMBLE and HOP the
 * windows of a row are known from its time alone, so rows are emitted at
 * once (append-only, stateless) with window_start and window_end appended.
 */
#ifndef EMBER_OPS_WINROWS_H
#define EMBER_OPS_WINROWS_H

#include "ops/op.h"

/* time_col: TIMESTAMP column of in, or -1 for processing time (the
 * micro-batch's logical time). slide_us == size_us gives TUMBLE; otherwise
 * HOP, with size a multiple of slide. Rows with a NULL time are dropped.
 * Returns 0, EM_EINVAL (message in err) or EM_ENOMEM. */
int em_window_rows_create(em_op **out, const char *id, const em_schema *in, int time_col,
                          int64_t size_us, int64_t slide_us, em_errbuf *err);

#endif
