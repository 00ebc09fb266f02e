/*
 * connectors/webhook/webhook.c - the `webhook` sink (libcurl).
 *
 * POSTs each micro-batch's rows to a URL as a JSON array (or NDJSON), in
 * parts of at most max_rows rows. Every request carries an Idempotency-Key
 * header "<sink>-<lineage>-<batch id>-<part>" so the receiver can drop a
 * request it has already processed: a retry (after a timeout, a 5xx, a lost
 * response) or a replay after recovery sends the same key for the same rows.
 * The lineage is "c" with a checkpoint directory (batch ids continue across
 * runs) and the run's start time otherwise (ids restart at 1 each run).
 *
 * A part is retried `retries` times with exponential backoff (retry_backoff
 * doubling, at most 30 s); if it still fails, commit returns EM_ECONN and
 * the engine keeps retrying the batch (parts already accepted are not sent
 * again). A 4xx other than 408/429 is the receiver refusing the rows: the
 * job fails with the status and the start of the response body.
 * Delivery: at-least-once, exactly-once for receivers that honour the key.
 * The curl handle is kept across requests, so the connection is reused.
 */
#include "connectors/registry.h"
#include "connectors/webhook/curl_dl.h"
#include "core/clock.h"
#include "core/mem.h"
#include "core/str.h"
#include "ember/error.h"
#include "formats/format.h"

#include <stdio.h>
#include <string.h>

static const em_option_def webhook_options[] = {
    {"url", EM_OPT_STRING, NULL, 0, 0, NULL, EM_OPT_REQUIRED | EM_OPT_SECRET,
     "http:// or https:// URL to POST to"},
    {"token", EM_OPT_STRING, NULL, 0, 0, NULL, EM_OPT_SECRET,
     "sent as Authorization: Bearer <token>"},
    {"retries", EM_OPT_INT, "5", 0, 1000, NULL, 0,
     "retries of a failed request before the engine retries the batch"},
    {"retry_backoff", EM_OPT_DURATION, "200ms", 0.001, 60, NULL, 0,
     "first retry delay; doubles on each retry"},
    {"timeout", EM_OPT_DURATION, "10s", 0.1, 600, NULL, 0, "timeout of one request"},
    {"format", EM_OPT_ENUM, "json", 0, 0, "json|ndjson", 0,
     "body: a JSON array of row objects, or one object per line"},
    {"max_rows", EM_OPT_INT, "1000", 1, 10000000, NULL, 0, "rows per request"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

typedef struct webhook {
    em_conn_ctx *cx;
    const char *url;
    CURL *curl;
    struct curl_slist *base_headers;
    em_writer *writer;
    em_buf lines;          /* the batch's rows, one JSON object per line */
    em_buf body;
    em_buf reply;
    char lineage[32];
    int ndjson;
    int64_t max_rows, retries, backoff_us;
    int64_t done_batch;    /* parts of this batch already accepted */
    uint32_t done_parts;
    int64_t outage_since;
} webhook;

static size_t on_reply(char *p, size_t size, size_t n, void *arg)
{
    em_buf *b = arg;
    size_t len = size * n;
    if (b->len < 512)
        em_buf_append(b, p, len > 512 - b->len ? 512 - b->len : len);
    return len;
}

static int webhook_init(void **self, em_conn_ctx *cx, unsigned kind)
{
    (void)kind;
    const em_options *o = em_conn_options(cx);
    em_errbuf err;
    if (em__curl_load(err.msg, sizeof err.msg)) {
        em_conn_log(cx, 0, "%s", err.msg);
        return EM_EUNSUPPORTED;
    }
    webhook *w = em_calloc(1, sizeof *w);
    if (!w)
        return EM_ENOMEM;
    w->cx = cx;
    w->url = em_opt_str(o, "url");
    w->ndjson = strcmp(em_opt_str(o, "format"), "ndjson") == 0;
    w->max_rows = em_opt_int(o, "max_rows");
    w->retries = em_opt_int(o, "retries");
    w->backoff_us = em_opt_duration_us(o, "retry_backoff");
    w->done_batch = -1;
    em_buf_init(&w->lines, (size_t)1 << 32);
    em_buf_init(&w->body, (size_t)1 << 32);
    em_buf_init(&w->reply, 4096);
    if (strncmp(w->url, "http://", 7) != 0 && strncmp(w->url, "https://", 8) != 0) {
        em_conn_log(cx, 0, "option 'url' must start with http:// or https://");
        goto fail;
    }
    if (em_writer_create(&w->writer, "json", em_conn_schema(cx), &err)) {
        em_conn_log(cx, 0, "%s", err.msg);
        goto fail;
    }
    *self = w;
    return 0;
fail:
    em_writer_destroy(w->writer);
    em_buf_release(&w->lines);
    em_buf_release(&w->body);
    em_buf_release(&w->reply);
    em_free(w);
    return EM_EINVAL;
}

static int webhook_start(void *self)
{
    webhook *w = self;
    const em_options *o = em_conn_options(w->cx);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(w->curl = curl_easy_init()))
        return EM_ENOMEM;
    if (em_conn_checkpoint_dir(w->cx))
        snprintf(w->lineage, sizeof w->lineage, "c");
    else
        snprintf(w->lineage, sizeof w->lineage, "%llx", (unsigned long long)em_wall_us());
    char auth[1024];
    w->base_headers = curl_slist_append(NULL, w->ndjson ? "Content-Type: application/x-ndjson"
                                                        : "Content-Type: application/json");
    if (em_opt_str(o, "token")) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", em_opt_str(o, "token"));
        w->base_headers = curl_slist_append(w->base_headers, auth);
    }
    curl_easy_setopt(w->curl, CURLOPT_URL, w->url);
    curl_easy_setopt(w->curl, CURLOPT_POST, 1L);
    curl_easy_setopt(w->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(w->curl, CURLOPT_TIMEOUT_MS, (long)(em_opt_duration_us(o, "timeout") / 1000));
    curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, on_reply);
    curl_easy_setopt(w->curl, CURLOPT_WRITEDATA, &w->reply);
    curl_easy_setopt(w->curl, CURLOPT_USERAGENT, "ember");
    return 0;
}

static int webhook_write(void *self, const em_batch *b, int64_t batch_id)
{
    (void)batch_id;
    webhook *w = self;
    return em_writer_write(w->writer, b, &w->lines);
}

/* One request. Returns 0 (2xx), EM_ECONN (worth retrying) or EM_EINVAL. */
static int post(webhook *w, const char *key)
{
    char hdr[512];
    snprintf(hdr, sizeof hdr, "Idempotency-Key: %s", key);
    struct curl_slist *h = NULL;
    for (struct curl_slist *p = w->base_headers; p; p = p->next)
        h = curl_slist_append(h, p->data);
    h = curl_slist_append(h, hdr);
    if (!h)
        return EM_ENOMEM;
    em_buf_reset(&w->reply);
    curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, w->body.ptr ? w->body.ptr : "");
    curl_easy_setopt(w->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)w->body.len);
    CURLcode cc = curl_easy_perform(w->curl);
    curl_slist_free_all(h);
    long status = 0;
    curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &status);
    if (cc == CURLE_OK && status >= 200 && status < 300)
        return 0;
    if (cc != CURLE_OK) {
        em_conn_log(w->cx, w->outage_since ? 3 : 1, "request %s failed: %s", key,
                    curl_easy_strerror(cc));
        return EM_ECONN;
    }
    int permanent = status >= 400 && status < 500 && status != 408 && status != 429;
    em_conn_log(w->cx, permanent ? 0 : w->outage_since ? 3 : 1,
                "request %s: HTTP %ld: %.*s", key, status, (int)w->reply.len,
                w->reply.ptr ? w->reply.ptr : "");
    return permanent ? EM_EINVAL : EM_ECONN;
}

/* Builds the next part (up to max_rows of the batch's lines from *pos) into
 * body; returns 0 and sets *more when rows remain after it. */
static int build_part(webhook *w, const char **pos, int *more)
{
    const char *p = *pos, *end = w->lines.ptr + w->lines.len;
    em_buf_reset(&w->body);
    int rc = w->ndjson ? 0 : em_buf_putc(&w->body, '[');
    for (int64_t n = 0; p < end && n < w->max_rows && !rc; n++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (!w->ndjson && n)
            rc = em_buf_putc(&w->body, ',');
        rc = rc ? rc : em_buf_append(&w->body, p, len);
        if (!rc && w->ndjson)
            rc = em_buf_putc(&w->body, '\n');
        p += len + (nl != NULL);
    }
    if (!rc && !w->ndjson)
        rc = em_buf_putc(&w->body, ']');
    *pos = p;
    *more = p < end;
    return rc;
}

static int webhook_commit(void *self, int64_t batch_id)
{
    webhook *w = self;
    int rc = 0, more = 1;
    if (w->done_batch != batch_id) {
        w->done_batch = batch_id;
        w->done_parts = 0;
    }
    const char *pos = w->lines.ptr;
    for (uint32_t part = 0; w->lines.len && more && !rc; part++) {
        if ((rc = build_part(w, &pos, &more)))
            break;
        if (part < w->done_parts)
            continue; /* accepted in an earlier attempt */
        char key[256];
        snprintf(key, sizeof key, "%s-%s-%lld-%u", em_conn_name(w->cx), w->lineage,
                 (long long)batch_id, part);
        int64_t delay = w->backoff_us;
        for (int64_t attempt = 0;; attempt++) {
            rc = post(w, key);
            if (rc != EM_ECONN || attempt >= w->retries || em_conn_stopping(w->cx))
                break;
            if (!w->outage_since) {
                w->outage_since = em_wall_us();
                em_conn_log(w->cx, 0, "webhook failing; retrying with backoff (batch %lld kept)",
                            (long long)batch_id);
            }
            em_sleep_us(delay);
            delay = delay * 2 > 30000000 ? 30000000 : delay * 2;
        }
        if (!rc) {
            w->done_parts = part + 1;
            if (w->outage_since) {
                em_conn_log(w->cx, 2, "webhook accepting again after %.1f s",
                            (em_wall_us() - w->outage_since) / 1e6);
                w->outage_since = 0;
            }
        } else if (rc == EM_ECONN && !w->outage_since) {
            w->outage_since = em_wall_us();
        }
    }
    em_buf_reset(&w->lines); /* a failed batch is written again by the engine */
    return rc;
}

static int webhook_stop(void *self)
{
    webhook *w = self;
    if (w->curl)
        curl_easy_cleanup(w->curl);
    w->curl = NULL;
    curl_slist_free_all(w->base_headers);
    w->base_headers = NULL;
    return 0;
}

static void webhook_destroy(void *self)
{
    webhook *w = self;
    if (!w)
        return;
    webhook_stop(w);
    em_writer_destroy(w->writer);
    em_buf_release(&w->lines);
    em_buf_release(&w->body);
    em_buf_release(&w->reply);
    em_free(w);
}

const em_connector em_connector_webhook = {
    .abi = EM_CONNECTOR_ABI,
    .name = "webhook",
    .kinds = EM_CONNECTOR_SINK,
    .options = webhook_options,
    .help = "POST rows as JSON with retries and an Idempotency-Key header",
    .init = webhook_init,
    .start = webhook_start,
    .write = webhook_write,
    .commit = webhook_commit,
    .stop = webhook_stop,
    .destroy = webhook_destroy,
};
