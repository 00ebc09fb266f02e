/*
 * durable/ckpt.c - the checkpoint directory (see ckpt.h for the layout and
 * the protocol).
 */
#include "durable/ckpt.h"

#include "core/codec.h"
#include "core/hash.h"
#include "core/mem.h"
#include "ember/error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SNAP_MAGIC "EMBSNAP1"
#define SNAP_KEEP 2
#define REC_HEAD 16 /* u32 length, u32 crc, i64 batch id */
#define REC_MAX ((size_t)64 << 20)

/* One log file and its records, kept in memory for replay and rewriting. */
typedef struct ck_rec {
    int64_t batch_id;
    size_t off, n; /* payload at data.ptr + off (data may move as it grows) */
} ck_rec;

typedef struct ck_log {
    const char *name;  /* "offsets.log" */
    int fd;
    em_buf data;       /* every record's payload, back to back */
    ck_rec *recs;
    size_t n, cap;
    em_ckpt_rec *view; /* what em_ckpt_offsets hands out */
} ck_log;

struct em_ckpt {
    char *dir;
    em_logger *log;
    ck_log offsets, commits;
    int64_t last_commit;
    int64_t snaps[SNAP_KEEP + 1]; /* batch ids of snapshots on disk, newest first */
    uint32_t nsnaps;
};

static int path_of(const em_ckpt *ck, const char *name, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%s/%s", ck->dir, name);
    return n < 0 || (size_t)n >= cap ? EM_ELIMIT : 0;
}

static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return EM_EIO;
    int rc = fsync(fd) ? EM_EIO : 0;
    close(fd);
    return rc;
}

static int mkdirs(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path);
    if (n >= sizeof tmp)
        return EM_ELIMIT;
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(tmp, 0755) && errno != EEXIST)
            return EM_EIO;
        *p = '/';
    }
    return mkdir(tmp, 0755) && errno != EEXIST ? EM_EIO : 0;
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return EM_EIO;
        }
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* ---- logs ---- */

static int log_keep(ck_log *l, int64_t batch_id, const void *p, size_t n)
{
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 64;
        ck_rec *v = em_realloc(l->recs, ncap * sizeof *v);
        if (!v)
            return EM_ENOMEM;
        l->recs = v;
        l->cap = ncap;
    }
    size_t off = l->data.len;
    int rc = em_buf_append(&l->data, p, n);
    if (rc)
        return rc;
    l->recs[l->n++] = (ck_rec){batch_id, off, n};
    return 0;
}

static void frame(unsigned char head[REC_HEAD], int64_t batch_id, const void *p, size_t n)
{
    unsigned char idb[8];
    for (int i = 0; i < 8; i++)
        idb[i] = (unsigned char)((uint64_t)batch_id >> (8 * i));
    uint32_t crc = em_crc32c(em_crc32c(0, idb, 8), p, n);
    uint32_t len = (uint32_t)n;
    for (int i = 0; i < 4; i++) {
        head[i] = (unsigned char)(len >> (8 * i));
        head[4 + i] = (unsigned char)(crc >> (8 * i));
    }
    memcpy(head + 8, idb, 8);
}

/* Reads every whole, intact record; truncates the file after the last one. */
static int log_open(em_ckpt *ck, ck_log *l, const char *name, em_errbuf *err)
{
    char path[4200];
    l->name = name;
    em_buf_init(&l->data, (size_t)1 << 36);
    if (path_of(ck, name, path, sizeof path))
        return em_errf(err, EM_ELIMIT, "checkpoint path too long: %s/%s", ck->dir, name);
    l->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (l->fd < 0)
        return em_errf(err, EM_EIO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(l->fd, &st))
        return em_errf(err, EM_EIO, "cannot stat %s: %s", path, strerror(errno));
    size_t size = (size_t)st.st_size, pos = 0;
    char *all = size ? em_malloc(size) : NULL;
    if (size && !all)
        return em_errf(err, EM_ENOMEM, "out of memory reading %s", path);
    size_t got = 0;
    while (got < size) {
        ssize_t r = pread(l->fd, all + got, size - got, (off_t)got);
        if (r <= 0) {
            if (r < 0 && errno == EINTR)
                continue;
            em_free(all);
            return em_errf(err, EM_EIO, "cannot read %s: %s", path,
                           r < 0 ? strerror(errno) : "file shrank");
        }
        got += (size_t)r;
    }
    int rc = 0;
    const char *why = NULL;
    while (pos < size) {
        if (size - pos < REC_HEAD) {
            why = "a torn record header";
            break;
        }
        em_dec d;
        em_dec_init(&d, all + pos, REC_HEAD);
        uint32_t len = em_dec_u32(&d), crc = em_dec_u32(&d);
        int64_t id = em_dec_i64(&d);
        if (len > REC_MAX || size - pos - REC_HEAD < len) {
            why = "a torn record";
            break;
        }
        if (em_crc32c(em_crc32c(0, all + pos + 8, 8), all + pos + REC_HEAD, len) != crc) {
            why = "a record with a bad checksum";
            break;
        }
        if ((rc = log_keep(l, id, all + pos + REC_HEAD, len)))
            break;
        pos += REC_HEAD + len;
    }
    em_free(all);
    if (rc)
        return em_errf(err, rc, "out of memory reading %s", path);
    if (why) {
        em_log_warn(ck->log, "checkpoint",
                    "%s: %s at byte %zu (a write cut short by a crash); dropping the %zu bytes "
                    "after the last good record",
                    path, why, pos, size - pos);
        if (ftruncate(l->fd, (off_t)pos) || fsync(l->fd))
            return em_errf(err, EM_EIO, "cannot truncate %s: %s", path, strerror(errno));
    }
    if (lseek(l->fd, (off_t)pos, SEEK_SET) < 0)
        return em_errf(err, EM_EIO, "cannot seek %s: %s", path, strerror(errno));
    return 0;
}

static void log_close(ck_log *l)
{
    if (l->fd > 0)
        close(l->fd);
    em_buf_release(&l->data);
    em_free(l->recs);
    em_free(l->view);
    memset(l, 0, sizeof *l);
}

static int log_append(em_ckpt *ck, ck_log *l, int64_t batch_id, const void *p, size_t n,
                      em_errbuf *err)
{
    if (n > REC_MAX)
        return em_errf(err, EM_ELIMIT, "%s: record of %zu bytes is too large", l->name, n);
    unsigned char head[REC_HEAD];
    frame(head, batch_id, p, n);
    if (write_all(l->fd, head, sizeof head) || write_all(l->fd, p, n) || fdatasync(l->fd))
        return em_errf(err, EM_EIO, "%s/%s: cannot append: %s", ck->dir, l->name,
                       strerror(errno));
    if (log_keep(l, batch_id, p, n))
        return em_errf(err, EM_ENOMEM, "out of memory");
    return 0;
}

/* Rewrites the log without the records at or below keep_after: written
 * aside, fsynced and renamed over the old file. */
static int log_compact(em_ckpt *ck, ck_log *l, int64_t keep_after, em_errbuf *err)
{
    size_t first = 0;
    while (first < l->n && l->recs[first].batch_id <= keep_after)
        first++;
    if (first == 0)
        return 0;
    char path[4200], tmp[4300];
    path_of(ck, l->name, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return em_errf(err, EM_EIO, "cannot create %s: %s", tmp, strerror(errno));
    em_buf nd;
    em_buf_init(&nd, (size_t)1 << 36);
    int rc = 0;
    for (size_t i = first; i < l->n && !rc; i++) {
        const ck_rec *r = &l->recs[i];
        const char *p = l->data.ptr + r->off;
        unsigned char head[REC_HEAD];
        frame(head, r->batch_id, p, r->n);
        rc = write_all(fd, head, sizeof head);
        if (!rc)
            rc = write_all(fd, p, r->n);
        if (!rc)
            rc = em_buf_append(&nd, p, r->n);
    }
    if (!rc && fsync(fd))
        rc = EM_EIO;
    if (rc || rename(tmp, path)) {
        close(fd);
        unlink(tmp);
        em_buf_release(&nd);
        return em_errf(err, rc ? rc : EM_EIO, "cannot rewrite %s: %s", path, strerror(errno));
    }
    close(l->fd);
    l->fd = fd; /* the renamed file, positioned at its end */
    int fd2 = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
    if (fd2 >= 0) {
        close(fd);
        l->fd = fd2;
    }
    size_t off = 0;
    for (size_t i = first; i < l->n; i++) {
        l->recs[i - first] = l->recs[i];
        l->recs[i - first].off = off;
        off += l->recs[i].n;
    }
    l->n -= first;
    em_buf_release(&l->data);
    l->data = nd;
    return 0;
}

/* ---- snapshots ---- */

static int snap_name(char *buf, size_t cap, int64_t batch_id)
{
    int n = snprintf(buf, cap, "snap-%020" PRId64 ".snap", batch_id);
    return n < 0 || (size_t)n >= cap ? EM_ELIMIT : 0;
}

static int cmp_desc(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Lists snapshot batch ids on disk, newest first, into ids (up to cap). */
static size_t list_snaps(const em_ckpt *ck, int64_t *ids, size_t cap)
{
    DIR *d = opendir(ck->dir);
    size_t n = 0;
    if (!d)
        return 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        long long id;
        char tail[8];
        if (sscanf(de->d_name, "snap-%lld.%7s", &id, tail) == 2 && !strcmp(tail, "snap") &&
            n < cap)
            ids[n++] = id;
    }
    closedir(d);
    qsort(ids, n, sizeof *ids, cmp_desc);
    return n;
}

int em_ckpt_write_snapshot(em_ckpt *ck, int64_t batch_id, const void *p, size_t n,
                           em_errbuf *err)
{
    char name[64], path[4200], tmp[4300];
    snap_name(name, sizeof name, batch_id);
    if (path_of(ck, name, path, sizeof path))
        return em_errf(err, EM_ELIMIT, "checkpoint path too long");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    em_buf head;
    em_buf_init(&head, 64);
    int rc = em_buf_append(&head, SNAP_MAGIC, 8);
    if (!rc)
        rc = em_enc_i64(&head, batch_id);
    if (!rc)
        rc = em_enc_u64(&head, n);
    if (!rc)
        rc = em_enc_u32(&head, em_crc32c(0, p, n));
    if (rc) {
        em_buf_release(&head);
        return em_errf(err, rc, "out of memory");
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        em_buf_release(&head);
        return em_errf(err, EM_EIO, "cannot create %s: %s", tmp, strerror(errno));
    }
    rc = write_all(fd, head.ptr, head.len);
    em_buf_release(&head);
    if (!rc)
        rc = write_all(fd, p, n);
    if (!rc && fsync(fd))
        rc = EM_EIO;
    int e = errno;
    close(fd);
    if (rc || rename(tmp, path) || sync_dir(ck->dir)) {
        unlink(tmp);
        return em_errf(err, EM_EIO, "cannot write snapshot %s: %s", path,
                       strerror(rc ? e : errno));
    }
    /* retention: keep the SNAP_KEEP newest; logs keep what they need */
    int64_t ids[256];
    size_t ns = list_snaps(ck, ids, 256);
    for (size_t i = SNAP_KEEP; i < ns; i++) {
        char old[64], op[4200];
        snap_name(old, sizeof old, ids[i]);
        if (!path_of(ck, old, op, sizeof op))
            unlink(op);
    }
    int64_t oldest = ns >= SNAP_KEEP ? ids[SNAP_KEEP - 1] : 0;
    if (oldest > 0) {
        if ((rc = log_compact(ck, &ck->offsets, oldest, err)) ||
            (rc = log_compact(ck, &ck->commits, oldest, err)))
            return rc;
    }
    return 0;
}

int em_ckpt_load_snapshot(em_ckpt *ck, int64_t skip_newer, int64_t *batch_id, em_buf *out,
                          em_errbuf *err)
{
    int64_t ids[256];
    size_t ns = list_snaps(ck, ids, 256);
    em_buf_reset(out);
    *batch_id = 0;
    for (size_t i = 0; i < ns; i++) {
        if (skip_newer && ids[i] >= skip_newer)
            continue;
        char name[64], path[4200];
        snap_name(name, sizeof name, ids[i]);
        path_of(ck, name, path, sizeof path);
        FILE *f = fopen(path, "rb");
        const char *why = NULL;
        if (!f) {
            why = strerror(errno);
        } else {
            unsigned char h[28];
            if (fread(h, 1, sizeof h, f) != sizeof h || memcmp(h, SNAP_MAGIC, 8)) {
                why = "not a snapshot file (bad header)";
            } else {
                em_dec d;
                em_dec_init(&d, h + 8, 20);
                int64_t id = em_dec_i64(&d);
                uint64_t len = em_dec_u64(&d);
                uint32_t crc = em_dec_u32(&d);
                em_buf_reset(out);
                if (id != ids[i] || len > ((uint64_t)1 << 36)) {
                    why = "header does not match its name";
                } else if (em_buf_reserve(out, (size_t)len)) {
                    fclose(f);
                    return em_errf(err, EM_ENOMEM, "out of memory loading %s", path);
                } else if (fread(out->ptr, 1, (size_t)len, f) != len) {
                    why = "truncated";
                } else if (out->len = (size_t)len, em_crc32c(0, out->ptr, out->len) != crc) {
                    why = "checksum mismatch";
                }
            }
            fclose(f);
        }
        if (!why) {
            *batch_id = ids[i];
            return 0;
        }
        em_buf_reset(out);
        em_log_warn(ck->log, "checkpoint", "snapshot %s is unusable (%s); falling back to %s",
                    path, why, i + 1 < ns ? "the previous snapshot" : "replaying the logs");
    }
    return 0;
}

/* ---- directory ---- */

int em_ckpt_open(em_ckpt **out, const char *dir, em_logger *log, em_errbuf *err)
{
    em_ckpt *ck = em_calloc(1, sizeof *ck);
    if (!ck || !(ck->dir = em_strdup(dir))) {
        em_free(ck);
        return em_errf(err, EM_ENOMEM, "out of memory");
    }
    ck->log = log;
    ck->offsets.fd = ck->commits.fd = -1;
    int rc = 0;
    if (mkdirs(dir))
        rc = em_errf(err, EM_EIO, "cannot create checkpoint directory %s: %s", dir,
                     strerror(errno));
    if (!rc)
        rc = log_open(ck, &ck->offsets, "offsets.log", err);
    if (!rc)
        rc = log_open(ck, &ck->commits, "commits.log", err);
    if (rc) {
        em_ckpt_close(ck);
        return rc;
    }
    for (size_t i = 0; i < ck->commits.n; i++)
        if (ck->commits.recs[i].batch_id > ck->last_commit)
            ck->last_commit = ck->commits.recs[i].batch_id;
    *out = ck;
    return 0;
}

void em_ckpt_close(em_ckpt *ck)
{
    if (!ck)
        return;
    log_close(&ck->offsets);
    log_close(&ck->commits);
    em_free(ck->dir);
    em_free(ck);
}

int em_ckpt_append_offsets(em_ckpt *ck, int64_t batch_id, const void *p, size_t n,
                           em_errbuf *err)
{
    return log_append(ck, &ck->offsets, batch_id, p, n, err);
}

int em_ckpt_append_commit(em_ckpt *ck, int64_t batch_id, em_errbuf *err)
{
    int rc = log_append(ck, &ck->commits, batch_id, "", 0, err);
    if (!rc && batch_id > ck->last_commit)
        ck->last_commit = batch_id;
    return rc;
}

const em_ckpt_rec *em_ckpt_offsets(em_ckpt *ck, size_t *n)
{
    ck_log *l = &ck->offsets;
    em_free(l->view);
    l->view = l->n ? em_malloc(l->n * sizeof *l->view) : NULL;
    *n = l->view ? l->n : 0;
    for (size_t i = 0; i < *n; i++)
        l->view[i] = (em_ckpt_rec){l->recs[i].batch_id, l->data.ptr + l->recs[i].off,
                                   l->recs[i].n};
    return l->view;
}

int64_t em_ckpt_last_commit(const em_ckpt *ck)
{
    return ck->last_commit;
}

int em_ckpt_sink_dir(em_ckpt *ck, const char *name, char *buf, size_t cap, em_errbuf *err)
{
    int n = snprintf(buf, cap, "%s/sinks/%s", ck->dir, name);
    if (n < 0 || (size_t)n >= cap)
        return em_errf(err, EM_ELIMIT, "checkpoint path too long for sink %s", name);
    if (mkdirs(buf))
        return em_errf(err, EM_EIO, "cannot create %s: %s", buf, strerror(errno));
    return 0;
}

uint64_t em_ckpt_disk_bytes(const em_ckpt *ck)
{
    uint64_t total = 0;
    DIR *d = opendir(ck->dir);
    if (!d)
        return 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char p[4200];
        struct stat st;
        if (de->d_name[0] != '.' && !path_of(ck, de->d_name, p, sizeof p) && !stat(p, &st) &&
            S_ISREG(st.st_mode))
            total += (uint64_t)st.st_size;
    }
    closedir(d);
    return total;
}

int64_t em_ckpt_oldest_snapshot(const em_ckpt *ck)
{
    int64_t ids[256];
    size_t n = list_snaps(ck, ids, 256);
    return n ? ids[n < SNAP_KEEP ? n - 1 : SNAP_KEEP - 1] : 0;
}
