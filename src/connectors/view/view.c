/*
 * connectors/view/view.c - the `view` sink: writes nothing. The SQL planner
 * attaches one to every CREATE VIEW so the view's latest rows and counts
 * show in the web UI and /api/v1/sinks (connector "view") like a sink's;
 * the statistics keep the last rows of each micro-batch.
 */
#include "connectors/registry.h"

#include "ember/error.h"

static const em_option_def view_options[] = {
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

static int view_init(void **self, em_conn_ctx *cx, unsigned kind)
{
    (void)cx, (void)kind;
    static int dummy;
    *self = &dummy;
    return 0;
}

static int view_write(void *self, const em_batch *b, int64_t batch_id)
{
    (void)self, (void)b, (void)batch_id;
    return 0;
}

const em_connector em_connector_view = {
    .abi = EM_CONNECTOR_ABI,
    .name = "view",
    .kinds = EM_CONNECTOR_SINK | EM_CONNECTOR_SINK_INLINE,
    .options = view_options,
    .help = "a view's latest rows for the web UI (writes nothing)",
    .init = view_init,
    .write = view_write,
};
