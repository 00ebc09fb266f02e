/*
 * ops/qc.h - the sensor quality-control operator (QARTOD flags); the
 * semantics and options are em_qc's in ember/ember.h.
 */
#ifndef EMBER_OPS_QC_H
#define EMBER_OPS_QC_H

#include "ember/ember.h"
#include "ops/op.h"

/* Creates a QC operator over schema in (borrowed for the call): key, time
 * (TIMESTAMP) and value (BIGINT/DOUBLE) column indexes; o is copied. The
 * output is in's columns followed by the six flag columns. Returns 0,
 * EM_EINVAL/EM_ETYPE (message in err) or EM_ENOMEM. */
int em_qc_create(em_op **out, const char *id, const em_schema *in, int key_col, int time_col,
                 int value_col, const em_qc_options *o, em_errbuf *err);

/* Creates an alerts operator (em_alerts in ember/ember.h) over in: output
 * (key, ts TIMESTAMP, state TEXT, value DOUBLE). Same returns. */
int em_alerts_create(em_op **out, const char *id, const em_schema *in, int key_col,
                     int time_col, int value_col, const em_alert_options *o, em_errbuf *err);

#endif
