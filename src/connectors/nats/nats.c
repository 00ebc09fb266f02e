/*
 * connectors/nats/nats.c - the `nats` connector (nats.c): plain NATS
 * subjects and JetStream, as a source and as a sink.
 *
 * Source, plain subject (wildcards allowed): a synchronous subscription
 * drained without waiting by poll; at-most-once (core NATS keeps nothing).
 * Source, JetStream (`stream` given): a durable pull consumer; poll fetches
 * up to the engine's room (waiting at most fetch_wait when the stream is
 * empty) and the messages are acknowledged in commit, which the engine
 * calls after every sink committed the micro-batch. A crash before that
 * leaves them unacknowledged, and JetStream redelivers them: at-least-once,
 * exactly-once into transactional or keyed sinks that skip or upsert them.
 *
 * Sink, plain subject: one message per row (a JSON object); commit flushes,
 * so the server has every message when it returns (at-least-once across
 * retries). Sink, JetStream: asynchronous publishes, each with a Nats-Msg-Id
 * "<sink>-<lineage>-<batch id>-<row>", and commit waits for all the
 * stream's acknowledgements; a retried or replayed batch carries the same
 * ids, which the stream drops as duplicates within its duplicate window:
 * exactly-once into the stream. The lineage is "c" with a checkpoint
 * directory, else the run's start time (batch ids restart each run).
 *
 * With `stream`, a missing stream is created for the subject (file storage).
 * The client reconnects by itself (forever, 1 s apart), logging outages.
 */
#include "batch/batch.h"
#include "connectors/nats/nats_dl.h"
#include "connectors/registry.h"
#include "core/clock.h"
#include "core/mem.h"
#include "core/str.h"
#include "ember/error.h"
#include "formats/format.h"

#include <stdio.h>
#include <string.h>

static const em_option_def nats_options[] = {
    {"url", EM_OPT_STRING, NULL, 0, 0, NULL, EM_OPT_REQUIRED | EM_OPT_SECRET,
     "server URL(s), comma-separated: nats://[user:pass@]host:port"},
    {"subject", EM_OPT_STRING, NULL, 0, 0, NULL, EM_OPT_REQUIRED,
     "subject to subscribe to (wildcards * and > allowed) or publish on"},
    {"stream", EM_OPT_STRING, NULL, 0, 0, NULL, 0,
     "JetStream stream (created for the subject if missing); empty = core NATS"},
    {"durable", EM_OPT_STRING, NULL, 0, 0, NULL, 0,
     "source with stream: durable consumer name (default ember_<source name>)"},
    {"format", EM_OPT_ENUM, "json", 0, 0, "json|csv|influx|line_protocol", 0,
     "record format of messages"},
    {"timestamp_unit", EM_OPT_ENUM, "ms", 0, 0, "s|ms|us|ns", 0,
     "unit of numeric TIMESTAMP values"},
    {"fetch_wait", EM_OPT_DURATION, "5ms", 0.001, 10, NULL, 0,
     "source with stream: longest wait of one fetch when the stream has nothing new"},
    {"ack_wait", EM_OPT_DURATION, "30s", 0.1, 86400, NULL, 0,
     "source with stream: JetStream redelivers a message not acked within this (consumer "
     "setting, applied when the durable is created)"},
    {"ack_timeout", EM_OPT_DURATION, "10s", 0.1, 3600, NULL, 0,
     "sink: how long commit waits for the server (flush or JetStream acks)"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

typedef struct nats_conn {
    em_conn_ctx *cx;
    unsigned kind;
    const char *subject, *stream;
    natsConnection *nc;
    jsCtx *js;
    natsSubscription *sub;
    /* source */
    natsMsg **unacked;      /* JetStream messages delivered, acked at commit */
    uint32_t nunacked, cap_unacked;
    int64_t fetch_wait_ms;
    /* sink */
    em_writer *writer;
    em_buf lines;
    char lineage[32];
    uint64_t seq;           /* row number within the batch (all its writes) */
    int64_t ack_timeout_ms;
    int64_t outage_since;
    int stopping;
} nats_conn;

static int status_fail(nats_conn *n, natsStatus s, const char *what)
{
    const char *last = nats_GetLastError(NULL);
    em_conn_log(n->cx, 0, "%s failed: %s%s%s", what, natsStatus_GetText(s), last ? ": " : "",
                last ? last : "");
    return s == NATS_NO_MEMORY ? EM_ENOMEM : s == NATS_INVALID_ARG ? EM_EINVAL : EM_ECONN;
}

static void on_disconnected(natsConnection *nc, void *arg)
{
    (void)nc;
    nats_conn *n = arg;
    if (!n->stopping)
        em_conn_log(n->cx, 1, "disconnected from the NATS server; reconnecting");
}

static void on_reconnected(natsConnection *nc, void *arg)
{
    (void)nc;
    nats_conn *n = arg;
    em_conn_log(n->cx, 2, "reconnected to the NATS server");
}

static int nats_init(void **self, em_conn_ctx *cx, unsigned kind)
{
    const em_options *o = em_conn_options(cx);
    char why[256];
    if (em__nats_load(why, sizeof why)) {
        em_conn_log(cx, 0, "%s", why);
        return EM_EUNSUPPORTED;
    }
    nats_conn *n = em_calloc(1, sizeof *n);
    if (!n)
        return EM_ENOMEM;
    n->cx = cx;
    n->kind = kind;
    n->subject = em_opt_str(o, "subject");
    n->stream = em_opt_str(o, "stream");
    if (n->stream && !*n->stream)
        n->stream = NULL;
    n->fetch_wait_ms = em_opt_duration_us(o, "fetch_wait") / 1000;
    if (n->fetch_wait_ms < 1)
        n->fetch_wait_ms = 1;
    n->ack_timeout_ms = em_opt_duration_us(o, "ack_timeout") / 1000;
    em_buf_init(&n->lines, (size_t)1 << 34);
    *self = n;
    if (kind == EM_CONNECTOR_SINK) {
        em_errbuf err;
        if (strpbrk(n->subject, "*>")) {
            em_conn_log(cx, 0, "option 'subject': a sink publishes on one subject, without "
                        "wildcards");
            return EM_EINVAL;
        }
        if (em_writer_create(&n->writer, "json", em_conn_schema(cx), &err)) {
            em_conn_log(cx, 0, "%s", err.msg);
            return EM_EINVAL;
        }
    }
    return 0;
}

/* Creates the stream for the subject when it does not exist. */
static int ensure_stream(nats_conn *n)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetStreamInfo(&si, n->js, n->stream, NULL, &jerr);
    if (s == NATS_OK) {
        jsStreamInfo_Destroy(si);
        return 0;
    }
    if (s != NATS_NOT_FOUND)
        return status_fail(n, s, "looking up the stream");
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    const char *subjects[1] = {n->subject};
    cfg.Name = n->stream;
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    s = js_AddStream(&si, n->js, &cfg, NULL, &jerr);
    if (s != NATS_OK)
        return status_fail(n, s, "creating the stream");
    jsStreamInfo_Destroy(si);
    em_conn_log(n->cx, 2, "created JetStream stream %s for subject %s", n->stream, n->subject);
    return 0;
}

static int nats_start(void *self)
{
    nats_conn *n = self;
    natsOptions *opts = NULL;
    natsStatus s = natsOptions_Create(&opts);
    if (s == NATS_OK)
        s = natsOptions_SetServers(opts, (const char *[]){em_opt_str(em_conn_options(n->cx),
                                                                     "url")}, 1);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(opts, -1);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(opts, 1000);
    if (s == NATS_OK)
        s = natsOptions_SetDisconnectedCB(opts, on_disconnected, n);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectedCB(opts, on_reconnected, n);
    if (s == NATS_OK)
        s = natsOptions_SetName(opts, "ember");
    if (s != NATS_OK) {
        natsOptions_Destroy(opts);
        return status_fail(n, s, "setting up the NATS client");
    }
    s = natsConnection_Connect(&n->nc, opts);
    natsOptions_Destroy(opts);
    if (s != NATS_OK)
        return status_fail(n, s, "connecting to the NATS server");
    int rc = 0;
    if (n->stream) {
        if ((s = natsConnection_JetStream(&n->js, n->nc, NULL)) != NATS_OK)
            return status_fail(n, s, "opening JetStream");
        if ((rc = ensure_stream(n)))
            return rc;
    }
    if (n->kind == EM_CONNECTOR_SINK) {
        snprintf(n->lineage, sizeof n->lineage, "%s",
                 em_conn_checkpoint_dir(n->cx) ? "c" : "");
        if (!n->lineage[0])
            snprintf(n->lineage, sizeof n->lineage, "%llx", (unsigned long long)em_wall_us());
        return 0;
    }
    if (!n->stream) {
        s = natsConnection_SubscribeSync(&n->sub, n->nc, n->subject);
        return s == NATS_OK ? 0 : status_fail(n, s, "subscribing");
    }
    char durable[256];
    const char *d = em_opt_str(em_conn_options(n->cx), "durable");
    if (!d) {
        snprintf(durable, sizeof durable, "ember_%s", em_conn_name(n->cx));
        d = durable;
    }
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = n->stream;
    so.ManualAck = true;
    so.Config.AckPolicy = js_AckExplicit;
    so.Config.AckWait = em_opt_duration_us(em_conn_options(n->cx), "ack_wait") * 1000;
    jsErrCode jerr = 0;
    s = js_PullSubscribe(&n->sub, n->js, n->subject, d, NULL, &so, &jerr);
    return s == NATS_OK ? 0 : status_fail(n, s, "creating the pull consumer");
}

static int deliver(nats_conn *n, em_source_out *out, natsMsg *m)
{
    const char *p = natsMsg_GetData(m), *end = p + natsMsg_GetDataLength(m);
    const char *subj = natsMsg_GetSubject(m);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        int rc = em_source_out_record(out, p, len, subj);
        if (rc)
            return rc;
        p += len + (nl != NULL);
    }
    (void)n;
    return 0;
}

static int nats_poll(void *self, em_source_out *out)
{
    nats_conn *n = self;
    int rc = 0;
    if (!n->stream) {
        natsMsg *m = NULL;
        while (em_source_out_room(out) > 0 && !rc &&
               natsSubscription_NextMsg(&m, n->sub, 0) == NATS_OK) {
            rc = deliver(n, out, m);
            natsMsg_Destroy(m);
        }
        return rc;
    }
    uint32_t room = em_source_out_room(out);
    if (room == 0)
        return 0;
    natsMsgList list = {0};
    jsErrCode jerr = 0;
    natsStatus s = natsSubscription_Fetch(&list, n->sub, room > 1024 ? 1024 : (int)room,
                                          n->fetch_wait_ms, &jerr);
    if (s != NATS_OK && s != NATS_TIMEOUT) {
        if (!n->outage_since) {
            n->outage_since = em_wall_us();
            em_conn_log(n->cx, 1, "fetch failed: %s; retrying", natsStatus_GetText(s));
        }
        return 0;
    }
    n->outage_since = 0;
    for (int i = 0; i < list.Count && !rc; i++) {
        natsMsg *m = list.Msgs[i];
        if (n->nunacked == n->cap_unacked) {
            uint32_t cap = n->cap_unacked ? n->cap_unacked * 2 : 1024;
            natsMsg **v = em_realloc(n->unacked, cap * sizeof *v);
            if (!v) {
                rc = EM_ENOMEM;
                break;
            }
            n->unacked = v;
            n->cap_unacked = cap;
        }
        rc = deliver(n, out, m);
        n->unacked[n->nunacked++] = m;
        list.Msgs[i] = NULL;
    }
    natsMsgList_Destroy(&list);
    return rc;
}

static int source_commit(nats_conn *n)
{
    for (uint32_t i = 0; i < n->nunacked; i++) {
        natsStatus s = natsMsg_Ack(n->unacked[i], NULL);
        if (s != NATS_OK)
            em_conn_log(n->cx, 1, "ack failed (%s): JetStream will redeliver the message",
                        natsStatus_GetText(s));
        natsMsg_Destroy(n->unacked[i]);
    }
    n->nunacked = 0;
    return 0;
}

static int nats_write(void *self, const em_batch *b, int64_t batch_id)
{
    nats_conn *n = self;
    em_buf_reset(&n->lines);
    int rc = em_writer_write(n->writer, b, &n->lines);
    if (rc)
        return rc;
    const char *p = n->lines.ptr, *end = p + n->lines.len;
    for (; p < end; n->seq++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        natsStatus s;
        if (n->js) {
            char id[256];
            snprintf(id, sizeof id, "%s-%s-%lld-%llu", em_conn_name(n->cx), n->lineage,
                     (long long)batch_id, (unsigned long long)n->seq);
            jsPubOptions po;
            jsPubOptions_Init(&po);
            po.MsgId = id;
            s = js_PublishAsync(n->js, n->subject, p, (int)len, &po);
        } else {
            s = natsConnection_Publish(n->nc, n->subject, p, (int)len);
        }
        if (s != NATS_OK) {
            n->seq = 0;
            return status_fail(n, s, "publishing");
        }
        p += len + (nl != NULL);
    }
    return 0;
}

static int nats_commit(void *self, int64_t batch_id)
{
    nats_conn *n = self;
    if (n->kind == EM_CONNECTOR_SOURCE)
        return source_commit(n);
    n->seq = 0; /* a retry writes the batch again from its first row */
    natsStatus s;
    if (n->js) {
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MaxWait = n->ack_timeout_ms;
        s = js_PublishAsyncComplete(n->js, &po);
    } else {
        s = natsConnection_FlushTimeout(n->nc, n->ack_timeout_ms);
    }
    if (s == NATS_OK) {
        if (n->outage_since)
            em_conn_log(n->cx, 2, "NATS accepting again after %.1f s",
                        (em_wall_us() - n->outage_since) / 1e6);
        n->outage_since = 0;
        return 0;
    }
    if (!n->outage_since) {
        n->outage_since = em_wall_us();
        em_conn_log(n->cx, 0, "batch %lld not acknowledged (%s); the batch is kept and "
                    "published again", (long long)batch_id, natsStatus_GetText(s));
    }
    if (n->js) {
        natsMsgList pending = {0};
        if (js_PublishAsyncGetPendingList(&pending, n->js) == NATS_OK)
            natsMsgList_Destroy(&pending); /* published again, with the same ids */
    }
    return EM_ECONN;
}

static int nats_stop(void *self)
{
    nats_conn *n = self;
    n->stopping = 1;
    /* messages of a batch that did not commit stay unacknowledged:
     * JetStream redelivers them */
    for (uint32_t i = 0; i < n->nunacked; i++)
        natsMsg_Destroy(n->unacked[i]);
    n->nunacked = 0;
    if (n->sub) {
        natsSubscription_Destroy(n->sub);
        n->sub = NULL;
    }
    if (n->js) {
        jsCtx_Destroy(n->js);
        n->js = NULL;
    }
    if (n->nc) {
        natsConnection_FlushTimeout(n->nc, 1000);
        natsConnection_Destroy(n->nc);
        n->nc = NULL;
    }
    return 0;
}

static void nats_destroy(void *self)
{
    nats_conn *n = self;
    if (!n)
        return;
    nats_stop(n);
    em_free(n->unacked);
    em_writer_destroy(n->writer);
    em_buf_release(&n->lines);
    em_free(n);
}

const em_connector em_connector_nats = {
    .abi = EM_CONNECTOR_ABI,
    .name = "nats",
    .kinds = EM_CONNECTOR_SOURCE | EM_CONNECTOR_SINK,
    .options = nats_options,
    .help = "subscribe to or publish on NATS subjects and JetStream streams",
    .init = nats_init,
    .start = nats_start,
    .poll = nats_poll,
    .write = nats_write,
    .commit = nats_commit,
    .stop = nats_stop,
    .destroy = nats_destroy,
};
