/*
 * durable/wal.c - the push sources' write-ahead log with group commit (see
 * wal.h).
 *
 * Appenders frame their records into `pending` under the mutex and wait on
 * `durable` until the flusher has written and synced past their last byte.
 * The flusher swaps `pending` for an empty buffer, writes it to the current
 * segment outside the lock, fdatasyncs, then publishes the new durable end
 * and wakes every waiter: whatever accumulated while one sync was running
 * goes out with the next, so the sync rate bounds the commit rate, not the
 * request rate.
 *
 * em_wal_append_written is the other durability level: the appender
 * frames its records and writes them to the segment itself (holding
 * `wmu`, which orders every write to the file), then wakes the flusher,
 * which only syncs. It returns once its records are in the OS's page
 * cache, so a crash of the process loses nothing, while a power loss may
 * lose what the flusher had not synced yet (one fdatasync's worth).
 * Readers never see records before they are synced (durable_end), so a
 * position recorded in the offsets log is always on disk.
 */
#include "durable/wal.h"

#include "core/codec.h"
#include "core/hash.h"
#include "core/mem.h"
#include "ember/error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define REC_HEAD 8
#define REC_MAX ((size_t)64 << 20)
/* how long records written by em_wal_append_written may wait for their
 * sync, so that one fdatasync covers many rounds */
#define SYNC_GATHER_NS 2000000L

typedef struct seg {
    uint64_t base; /* position of its first byte */
    uint64_t size;
} seg;

struct em_wal {
    char *dir;
    em_logger *log;
    em_wal_opts opts;
    pthread_mutex_t mu;
    pthread_mutex_t wmu;    /* held while writing to wfd or rolling; before mu */
    pthread_cond_t wake;    /* flusher: there is work, or stop */
    pthread_cond_t durable; /* appenders: durable_end moved */
    pthread_t flusher;
    bool started, stopping;
    int failed;             /* EM_EIO once a write or sync failed */
    em_buf pending;         /* framed records not yet written */
    uint64_t pending_end;   /* position after the last appended record */
    uint64_t written_end;   /* position after the last record written to the file */
    uint32_t sync_waiters;  /* em_wal_append calls waiting for a sync */
    bool gathering;         /* the flusher waits for more written records */
    uint64_t durable_end;   /* position after the last durable record */
    em_buf wbuf;            /* em_wal_append_written's write (under wmu) */
    uint64_t released;      /* em_wal_release's position */
    /* segments (flusher and, for reading, the scheduler thread) */
    seg *segs;
    size_t nsegs, capsegs;
    int wfd;                /* the last segment, open for appending */
    /* reader */
    int rfd;
    size_t rseg;
    char *rbuf;
    size_t rcap;
};

static void seg_path(const em_wal *w, uint64_t base, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/wal-%020" PRIu64 ".log", w->dir, base);
}

static int add_seg(em_wal *w, uint64_t base, uint64_t size)
{
    if (w->nsegs == w->capsegs) {
        size_t ncap = w->capsegs ? 2 * w->capsegs : 8;
        seg *v = em_realloc(w->segs, ncap * sizeof *v);
        if (!v)
            return EM_ENOMEM;
        w->segs = v;
        w->capsegs = ncap;
    }
    w->segs[w->nsegs++] = (seg){base, size};
    return 0;
}

static int cmp_seg(const void *a, const void *b)
{
    uint64_t x = ((const seg *)a)->base, y = ((const seg *)b)->base;
    return x < y ? -1 : x > y;
}

/* Length of the intact prefix of a segment file (whole records with good
 * checksums). */
static uint64_t intact_prefix(int fd, uint64_t size)
{
    uint64_t pos = 0;
    char head[REC_HEAD];
    char *buf = NULL;
    size_t cap = 0;
    while (size - pos >= REC_HEAD) {
        if (pread(fd, head, REC_HEAD, (off_t)pos) != REC_HEAD)
            break;
        em_dec d;
        em_dec_init(&d, head, REC_HEAD);
        uint32_t len = em_dec_u32(&d), crc = em_dec_u32(&d);
        if (len > REC_MAX || size - pos - REC_HEAD < len)
            break;
        if (len > cap) {
            char *nb = em_realloc(buf, len);
            if (!nb)
                break;
            buf = nb;
            cap = len;
        }
        if (pread(fd, buf, len, (off_t)(pos + REC_HEAD)) != (ssize_t)len ||
            em_crc32c(0, buf, len) != crc)
            break;
        pos += REC_HEAD + len;
    }
    em_free(buf);
    return pos;
}

static int open_segments(em_wal *w, em_errbuf *err)
{
    DIR *d = opendir(w->dir);
    if (!d)
        return em_errf(err, EM_EIO, "cannot read WAL directory %s: %s", w->dir, strerror(errno));
    struct dirent *de;
    int rc = 0;
    while (!rc && (de = readdir(d)) != NULL) {
        unsigned long long base;
        char tail[8];
        if (sscanf(de->d_name, "wal-%llu.%3s", &base, tail) != 2 || strcmp(tail, "log"))
            continue;
        rc = add_seg(w, base, 0);
    }
    closedir(d);
    if (rc)
        return em_errf(err, rc, "out of memory");
    if (w->nsegs > 1)
        qsort(w->segs, w->nsegs, sizeof *w->segs, cmp_seg);
    /* sizes; only the last segment can have a torn tail */
    for (size_t i = 0; i < w->nsegs; i++) {
        char path[4200];
        seg_path(w, w->segs[i].base, path, sizeof path);
        int fd = open(path, O_RDWR | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st)) {
            if (fd >= 0)
                close(fd);
            return em_errf(err, EM_EIO, "cannot open %s: %s", path, strerror(errno));
        }
        uint64_t size = (uint64_t)st.st_size;
        if (i + 1 == w->nsegs) {
            uint64_t ok = intact_prefix(fd, size);
            if (ok < size) {
                em_log_warn(w->log, "wal",
                            "%s: dropping %llu bytes of a record cut short by a crash (never "
                            "acknowledged)",
                            path, (unsigned long long)(size - ok));
                if (ftruncate(fd, (off_t)ok) || fsync(fd)) {
                    close(fd);
                    return em_errf(err, EM_EIO, "cannot truncate %s: %s", path,
                                   strerror(errno));
                }
                size = ok;
            }
            w->wfd = fd;
            if (lseek(fd, 0, SEEK_END) < 0)
                return em_errf(err, EM_EIO, "cannot seek %s: %s", path, strerror(errno));
        } else {
            close(fd);
        }
        w->segs[i].size = size;
    }
    if (w->nsegs == 0) {
        char path[4200];
        if (add_seg(w, 0, 0))
            return em_errf(err, EM_ENOMEM, "out of memory");
        seg_path(w, 0, path, sizeof path);
        w->wfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (w->wfd < 0)
            return em_errf(err, EM_EIO, "cannot create %s: %s", path, strerror(errno));
    }
    seg *last = &w->segs[w->nsegs - 1];
    w->durable_end = w->written_end = w->pending_end = last->base + last->size;
    w->released = w->segs[0].base;
    return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return EM_EIO;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Starts a new segment at the current end (flusher thread). */
static int roll(em_wal *w)
{
    seg *last = &w->segs[w->nsegs - 1];
    uint64_t base = last->base + last->size;
    char path[4200];
    seg_path(w, base, path, sizeof path);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return EM_EIO;
    pthread_mutex_lock(&w->mu);
    int rc = add_seg(w, base, 0);
    pthread_mutex_unlock(&w->mu);
    if (rc) {
        close(fd);
        return rc;
    }
    /* direct writes may have reached the old segment after the last sync */
    if (fdatasync(w->wfd)) {
        close(fd);
        return EM_EIO;
    }
    close(w->wfd);
    w->wfd = fd;
    int dfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

/* Work for the flusher: framed records to write, or written ones to sync. */
static bool flusher_work(const em_wal *w)
{
    return w->pending.len || w->written_end > w->durable_end;
}

static void *flusher_main(void *arg)
{
    em_wal *w = arg;
    em_buf out;
    em_buf_init(&out, (size_t)1 << 40);
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!flusher_work(w) && !w->stopping && !w->failed)
            pthread_cond_wait(&w->wake, &w->mu);
        if (w->failed || (!flusher_work(w) && w->stopping))
            break;
        if (!w->pending.len && !w->sync_waiters && !w->stopping) {
            /* only written records: let more gather for one sync (their
             * appenders do not wait for it) unless a waiter comes */
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += SYNC_GATHER_NS;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            w->gathering = true;
            while (!w->pending.len && !w->sync_waiters && !w->stopping)
                if (pthread_cond_timedwait(&w->wake, &w->mu, &until) == ETIMEDOUT)
                    break;
            w->gathering = false;
        }
        pthread_mutex_unlock(&w->mu);
        pthread_mutex_lock(&w->wmu);
        pthread_mutex_lock(&w->mu);
        em_buf t = out;
        out = w->pending;
        w->pending = t;
        em_buf_reset(&w->pending);
        pthread_mutex_unlock(&w->mu);
        int rc = out.len ? write_all(w->wfd, out.ptr, out.len) : 0;
        pthread_mutex_lock(&w->mu);
        if (!rc) {
            w->segs[w->nsegs - 1].size += out.len;
            w->written_end += out.len;
        }
        uint64_t target = w->written_end;
        pthread_mutex_unlock(&w->mu);
        pthread_mutex_unlock(&w->wmu);
        /* writers may append to wfd meanwhile: the sync covers at least
         * everything up to target */
        if (!rc && fdatasync(w->wfd))
            rc = EM_EIO;
        if (rc)
            em_log_error(w->log, "wal", "cannot write %s: %s; refusing further appends", w->dir,
                         strerror(errno));
        pthread_mutex_lock(&w->mu);
        if (rc) {
            w->failed = rc;
        } else if (target > w->durable_end) {
            w->durable_end = target;
        }
        pthread_cond_broadcast(&w->durable);
        em_buf_reset(&out);
        if (!rc && w->segs[w->nsegs - 1].size >= w->opts.segment_bytes) {
            pthread_mutex_unlock(&w->mu);
            pthread_mutex_lock(&w->wmu);
            rc = roll(w);
            pthread_mutex_unlock(&w->wmu);
            pthread_mutex_lock(&w->mu);
            if (rc) {
                w->failed = EM_EIO;
                pthread_cond_broadcast(&w->durable);
            }
        }
    }
    pthread_mutex_unlock(&w->mu);
    em_buf_release(&out);
    return NULL;
}

int em_wal_open(em_wal **out, const char *dir, const em_wal_opts *opts, em_logger *log,
                em_errbuf *err)
{
    em_wal *w = em_calloc(1, sizeof *w);
    if (!w || !(w->dir = em_strdup(dir))) {
        em_free(w);
        return em_errf(err, EM_ENOMEM, "out of memory");
    }
    w->log = log;
    w->wfd = w->rfd = -1;
    w->opts.segment_bytes = opts && opts->segment_bytes ? opts->segment_bytes : (64u << 20);
    w->opts.quota_bytes = opts && opts->quota_bytes ? opts->quota_bytes : ((uint64_t)1 << 30);
    em_buf_init(&w->pending, (size_t)1 << 40);
    em_buf_init(&w->wbuf, (size_t)1 << 40);
    pthread_mutex_init(&w->mu, NULL);
    pthread_mutex_init(&w->wmu, NULL);
    pthread_cond_init(&w->wake, NULL);
    pthread_cond_init(&w->durable, NULL);
    int rc = 0;
    if (mkdir(dir, 0755) && errno != EEXIST)
        rc = em_errf(err, EM_EIO, "cannot create WAL directory %s: %s", dir, strerror(errno));
    if (!rc)
        rc = open_segments(w, err);
    if (!rc && pthread_create(&w->flusher, NULL, flusher_main, w))
        rc = em_errf(err, EM_ENOMEM, "cannot start the WAL flusher thread");
    if (rc) {
        em_wal_close(w);
        return rc;
    }
    w->started = true;
    *out = w;
    return 0;
}

void em_wal_close(em_wal *w)
{
    if (!w)
        return;
    if (w->started) {
        pthread_mutex_lock(&w->mu);
        w->stopping = true;
        pthread_cond_signal(&w->wake);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->flusher, NULL);
    }
    if (w->wfd >= 0)
        close(w->wfd);
    if (w->rfd >= 0)
        close(w->rfd);
    pthread_mutex_destroy(&w->mu);
    pthread_mutex_destroy(&w->wmu);
    pthread_cond_destroy(&w->wake);
    pthread_cond_destroy(&w->durable);
    em_buf_release(&w->pending);
    em_buf_release(&w->wbuf);
    em_free(w->segs);
    em_free(w->rbuf);
    em_free(w->dir);
    em_free(w);
}

/* Frames n records into w->pending (mu held): 0, or a code with nothing
 * of them kept. */
static int frame(em_wal *w, const em_slice *recs, size_t n, size_t bytes)
{
    int rc = w->failed ? w->failed : w->stopping ? EM_ESTOPPED : 0;
    if (!rc && w->pending_end + bytes - w->released > w->opts.quota_bytes)
        rc = EM_EAGAIN;
    size_t mark = w->pending.len;
    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char h[REC_HEAD];
        uint32_t len = (uint32_t)recs[i].len, crc = em_crc32c(0, recs[i].ptr, recs[i].len);
        for (int k = 0; k < 4; k++) {
            h[k] = (unsigned char)(len >> (8 * k));
            h[4 + k] = (unsigned char)(crc >> (8 * k));
        }
        rc = em_buf_append(&w->pending, h, REC_HEAD);
        if (!rc)
            rc = em_buf_append(&w->pending, recs[i].ptr, recs[i].len);
    }
    if (rc) {
        w->pending.len = mark; /* none of this append's records */
        return rc == EM_ELIMIT ? EM_ENOMEM : rc;
    }
    w->pending_end += bytes;
    return 0;
}

/* Bytes n records take framed, or 0 when one is over REC_MAX. */
static size_t framed_bytes(const em_slice *recs, size_t n)
{
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        if (recs[i].len > REC_MAX)
            return 0;
        bytes += REC_HEAD + recs[i].len;
    }
    return bytes;
}

int em_wal_append(em_wal *w, const em_slice *recs, size_t n)
{
    size_t bytes = framed_bytes(recs, n);
    if (!bytes)
        return n ? EM_ELIMIT : 0;
    pthread_mutex_lock(&w->mu);
    int rc = frame(w, recs, n, bytes);
    if (rc) {
        pthread_mutex_unlock(&w->mu);
        return rc;
    }
    uint64_t mine = w->pending_end;
    w->sync_waiters++;
    pthread_cond_signal(&w->wake);
    while (w->durable_end < mine && !w->failed)
        pthread_cond_wait(&w->durable, &w->mu);
    w->sync_waiters--;
    rc = w->durable_end >= mine ? 0 : w->failed;
    pthread_mutex_unlock(&w->mu);
    return rc;
}

int em_wal_append_written(em_wal *w, const em_slice *recs, size_t n)
{
    size_t bytes = framed_bytes(recs, n);
    if (!bytes)
        return n ? EM_ELIMIT : 0;
    pthread_mutex_lock(&w->wmu);
    pthread_mutex_lock(&w->mu);
    int rc = frame(w, recs, n, bytes);
    if (!rc) {
        /* whatever others framed before goes first: file order is
         * position order */
        em_buf t = w->wbuf;
        w->wbuf = w->pending;
        w->pending = t;
    }
    pthread_mutex_unlock(&w->mu);
    if (!rc) {
        rc = write_all(w->wfd, w->wbuf.ptr, w->wbuf.len);
        pthread_mutex_lock(&w->mu);
        if (rc) {
            w->failed = rc;
            pthread_cond_broadcast(&w->durable);
        } else {
            w->segs[w->nsegs - 1].size += w->wbuf.len;
            w->written_end += w->wbuf.len;
        }
        if (!w->gathering) /* a gathering flusher syncs this too: no wake-up */
            pthread_cond_signal(&w->wake);
        pthread_mutex_unlock(&w->mu);
        if (rc)
            em_log_error(w->log, "wal", "cannot write %s: %s; refusing further appends", w->dir,
                         strerror(errno));
        em_buf_reset(&w->wbuf);
    }
    pthread_mutex_unlock(&w->wmu);
    return rc;
}

uint64_t em_wal_end(em_wal *w)
{
    pthread_mutex_lock(&w->mu);
    uint64_t e = w->durable_end;
    pthread_mutex_unlock(&w->mu);
    return e;
}

uint64_t em_wal_pending(em_wal *w)
{
    pthread_mutex_lock(&w->mu);
    uint64_t p = w->pending_end - w->released;
    pthread_mutex_unlock(&w->mu);
    return p;
}

/* Opens the segment holding pos for reading; 0, or EM_ENOTFOUND / EM_EIO. */
static int reader_at(em_wal *w, uint64_t pos, uint64_t *seg_base, uint64_t *seg_size)
{
    pthread_mutex_lock(&w->mu);
    size_t i = w->nsegs;
    while (i > 0 && w->segs[i - 1].base > pos)
        i--;
    int rc = i == 0 ? EM_ENOTFOUND : 0;
    if (!rc) {
        *seg_base = w->segs[i - 1].base;
        *seg_size = w->segs[i - 1].size;
    }
    pthread_mutex_unlock(&w->mu);
    if (rc)
        return rc;
    if (w->rfd < 0 || w->rseg != i - 1) {
        if (w->rfd >= 0)
            close(w->rfd);
        char path[4200];
        seg_path(w, *seg_base, path, sizeof path);
        w->rfd = open(path, O_RDONLY | O_CLOEXEC);
        w->rseg = i - 1;
        if (w->rfd < 0)
            return EM_EIO;
    }
    return 0;
}

int em_wal_read(em_wal *w, uint64_t *pos, uint32_t max, em_wal_fn fn, void *ud)
{
    uint64_t end = em_wal_end(w);
    int nread = 0;
    while ((uint32_t)nread < max && *pos < end) {
        uint64_t base, size;
        int rc = reader_at(w, *pos, &base, &size);
        if (rc)
            return rc;
        if (*pos >= base + size) {
            /* the end of a segment: the next one starts here */
            if (w->rseg + 1 >= w->nsegs)
                break;
            if (*pos != w->segs[w->rseg + 1].base)
                return EM_ECORRUPT;
            continue;
        }
        unsigned char h[REC_HEAD];
        uint64_t off = *pos - base;
        if (pread(w->rfd, h, REC_HEAD, (off_t)off) != REC_HEAD)
            return EM_EIO;
        em_dec d;
        em_dec_init(&d, h, REC_HEAD);
        uint32_t len = em_dec_u32(&d), crc = em_dec_u32(&d);
        if (len > REC_MAX || off + REC_HEAD + len > size)
            return EM_ECORRUPT;
        if (len > w->rcap) {
            char *nb = em_realloc(w->rbuf, len);
            if (!nb)
                return EM_ENOMEM;
            w->rbuf = nb;
            w->rcap = len;
        }
        if (len && pread(w->rfd, w->rbuf, len, (off_t)(off + REC_HEAD)) != (ssize_t)len)
            return EM_EIO;
        if (em_crc32c(0, w->rbuf, len) != crc)
            return EM_ECORRUPT;
        *pos += REC_HEAD + len;
        nread++;
        if (fn(ud, w->rbuf, len))
            break;
    }
    return nread;
}

int em_wal_release(em_wal *w, uint64_t pos)
{
    pthread_mutex_lock(&w->mu);
    if (pos > w->released)
        w->released = pos;
    /* whole segments before pos, never the one being written */
    size_t drop = 0;
    while (drop + 1 < w->nsegs && w->segs[drop + 1].base <= pos)
        drop++;
    seg gone[64];
    size_t ngone = drop < 64 ? drop : 64;
    memcpy(gone, w->segs, ngone * sizeof *gone);
    memmove(w->segs, w->segs + ngone, (w->nsegs - ngone) * sizeof *w->segs);
    w->nsegs -= ngone;
    if (w->rfd >= 0) {
        if (w->rseg < ngone) {
            close(w->rfd);
            w->rfd = -1;
        } else {
            w->rseg -= ngone;
        }
    }
    pthread_mutex_unlock(&w->mu);
    for (size_t i = 0; i < ngone; i++) {
        char path[4200];
        seg_path(w, gone[i].base, path, sizeof path);
        unlink(path);
    }
    return 0;
}
