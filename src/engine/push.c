/*
 * engine/push.c - push logs for sources that are sent data (see "push
 * sources" in ember/connector.h): a WAL (durable/wal.h) between the network
 * threads that append and the scheduler thread that polls.
 *
 * Position "W:O": the WAL position W of the chunk being read and the byte
 * offset O of the next line in it. Batch ids seen in poll are remembered
 * with the position each batch ended at, so commit(batch) can release the
 * WAL up to there.
 */
#include "engine/engine_int.h"

#include "durable/wal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct mark {
    int64_t batch_id;
    uint64_t pos; /* WAL position every record of the batch is before */
} mark;

struct em_push {
    em_conn_ctx *cx;
    em_wal *wal;
    char dir[4200];
    bool temporary;
    /* reading (scheduler thread) */
    uint64_t pos;     /* WAL position of the chunk in `chunk`, or of the next one */
    em_buf chunk;     /* the chunk being split into lines */
    size_t off;       /* next line in chunk */
    uint64_t after;   /* WAL position after the chunk */
    bool have_chunk;
    mark *marks;
    size_t nmarks, capmarks;
};

static int copy_chunk(void *ud, const char *p, size_t n)
{
    em_push *q = ud;
    em_buf_reset(&q->chunk);
    q->have_chunk = em_buf_append(&q->chunk, p, n) == 0;
    return 1; /* one chunk at a time */
}

int em_push_open(em_conn_ctx *cx, uint64_t quota_bytes, em_push **out)
{
    em_engine *e = cx->engine;
    em_push *q = em_calloc(1, sizeof *q);
    if (!q)
        return EM_ENOMEM;
    q->cx = cx;
    em_buf_init(&q->chunk, (size_t)128 << 20);
    int n;
    if (e->set.checkpoint_dir && e->set.checkpoint_dir[0]) {
        n = snprintf(q->dir, sizeof q->dir, "%s/sources", e->set.checkpoint_dir);
        if (n > 0 && (size_t)n < sizeof q->dir)
            mkdir(q->dir, 0755);
        n = snprintf(q->dir, sizeof q->dir, "%s/sources/%s", e->set.checkpoint_dir, cx->name);
    } else {
        const char *tmp = getenv("TMPDIR");
        n = snprintf(q->dir, sizeof q->dir, "%s/ember-push-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        q->temporary = true;
        if (n > 0 && (size_t)n < sizeof q->dir && !mkdtemp(q->dir))
            n = -1;
    }
    if (n < 0 || (size_t)n >= sizeof q->dir) {
        em_conn_log(cx, 0, "cannot make a directory for the push log: %s",
                    n < 0 ? strerror(errno) : "path too long");
        em_push_close(q);
        return EM_EIO;
    }
    em_wal_opts o = {.segment_bytes = 0, .quota_bytes = quota_bytes};
    em_errbuf err;
    em_errbuf_clear(&err);
    int rc = em_wal_open(&q->wal, q->dir, &o, cx->log, &err);
    if (rc) {
        em_conn_log(cx, 0, "%s", err.msg);
        em_push_close(q);
        return rc;
    }
    *out = q;
    return 0;
}

void em_push_close(em_push *q)
{
    if (!q)
        return;
    em_wal_close(q->wal);
    if (q->temporary && q->dir[0]) {
        char cmd[4300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", q->dir);
        if (system(cmd) != 0)
            em_conn_log(q->cx, 1, "could not remove %s", q->dir);
    }
    em_buf_release(&q->chunk);
    em_free(q->marks);
    em_free(q);
}

static int append(em_push *q, const char *const *chunks, const size_t *lens, size_t n,
                  bool written)
{
    if (n == 0)
        return 0;
    em_slice one[64];
    em_slice *v = n <= 64 ? one : em_malloc(n * sizeof *v);
    if (!v)
        return EM_ENOMEM;
    for (size_t i = 0; i < n; i++)
        v[i] = (em_slice){chunks[i], lens[i]};
    int rc = written ? em_wal_append_written(q->wal, v, n) : em_wal_append(q->wal, v, n);
    if (v != one)
        em_free(v);
    return rc;
}

int em_push_append(em_push *q, const char *const *chunks, const size_t *lens, size_t n)
{
    return append(q, chunks, lens, n, false);
}

int em_push_write(em_push *q, const char *const *chunks, const size_t *lens, size_t n)
{
    return append(q, chunks, lens, n, true);
}

uint64_t em_push_backlog(em_push *q)
{
    return em_wal_pending(q->wal);
}

static int remember(em_push *q, int64_t batch_id, uint64_t pos)
{
    if (q->nmarks && q->marks[q->nmarks - 1].batch_id == batch_id) {
        q->marks[q->nmarks - 1].pos = pos;
        return 0;
    }
    if (q->nmarks == q->capmarks) {
        size_t ncap = q->capmarks ? 2 * q->capmarks : 64;
        mark *m = em_realloc(q->marks, ncap * sizeof *m);
        if (!m)
            return EM_ENOMEM;
        q->marks = m;
        q->capmarks = ncap;
    }
    q->marks[q->nmarks++] = (mark){batch_id, pos};
    return 0;
}

int em_push_poll(em_push *q, struct em_source_out *out)
{
    int rc = 0;
    char where[96];
    while (em_source_out_room(out) > 0) {
        if (!q->have_chunk) {
            q->after = q->pos;
            int got = em_wal_read(q->wal, &q->after, 1, copy_chunk, q);
            if (got < 0) {
                em_conn_log(q->cx, 0, "push log unreadable at position %llu: %s",
                            (unsigned long long)q->pos, em_strerror(got));
                return got;
            }
            if (got == 0 || !q->have_chunk)
                break;
            q->off = 0;
        }
        const char *p = q->chunk.ptr;
        size_t len = q->chunk.len;
        while (q->off < len && em_source_out_room(out) > 0) {
            const char *nl = memchr(p + q->off, '\n', len - q->off);
            size_t end = nl ? (size_t)(nl - p) : len;
            size_t m = end - q->off;
            if (m && p[q->off + m - 1] == '\r')
                m--;
            snprintf(where, sizeof where, "push log %llu+%zu", (unsigned long long)q->pos,
                     q->off);
            if (m && (rc = em_source_out_record(out, p + q->off, m, where)))
                return rc;
            q->off = end + (nl != NULL);
        }
        if (q->off >= len) {
            /* the chunk is done: the position moves past it */
            q->pos = q->after;
            q->have_chunk = false;
            q->off = 0;
        }
    }
    return remember(q, em_source_out_batch(out), q->pos);
}

int em_push_position(em_push *q, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%llu:%zu", (unsigned long long)q->pos, q->have_chunk ? q->off : 0);
    return n < 0 || (size_t)n >= cap ? EM_ELIMIT : n;
}

int em_push_seek(em_push *q, const char *pos, size_t n)
{
    char tmp[64];
    if (n == 0 || n >= sizeof tmp)
        return EM_EINVAL;
    memcpy(tmp, pos, n);
    tmp[n] = 0;
    unsigned long long w;
    size_t off;
    if (sscanf(tmp, "%llu:%zu", &w, &off) != 2)
        return EM_EINVAL;
    q->pos = w;
    q->have_chunk = false;
    q->off = 0;
    if (off) {
        q->after = q->pos;
        int got = em_wal_read(q->wal, &q->after, 1, copy_chunk, q);
        if (got != 1 || off > q->chunk.len) {
            em_conn_log(q->cx, 0, "cannot resume the push log at %s", tmp);
            return got < 0 ? got : EM_ECORRUPT;
        }
        q->off = off;
    }
    return 0;
}

int em_push_commit(em_push *q, int64_t batch_id)
{
    size_t k = 0;
    uint64_t pos = 0;
    bool found = false;
    while (k < q->nmarks && q->marks[k].batch_id <= batch_id) {
        pos = q->marks[k].pos;
        found = true;
        k++;
    }
    if (!found)
        return 0;
    memmove(q->marks, q->marks + k, (q->nmarks - k) * sizeof *q->marks);
    q->nmarks -= k;
    return em_wal_release(q->wal, pos);
}

/* ---- HTTP ingest routes ---- */

typedef struct em_route {
    char *path;
    uint64_t max_body;
    em_ingest_fn fn;
    void *self;
} em_route;

int em_conn_route(em_conn_ctx *cx, const char *path, uint64_t max_body, em_ingest_fn fn,
                  void *self)
{
    em_engine *e = cx->engine;
    for (uint32_t i = 0; i < e->nroutes; i++)
        if (!strcmp(e->routes[i].path, path)) {
            em_conn_log(cx, 0, "ingest path %s is already served by another source", path);
            return EM_EEXISTS;
        }
    em_route *v = em_realloc(e->routes, (e->nroutes + 1) * sizeof *v);
    if (!v)
        return EM_ENOMEM;
    e->routes = v;
    if (!(v[e->nroutes].path = em_strdup(path)))
        return EM_ENOMEM;
    v[e->nroutes].max_body = max_body;
    v[e->nroutes].fn = fn;
    v[e->nroutes].self = self;
    e->nroutes++;
    return 0;
}

static const em_route *find_route(const em_engine *e, const char *path)
{
    for (uint32_t i = 0; i < e->nroutes; i++)
        if (!strcmp(e->routes[i].path, path))
            return &e->routes[i];
    return NULL;
}

int em_engine_ingest(em_engine *e, const char *path, const char *authorization,
                     const char *content_type, const char *body, size_t n, em_ingest_reply *r)
{
    const em_route *rt = find_route(e, path);
    if (!rt)
        return EM_ENOTFOUND;
    memset(r, 0, sizeof *r);
    r->status = 500;
    rt->fn(rt->self, authorization, content_type, body, n, r);
    return 0;
}

uint64_t em_engine_ingest_limit(em_engine *e, const char *path)
{
    const em_route *rt = find_route(e, path);
    return rt ? rt->max_body : 0;
}

void em__routes_release(em_engine *e)
{
    for (uint32_t i = 0; i < e->nroutes; i++)
        em_free(e->routes[i].path);
    em_free(e->routes);
    e->routes = NULL;
    e->nroutes = 0;
}
