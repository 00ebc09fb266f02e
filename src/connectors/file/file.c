/*
 * connectors/file/file.c - the `file` connector.
 *
 * Source: reads NDJSON or CSV records, one per line, from a file or from
 * every regular file of a directory (in name order). Bounded by default;
 * with follow = true it keeps reading a growing file (and, for a directory,
 * picks up new files) and never ends. Lines are handed to the engine, which
 * parses them; a line longer than max_line is reported as a bad record and
 * skipped. Position: file index and byte offset.
 *
 * A regular file read without follow is mapped (mmap) a window at a time
 * instead of read() into a buffer: lines are handed to the engine straight
 * from the page cache, with no copy. A window is MAP_WINDOW bytes plus
 * max_line (so a line that starts in it ends in it), is mapped from the page
 * holding the next unread byte, and is unmapped as soon as the next one is
 * mapped, so the mapped pages resident at once stay around MAP_WINDOW
 * bytes. The file's size is taken again at its end, so lines appended while
 * it is read are still read, as with read(). Truncating an input file while
 * a job reads it is not supported (as with any mapped file, the process
 * would get SIGBUS); follow = true (a growing file) and anything that is not
 * a regular file use read().
 *
 * Sink: appends the job's output, one line per row, to a file; the
 * micro-batch's rows are buffered and written at commit. With rotate_size
 * or rotate_interval, the file is closed after the commit that reaches the
 * size or age and renamed aside with its UTC time before its extension
 * (out.jsonl -> out.20240501T120000.000Z.jsonl); writing goes on in a new
 * file at path. A batch never spans two files; every CSV file gets a header.
 */
#include "connectors/registry.h"
#include "core/clock.h"
#include "core/mem.h"
#include "core/str.h"
#include "ember/error.h"
#include "formats/format.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const em_option_def file_options[] = {
    {"path", EM_OPT_STRING, NULL, 0, 0, NULL, EM_OPT_REQUIRED,
     "file to read or write; a source may name a directory"},
    {"format", EM_OPT_ENUM, "json", 0, 0, "json|csv|influx|line_protocol", 0,
     "record format (influx: sources only)"},
    {"follow", EM_OPT_BOOL, "false", 0, 0, NULL, 0, "source: keep reading as the file grows"},
    {"timestamp_unit", EM_OPT_ENUM, "ms", 0, 0, "s|ms|us|ns", 0,
     "unit of numeric TIMESTAMP values"},
    {"max_line", EM_OPT_INT, "1048576", 64, 1073741824, NULL, 0, "longest accepted line, bytes"},
    {"append", EM_OPT_BOOL, "false", 0, 0, NULL, 0, "sink: append instead of truncating"},
    {"rotate_size", EM_OPT_INT, "0", 0, 1e15, NULL, 0,
     "sink: rotate once the file holds this many bytes (0 = never)"},
    {"rotate_interval", EM_OPT_DURATION, "0s", 0, 1e7, NULL, 0,
     "sink: rotate a non-empty file this long after it was opened (0 = never)"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

#define READ_CHUNK (256 * 1024)
#define MAP_WINDOW (1024 * 1024) /* a multiple of every page size */

typedef struct file_conn {
    em_conn_ctx *cx;
    char *path;
    bool follow;
    /* source */
    char **files;          /* the files to read (one, or a directory's) */
    uint32_t nfiles, cur;
    int fd;
    uint64_t offset;       /* byte offset of buf[0] in the current file */
    uint64_t line;         /* line number of the next line */
    char *buf;             /* READ_CHUNK + max_line (read mode only) */
    size_t len, cap, max_line;
    /* map mode: [map_off, map_off + map_len) of the file is mapped at map */
    bool mapped;           /* the current file is read through mmap */
    char *map;
    size_t map_len;
    uint64_t map_off, size;
    bool skipping;         /* inside an over-long line */
    char *where;           /* "FILE:LINE" of the current line, for messages */
    size_t where_prefix;   /* length of "FILE:" */
    size_t where_len;
    /* sink */
    em_writer *writer;
    em_buf out;
    int out_fd;
    /* sink with a checkpoint: the manifest says which batch the file
     * holds up to and how long it was then (exactly-once) */
    char *manifest;        /* path, or NULL without a checkpoint */
    int64_t committed;     /* last batch id in the file */
    uint64_t length;       /* file length after it */
    int64_t rotate_size, rotate_us;
    uint64_t out_bytes;    /* bytes in the current output file */
    uint64_t kicked;       /* out_bytes when its writeback was last started */
    int64_t opened_us;     /* when it was opened */
} file_conn;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the input files: path itself, or the regular files of a directory. */
static int list_files(file_conn *f)
{
    struct stat st;
    if (stat(f->path, &st) != 0) {
        if (f->follow && errno == ENOENT)
            return 0; /* will appear later */
        em_conn_log(f->cx, 0, "cannot open '%s': %s", f->path, strerror(errno));
        return EM_EIO;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (f->nfiles == 0) {
            f->files = em_calloc(1, sizeof *f->files);
            if (!f->files || !(f->files[0] = em_strdup(f->path)))
                return EM_ENOMEM;
            f->nfiles = 1;
        }
        return 0;
    }
    DIR *d = opendir(f->path);
    if (!d) {
        em_conn_log(f->cx, 0, "cannot read directory '%s': %s", f->path, strerror(errno));
        return EM_EIO;
    }
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) != NULL && !rc) {
        if (de->d_name[0] == '.')
            continue;
        char full[4096];
        snprintf(full, sizeof full, "%s/%s", f->path, de->d_name);
        if (stat(full, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        bool known = false;
        for (uint32_t i = 0; i < f->nfiles && !known; i++)
            known = strcmp(f->files[i], full) == 0;
        if (known)
            continue;
        char **v = em_realloc(f->files, (f->nfiles + 1) * sizeof *v);
        if (!v || !(v[f->nfiles] = em_strdup(full))) {
            if (v)
                f->files = v;
            rc = EM_ENOMEM;
            break;
        }
        f->files = v;
        f->nfiles++;
    }
    closedir(d);
    /* new files sort after the ones already read: only sort the unread tail */
    if (!rc && f->nfiles > f->cur + 1)
        qsort(f->files + f->cur + (f->fd >= 0), f->nfiles - f->cur - (f->fd >= 0),
              sizeof *f->files, cmp_str);
    return rc;
}

static int file_init(void **self, em_conn_ctx *cx, unsigned kind)
{
    const em_options *o = em_conn_options(cx);
    file_conn *f = em_calloc(1, sizeof *f);
    if (!f)
        return EM_ENOMEM;
    f->cx = cx;
    f->fd = -1;
    f->out_fd = -1;
    f->follow = em_opt_bool(o, "follow");
    em_conn_bounded(cx, !f->follow);
    f->max_line = (size_t)em_opt_int(o, "max_line");
    f->path = em_strdup(em_opt_str(o, "path"));
    em_buf_init(&f->out, (size_t)1 << 34);
    if (!f->path)
        goto oom;
    if (kind == EM_CONNECTOR_SINK) {
        em_errbuf err;
        if (em_writer_create(&f->writer, em_opt_str(o, "format"), em_conn_schema(cx), &err)) {
            em_conn_log(cx, 0, "%s", err.msg);
            em_free(f->path);
            em_free(f);
            return EM_EINVAL;
        }
    }
    *self = f;
    return 0;
oom:
    em_free(f);
    return EM_ENOMEM;
}

/* Reads the sink's manifest ("batch length"): 0 if there is one, 1 if not. */
static int read_manifest(file_conn *f)
{
    FILE *m = fopen(f->manifest, "r");
    if (!m)
        return 1;
    long long b, l;
    int ok = fscanf(m, "%lld %lld", &b, &l) == 2 && b >= 0 && l >= 0;
    fclose(m);
    if (!ok)
        return 1;
    f->committed = b;
    f->length = (uint64_t)l;
    return 0;
}

/* With a checkpoint, the output file is cut back to what the last
 * committed batch left (a crash may have written part of the next one),
 * and batches up to that one are skipped when they are replayed. */
static int open_sink_exactly_once(file_conn *f, const char *dir)
{
    size_t n = strlen(dir) + sizeof "/manifest";
    if (!(f->manifest = em_malloc(n)))
        return EM_ENOMEM;
    snprintf(f->manifest, n, "%s/manifest", dir);
    f->out_fd = open(f->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (f->out_fd < 0) {
        em_conn_log(f->cx, 0, "cannot open '%s' for writing: %s", f->path, strerror(errno));
        return EM_EIO;
    }
    if (read_manifest(f)) {
        /* first run with this checkpoint: a fresh file, or after what is
         * there when appending */
        struct stat st;
        f->committed = 0;
        f->length = em_opt_bool(em_conn_options(f->cx), "append") && !fstat(f->out_fd, &st)
                        ? (uint64_t)st.st_size
                        : 0;
    }
    struct stat now;
    if (!fstat(f->out_fd, &now) && (uint64_t)now.st_size < f->length)
        f->length = (uint64_t)now.st_size; /* rotated after the manifest was written */
    if (ftruncate(f->out_fd, (off_t)f->length) || lseek(f->out_fd, 0, SEEK_END) < 0) {
        em_conn_log(f->cx, 0, "cannot resume '%s' at byte %llu: %s", f->path,
                    (unsigned long long)f->length, strerror(errno));
        return EM_EIO;
    }
    if (f->length)
        em_writer_continue(f->writer);
    if (f->committed)
        em_conn_log(f->cx, 2, "resuming '%s' after batch %lld (%llu bytes)", f->path,
                    (long long)f->committed, (unsigned long long)f->length);
    return 0;
}

static int file_start(void *self)
{
    file_conn *f = self;
    if (f->writer) {
        const char *dir = em_conn_state_dir(f->cx);
        if (dir) {
            int rc = open_sink_exactly_once(f, dir);
            if (rc)
                return rc;
        } else {
            int flags = O_WRONLY | O_CREAT | O_CLOEXEC |
                        (em_opt_bool(em_conn_options(f->cx), "append") ? O_APPEND : O_TRUNC);
            f->out_fd = open(f->path, flags, 0644);
            if (f->out_fd < 0) {
                em_conn_log(f->cx, 0, "cannot open '%s' for writing: %s", f->path,
                            strerror(errno));
                return EM_EIO;
            }
        }
        struct stat st;
        f->out_bytes = fstat(f->out_fd, &st) == 0 ? (uint64_t)st.st_size : 0;
        f->opened_us = em_wall_us();
        f->rotate_size = em_opt_int(em_conn_options(f->cx), "rotate_size");
        f->rotate_us = em_opt_duration_us(em_conn_options(f->cx), "rotate_interval");
        return 0;
    }
    f->cap = READ_CHUNK + f->max_line;
    return list_files(f);
}

/* f->where is "FILE:LINE" for the current line, kept up to date per record
 * without formatting: the line number's digits are counted up in place
 * (f->where_len is the length of the whole string). */
static void where_reset(file_conn *f)
{
    f->where[f->where_prefix] = '1';
    f->where[f->where_prefix + 1] = 0;
    f->where_len = f->where_prefix + 1;
}

/* f->where for f->line after lines were consumed in bulk. */
static void where_format(file_conn *f)
{
    int k = snprintf(f->where + f->where_prefix, 22, "%" PRIu64, (uint64_t)f->line);
    f->where_len = f->where_prefix + (size_t)(k > 0 ? k : 0);
}

static void where_next_line(file_conn *f)
{
    char *d = f->where + f->where_prefix;
    size_t i = f->where_len - f->where_prefix;
    while (i > 0 && d[i - 1] == '9')
        d[--i] = '0';
    if (i > 0) {
        d[i - 1]++;
        return;
    }
    /* 99..9 + 1: one more digit */
    memmove(d + 1, d, f->where_len - f->where_prefix + 1);
    d[0] = '1';
    f->where_len++;
}

/* Opens the next unread file; returns 1 if one is open, 0 if none, -1 when
 * out of memory. */
static int open_next(file_conn *f)
{
    while (f->fd < 0 && f->cur < f->nfiles) {
        f->fd = open(f->files[f->cur], O_RDONLY | O_CLOEXEC);
        if (f->fd < 0) {
            em_conn_log(f->cx, 1, "skipping '%s': %s", f->files[f->cur], strerror(errno));
            f->cur++;
            continue;
        }
        f->offset = 0;
        f->len = 0;
        f->line = 1;
        f->skipping = false;
        struct stat st;
        f->mapped = !f->follow && fstat(f->fd, &st) == 0 && S_ISREG(st.st_mode);
        f->size = f->mapped ? (uint64_t)st.st_size : 0;
        if (!f->mapped && !f->buf && !(f->buf = em_malloc(f->cap))) {
            close(f->fd);
            f->fd = -1;
            return -1;
        }
        size_t plen = strlen(f->files[f->cur]);
        char *w = em_realloc(f->where, plen + 24);
        if (!w) {
            close(f->fd);
            f->fd = -1;
            return -1;
        }
        f->where = w;
        memcpy(w, f->files[f->cur], plen);
        w[plen] = ':';
        f->where_prefix = plen + 1;
        where_reset(f);
    }
    return f->fd >= 0;
}

/* Hands the complete lines of data[0..len) (the file's bytes from
 * f->offset on) to the engine, up to the poll's room; *used gets the bytes
 * consumed (f->offset moves past them). A partial last line is left unless
 * at_eof; one that is already max_line long is reported and consumed, and
 * the rest of it skipped when it comes. */
static int deliver_lines(file_conn *f, em_source_out *out, const char *data, size_t len,
                         bool at_eof, size_t *used)
{
    size_t pos = 0;
    bool partial = false; /* stopped at a line without its newline */
    *used = 0;
    while (pos < len) {
        if (!f->skipping) { /* the clean lines in one call */
            size_t got;
            int stopped;
            uint32_t k = em_source_out_lines(out, data + pos, len - pos, f->max_line, &got, &stopped);
            if (k) {
                pos += got;
                f->line += k;
                where_format(f);
            }
            if (!stopped) { /* the engine has no room, or a partial line is left */
                if (pos == len || em_source_out_room(out) == 0)
                    break;
                if (!at_eof) {
                    partial = true;
                    break;
                }
                /* the file's last line, without its newline: below */
            }
        }
        /* one line the bulk call left: a bad record (reported with its
         * line number), one over max_line, or an over-long line's tail */
        if (em_source_out_room(out) == 0)
            break;
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) : len;
        if (!nl && !at_eof) {
            partial = true;
            break;
        }
        size_t n = end - pos;
        if (f->skipping) {
            f->skipping = false; /* tail of an over-long line */
        } else {
            size_t m = n;
            if (m && data[pos + m - 1] == '\r')
                m--;
            int rc = 0;
            if (m > f->max_line) /* whole, but too long all the same */
                em_conn_log(f->cx, 1,
                            "bad record at %s: line longer than max_line (%zu bytes); skipped",
                            f->where, f->max_line);
            else
                rc = em_source_out_record(out, data + pos, m, f->where);
            if (rc) {
                *used = pos;
                f->offset += pos;
                return rc;
            }
        }
        f->line++;
        where_next_line(f);
        pos = end + (nl != NULL);
    }
    f->offset += pos;
    if (partial && len - pos > f->max_line) {
        /* an over-long line: report it once, drop what we have, skip the rest */
        em_conn_log(f->cx, 1, "bad record at %s: line longer than max_line (%zu bytes); skipped",
                    f->where, f->max_line);
        f->offset += len - pos;
        pos = len;
        f->skipping = true;
    }
    *used = pos;
    return 0;
}

/* deliver_lines over the read buffer, which then keeps the unread tail. */
static int deliver_buf(file_conn *f, em_source_out *out, bool at_eof)
{
    size_t used;
    int rc = deliver_lines(f, out, f->buf, f->len, at_eof, &used);
    if (used) {
        memmove(f->buf, f->buf + used, f->len - used);
        f->len -= used;
    }
    return rc;
}

static void unmap(file_conn *f)
{
    if (f->map)
        munmap(f->map, f->map_len);
    f->map = NULL;
    f->map_len = 0;
}

/* Closes the current file (and its mapping). */
static void close_current(file_conn *f)
{
    unmap(f);
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    f->len = 0;
}

/* Map mode: makes sure the mapping holds f->offset and the max_line + 1
 * bytes after it (or the file's end): the current window if it does, else a
 * new one from the page holding f->offset, MAP_WINDOW + max_line + 1 bytes
 * (max_line + 1: a line of max_line bytes and its newline). Returns 0 or
 * EM_EIO. */
static int map_window(file_conn *f)
{
    uint64_t mend = f->map_off + f->map_len;
    if (f->map && f->offset >= f->map_off && (mend >= f->size || f->offset + f->max_line < mend))
        return 0;
    unmap(f);
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    uint64_t start = f->offset - f->offset % page, end = start + MAP_WINDOW + f->max_line + 1;
    if (end > f->size)
        end = f->size;
    if (end <= start)
        return 0;
    void *m = mmap(NULL, (size_t)(end - start), PROT_READ, MAP_PRIVATE, f->fd, (off_t)start);
    if (m == MAP_FAILED) {
        em_conn_log(f->cx, 0, "cannot map '%s' at byte %llu: %s", f->files[f->cur],
                    (unsigned long long)start, strerror(errno));
        return EM_EIO;
    }
    madvise(m, (size_t)(end - start), MADV_SEQUENTIAL);
#ifdef MADV_POPULATE_READ
    /* the window's page table entries in one call (Linux 5.14+; an older
     * kernel says EINVAL and the pages fault in as read): faulting them
     * in one by one cost as much as parsing a third of the records */
    uint64_t pop = end - start < MAP_WINDOW ? end - start : MAP_WINDOW;
    madvise(m, (size_t)pop, MADV_POPULATE_READ);
#endif
    f->map = m;
    f->map_off = start;
    f->map_len = (size_t)(end - start);
    return 0;
}

/* Map mode: delivers from the current file until the poll's room is used
 * or the file ends. Returns 0 (room used, or the file is done: f->fd < 0),
 * or an error. */
static int poll_mapped(file_conn *f, em_source_out *out)
{
    while (em_source_out_room(out) > 0) {
        if (f->offset >= f->size) {
            struct stat st; /* appended since it was opened? */
            if (fstat(f->fd, &st) == 0 && (uint64_t)st.st_size > f->size) {
                f->size = (uint64_t)st.st_size;
                continue;
            }
            close_current(f);
            f->cur++;
            return 0;
        }
        int rc = map_window(f);
        if (rc)
            return rc;
        size_t at = (size_t)(f->offset - f->map_off), used;
        bool at_eof = f->map_off + f->map_len >= f->size;
        if (at_eof) { /* the last window: is there more now? */
            struct stat st;
            if (fstat(f->fd, &st) == 0 && (uint64_t)st.st_size > f->size) {
                f->size = (uint64_t)st.st_size;
                continue;
            }
        }
        if ((rc = deliver_lines(f, out, f->map + at, f->map_len - at, at_eof, &used)))
            return rc;
    }
    return 0;
}

static int file_poll(void *self, em_source_out *out)
{
    file_conn *f = self;
    if (f->follow && f->fd < 0 && f->cur >= f->nfiles) {
        int rc = list_files(f);
        if (rc)
            return rc;
    }
    while (em_source_out_room(out) > 0) {
        int open = open_next(f);
        if (open < 0)
            return EM_ENOMEM;
        if (!open)
            return f->follow ? 0 : EM_EOF;
        if (f->mapped) {
            int rc = poll_mapped(f, out);
            if (rc)
                return rc;
            continue;
        }
        int rc = deliver_buf(f, out, false);
        if (rc)
            return rc;
        if (em_source_out_room(out) == 0)
            return 0;
        ssize_t n = read(f->fd, f->buf + f->len, f->cap - f->len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            em_conn_log(f->cx, 0, "read error on '%s': %s", f->files[f->cur], strerror(errno));
            return EM_EIO;
        }
        if (n > 0) {
            f->len += (size_t)n;
            continue;
        }
        /* end of this file for now */
        if (f->follow && f->cur + 1 >= f->nfiles) {
            list_files(f);
            if (f->cur + 1 >= f->nfiles)
                return deliver_buf(f, out, false); /* wait for more */
        }
        if ((rc = deliver_buf(f, out, true)))
            return rc;
        if (f->len > 0)
            return 0; /* no room left for the last line yet */
        close_current(f);
        f->cur++;
    }
    return 0;
}

/* Position: "OFFSET:LINE:PATH" of the next byte to deliver, or
 * "E:0:PATH" once PATH (the last file opened) is done; empty before the
 * first file is opened. Named by path, not index, so files appearing in a
 * directory do not shift it. */
static int file_position(void *self, char *buf, size_t cap)
{
    file_conn *f = self;
    int n = 0;
    if (f->fd >= 0)
        n = snprintf(buf, cap, "%llu:%llu:%s", (unsigned long long)f->offset,
                     (unsigned long long)f->line, f->files[f->cur]);
    else if (f->cur > 0)
        n = snprintf(buf, cap, "E:0:%s", f->files[f->cur - 1]);
    return n < 0 || (size_t)n >= cap ? EM_ELIMIT : n;
}

static int file_seek(void *self, const char *pos, size_t n)
{
    file_conn *f = self;
    char tmp[4200];
    if (n >= sizeof tmp)
        return EM_EINVAL;
    memcpy(tmp, pos, n);
    tmp[n] = 0;
    char *c1 = strchr(tmp, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2)
        return EM_EINVAL;
    *c1 = *c2 = 0;
    const char *path = c2 + 1;
    uint32_t i = 0;
    while (i < f->nfiles && strcmp(f->files[i], path))
        i++;
    if (i == f->nfiles) {
        em_conn_log(f->cx, 0, "cannot resume: '%s' (read up to %s) is gone", path, tmp);
        return EM_ENOTFOUND;
    }
    close_current(f);
    f->skipping = false;
    if (!strcmp(tmp, "E")) {
        f->cur = i + 1;
        return 0;
    }
    char *end;
    unsigned long long off = strtoull(tmp, &end, 10), line = strtoull(c1 + 1, NULL, 10);
    if (*end)
        return EM_EINVAL;
    f->cur = i;
    if (!open_next(f) || f->cur != i)
        return EM_EIO;
    if (!f->mapped && lseek(f->fd, (off_t)off, SEEK_SET) < 0) {
        em_conn_log(f->cx, 0, "cannot seek '%s' to byte %llu: %s", path, off, strerror(errno));
        return EM_EIO;
    }
    f->offset = off;
    f->line = line;
    return 0;
}

static int file_write(void *self, const em_batch *b, int64_t batch_id)
{
    file_conn *f = self;
    if (f->manifest && batch_id <= f->committed)
        return 0; /* a replayed batch the file already holds */
    return em_writer_write(f->writer, b, &f->out);
}

/* Records that the file holds everything up to batch_id: data synced
 * first, then the manifest written aside and renamed over the old one. */
static int write_manifest(file_conn *f, int64_t batch_id, uint64_t length)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", f->manifest);
    FILE *m = fopen(tmp, "w");
    int ok = m && fprintf(m, "%lld %llu\n", (long long)batch_id, (unsigned long long)length) > 0;
    ok = m && fflush(m) == 0 && ok && fsync(fileno(m)) == 0;
    if (m)
        fclose(m);
    if (!ok || rename(tmp, f->manifest)) {
        em_conn_log(f->cx, 0, "cannot write '%s': %s", f->manifest, strerror(errno));
        return EM_EIO;
    }
    return 0;
}

/* Closes the output file, renames it aside with the current UTC time
 * before its extension, and opens a new one at path. */
static int rotate(file_conn *f)
{
    char stamp[32], aside[4200];
    size_t n = em_ts_format(em_wall_us(), stamp); /* 2024-05-01T12:00:00.000Z */
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (stamp[i] != '-' && stamp[i] != ':')
            stamp[k++] = stamp[i];
    stamp[k] = '\0';
    const char *slash = strrchr(f->path, '/');
    const char *dot = strrchr(slash ? slash + 1 : f->path, '.');
    int base = dot && dot != (slash ? slash + 1 : f->path) ? (int)(dot - f->path)
                                                           : (int)strlen(f->path);
    snprintf(aside, sizeof aside, "%.*s.%s%s", base, f->path, stamp, f->path + base);
    for (int i = 1; access(aside, F_OK) == 0 && i < 1000; i++)
        snprintf(aside, sizeof aside, "%.*s.%s-%d%s", base, f->path, stamp, i, f->path + base);
    if (fsync(f->out_fd) != 0 && errno != EINVAL)
        em_conn_log(f->cx, 1, "fsync of '%s' failed: %s", f->path, strerror(errno));
    close(f->out_fd);
    f->out_fd = -1;
    int renamed = rename(f->path, aside) == 0;
    if (!renamed) /* keep appending to the same file */
        em_conn_log(f->cx, 0, "cannot rotate '%s' to '%s': %s", f->path, aside, strerror(errno));
    f->out_fd = open(f->path, O_WRONLY | O_CREAT | O_CLOEXEC | (renamed ? O_TRUNC : O_APPEND),
                     0644);
    if (f->out_fd < 0) {
        em_conn_log(f->cx, 0, "cannot open '%s' for writing: %s", f->path, strerror(errno));
        return EM_EIO;
    }
    if (!renamed)
        return EM_EIO;
    f->writer->wrote_header = 0; /* a CSV header in every file */
    f->out_bytes = 0;
    f->kicked = 0;
    f->opened_us = em_wall_us();
    em_conn_log(f->cx, 3, "rotated to '%s'", aside);
    return 0;
}

static int file_commit(void *self, int64_t batch_id)
{
    file_conn *f = self;
    if (!f->writer) /* a source: nothing to acknowledge (its input is never opened to write) */
        return 0;
    if (f->manifest && batch_id <= f->committed)
        return 0;
    size_t off = 0;
    if (f->out_fd < 0 &&
        (f->out_fd = open(f->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0) {
        em_conn_log(f->cx, 0, "cannot open '%s' for writing: %s", f->path, strerror(errno));
        em_buf_reset(&f->out);
        return EM_EIO;
    }
    while (off < f->out.len) {
        ssize_t n = write(f->out_fd, f->out.ptr + off, f->out.len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            em_conn_log(f->cx, 0, "write to '%s' failed: %s", f->path, strerror(errno));
            em_buf_reset(&f->out); /* the engine retries the batch from its first write */
            return EM_EIO;
        }
        off += (size_t)n;
    }
    f->out_bytes += f->out.len;
    em_buf_reset(&f->out);
#ifdef SYNC_FILE_RANGE_WRITE
    /* start the disk writes of each further 8 MiB now, without waiting, so
     * the fsync at stop (or a checkpoint's) has little left to do: 58 MB
     * of output otherwise waited ~25 ms in the last fsync */
    if (f->out_bytes - f->kicked >= (8u << 20)) {
        (void)sync_file_range(f->out_fd, 0, 0, SYNC_FILE_RANGE_WRITE);
        f->kicked = f->out_bytes;
    }
#endif
    if (f->manifest) {
        if (fdatasync(f->out_fd)) {
            em_conn_log(f->cx, 0, "fsync of '%s' failed: %s", f->path, strerror(errno));
            return EM_EIO;
        }
        int rc = write_manifest(f, batch_id, f->length + off);
        if (rc)
            return rc;
        f->committed = batch_id;
        f->length += off;
    }
    if (f->out_bytes > 0 &&
        ((f->rotate_size && f->out_bytes >= (uint64_t)f->rotate_size) ||
         (f->rotate_us && em_wall_us() - f->opened_us >= f->rotate_us)))
        if (!rotate(f) && f->manifest) { /* the batch is written: a failed rotation is only logged */
            f->length = 0; /* a new, empty file */
            if (write_manifest(f, batch_id, 0))
                return EM_EIO;
        }
    return 0;
}

static int file_stop(void *self)
{
    file_conn *f = self;
    close_current(f);
    if (f->out_fd >= 0) {
        if (fsync(f->out_fd) != 0 && errno != EINVAL)
            em_conn_log(f->cx, 1, "fsync of '%s' failed: %s", f->path, strerror(errno));
        close(f->out_fd);
    }
    f->out_fd = -1;
    return 0;
}

static void file_destroy(void *self)
{
    file_conn *f = self;
    if (!f)
        return;
    file_stop(f);
    for (uint32_t i = 0; i < f->nfiles; i++)
        em_free(f->files[i]);
    em_free(f->files);
    em_free(f->buf);
    em_free(f->where);
    em_free(f->path);
    em_free(f->manifest);
    em_writer_destroy(f->writer);
    em_buf_release(&f->out);
    em_free(f);
}

const em_connector em_connector_file = {
    .abi = EM_CONNECTOR_ABI,
    .name = "file",
    .kinds = EM_CONNECTOR_SOURCE | EM_CONNECTOR_SINK,
    .options = file_options,
    .help = "read or write NDJSON/CSV files (a source may read a directory)",
    .init = file_init,
    .start = file_start,
    .poll = file_poll,
    .write = file_write,
    .commit = file_commit,
    .position = file_position,
    .seek = file_seek,
    .stop = file_stop,
    .destroy = file_destroy,
};
