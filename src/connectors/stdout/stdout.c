/*
 * connectors/stdout/stdout.c - the `stdout` sink: one line per row on
 * standard output, written once per micro-batch.
 */
#include "connectors/registry.h"
#include "core/mem.h"
#include "core/str.h"
#include "ember/error.h"
#include "formats/format.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static const em_option_def stdout_options[] = {
    {"format", EM_OPT_ENUM, "json", 0, 0, "json|csv", 0, "record format"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

typedef struct stdout_sink {
    em_conn_ctx *cx;
    em_writer *writer;
    em_buf out;
} stdout_sink;

static int stdout_init(void **self, em_conn_ctx *cx, unsigned kind)
{
    (void)kind;
    stdout_sink *s = em_calloc(1, sizeof *s);
    if (!s)
        return EM_ENOMEM;
    em_errbuf err;
    s->cx = cx;
    em_buf_init(&s->out, (size_t)1 << 34);
    if (em_writer_create(&s->writer, em_opt_str(em_conn_options(cx), "format"),
                         em_conn_schema(cx), &err)) {
        em_conn_log(cx, 0, "%s", err.msg);
        em_free(s);
        return EM_EINVAL;
    }
    *self = s;
    return 0;
}

static int stdout_write(void *self, const em_batch *b, int64_t batch_id)
{
    (void)batch_id;
    stdout_sink *s = self;
    return em_writer_write(s->writer, b, &s->out);
}

static int stdout_commit(void *self, int64_t batch_id)
{
    (void)batch_id;
    stdout_sink *s = self;
    size_t off = 0;
    while (off < s->out.len) {
        ssize_t n = write(1, s->out.ptr + off, s->out.len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            em_conn_log(s->cx, 0, "write to standard output failed: %s", strerror(errno));
            em_buf_reset(&s->out);
            return EM_EIO;
        }
        off += (size_t)n;
    }
    em_buf_reset(&s->out);
    return 0;
}

static void stdout_destroy(void *self)
{
    stdout_sink *s = self;
    if (!s)
        return;
    em_writer_destroy(s->writer);
    em_buf_release(&s->out);
    em_free(s);
}

const em_connector em_connector_stdout = {
    .abi = EM_CONNECTOR_ABI,
    .name = "stdout",
    .kinds = EM_CONNECTOR_SINK,
    .options = stdout_options,
    .help = "print rows on standard output",
    .init = stdout_init,
    .write = stdout_write,
    .commit = stdout_commit,
    .destroy = stdout_destroy,
};
