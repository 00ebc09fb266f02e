/*
 * durable/wal.h - the write-ahead log of push sources (HTTP ingest, MQTT,
 * TCP): what a device sent is durable before it is acknowledged.
 *
 * Records are appended by any thread (a request handler, a broker client
 * callback) and read in order by the source on the scheduler thread. An
 * append returns once its records are on disk: concurrent appends share
 * one write and one fdatasync (group commit), so many small requests cost
 * one sync per flush, not one each. A record's position is its byte offset
 * in the log as a whole; a source's position in the offsets log is the WAL
 * position it has read up to, so a replay after a crash re-reads exactly
 * the same records.
 *
 * On disk: DIR/wal-<first position>.log segments of about segment_bytes,
 * each a run of [u32 length][u32 CRC-32C][bytes]. Opening drops a torn
 * tail. Segments wholly before the position no recovery can need
 * (em_wal_release) are deleted. Above quota_bytes of unreleased data an
 * append is refused with EM_EAGAIN: the source pushes back (HTTP 503,
 * MQTT stops reading) instead of filling the disk.
 */
#ifndef EMBER_DURABLE_WAL_H
#define EMBER_DURABLE_WAL_H

#include "core/errbuf.h"
#include "core/log.h"
#include "core/str.h"

#include <stdint.h>

typedef struct em_wal em_wal;

typedef struct em_wal_opts {
    uint64_t segment_bytes; /* roll to a new file past this (default 64 MiB) */
    uint64_t quota_bytes;   /* unreleased bytes before appends are refused (default 1 GiB) */
} em_wal_opts;

/* Opens (creating) the WAL in dir and starts its flusher thread. opts may
 * be NULL for the defaults. Returns 0 or EM_EIO / EM_ENOMEM with err set. */
int em_wal_open(em_wal **out, const char *dir, const em_wal_opts *opts, em_logger *log,
                em_errbuf *err);
/* Flushes, stops the flusher and frees everything. NULL-safe. */
void em_wal_close(em_wal *w);

/* Appends n records and returns once they are durable. Thread-safe.
 * Returns 0, EM_EAGAIN (over quota: retry later), EM_ELIMIT (a record over
 * 64 MiB), EM_EIO (the disk failed: the WAL refuses further appends) or
 * EM_ESTOPPED (closing). */
int em_wal_append(em_wal *w, const em_slice *recs, size_t n);

/* Appends n records and returns once they are written to the log file
 * (the OS holds them: a crash of the process loses nothing), without
 * waiting for the sync; the flusher fdatasyncs them right after (group
 * commit) and only then can em_wal_read see them. A power loss may lose
 * the records of the last unfinished sync. Thread-safe; same returns as
 * em_wal_append. */
int em_wal_append_written(em_wal *w, const em_slice *recs, size_t n);

/* Reads durable records from *pos in order, calling fn(ud, p, n) for each
 * (p valid during the call) until fn returns non-zero, max records were
 * read, or none is left; *pos moves past each record read. Scheduler
 * thread only. Returns the number of records read or a negative code
 * (EM_ECORRUPT: a record fails its checksum at *pos). */
typedef int (*em_wal_fn)(void *ud, const char *p, size_t n);
int em_wal_read(em_wal *w, uint64_t *pos, uint32_t max, em_wal_fn fn, void *ud);

/* No recovery will read before pos again: whole segments before it go. */
int em_wal_release(em_wal *w, uint64_t pos);

/* The position after the last durable record. Thread-safe. */
uint64_t em_wal_end(em_wal *w);
/* Unreleased bytes (what counts against the quota). Thread-safe. */
uint64_t em_wal_pending(em_wal *w);

#endif
