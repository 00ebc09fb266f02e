/*
 * durable/ckpt.h - the checkpoint directory: offsets log, commit log and
 * state snapshots (DESIGN.md, "Durability").
 *
 *   DIR/offsets.log          one record per micro-batch, appended and
 *                            fsynced before the batch's output is written:
 *                            what it read (source positions) and the
 *                            logical time and watermark it ran with;
 *   DIR/commits.log          one record per micro-batch whose every sink
 *                            committed;
 *   DIR/snap-<batch>.snap    the state after batch <batch>: written aside
 *                            (.tmp), fsynced, renamed, directory fsynced;
 *   DIR/sinks/<name>/        a sink's own files (e.g. the file sink's manifest).
 *
 * A log record is [u32 length][u32 CRC-32C of the rest][i64 batch id]
 * [payload]; a snapshot is a magic, its batch id, a CRC-32C and the payload.
 * Opening a log drops a torn or corrupt tail (a crash mid-append) and says
 * so; loading snapshots falls back from a corrupt newest one to the
 * previous and says so. The payloads are the engine's: this layer only
 * frames, checksums, syncs, finds and retains them.
 *
 * Retention: the two newest snapshots are kept (the older one is the
 * fallback should the newest be unreadable); log records no kept snapshot
 * needs are dropped by rewriting the log (write aside, rename) when a
 * snapshot is written, so the directory stays bounded however long the job
 * runs.
 */
#ifndef EMBER_DURABLE_CKPT_H
#define EMBER_DURABLE_CKPT_H

#include "core/errbuf.h"
#include "core/log.h"
#include "core/str.h"

#include <stdint.h>

typedef struct em_ckpt em_ckpt;

/* One record of a log: its batch id and payload (owned by the ckpt, valid
 * until the next call that changes the log). */
typedef struct em_ckpt_rec {
    int64_t batch_id;
    const char *p;
    size_t n;
} em_ckpt_rec;

/* Opens (creating) the checkpoint directory dir and reads both logs.
 * log receives warnings about dropped torn records. Returns 0 or EM_EIO /
 * EM_ENOMEM with the reason in err. */
int em_ckpt_open(em_ckpt **out, const char *dir, em_logger *log, em_errbuf *err);
/* Closes files and frees everything. NULL-safe. */
void em_ckpt_close(em_ckpt *ck);

/* Appends a record to the offsets log and makes it durable (fdatasync). */
int em_ckpt_append_offsets(em_ckpt *ck, int64_t batch_id, const void *p, size_t n,
                           em_errbuf *err);
/* Appends batch_id to the commit log and makes it durable. */
int em_ckpt_append_commit(em_ckpt *ck, int64_t batch_id, em_errbuf *err);

/* The offsets records read at open or appended since, oldest first (NULL
 * and *n = 0 when there are none or memory ran out); valid until the next
 * call on ck. */
const em_ckpt_rec *em_ckpt_offsets(em_ckpt *ck, size_t *n);
/* The highest batch id in the commit log, 0 if none. */
int64_t em_ckpt_last_commit(const em_ckpt *ck);

/* Writes the snapshot of the state after batch_id durably, then applies
 * retention (older snapshots, log records no snapshot needs). */
int em_ckpt_write_snapshot(em_ckpt *ck, int64_t batch_id, const void *p, size_t n,
                           em_errbuf *err);
/* Loads the newest snapshot whose checksum holds into out (reset first) and
 * sets *batch_id; a corrupt newer one is reported to the log and skipped.
 * *batch_id = 0 and out empty when there is none. skip_newer: ignore
 * snapshots after this batch id (0 = none ignored), for a caller whose
 * restore of the newest failed. */
int em_ckpt_load_snapshot(em_ckpt *ck, int64_t skip_newer, int64_t *batch_id, em_buf *out,
                          em_errbuf *err);

/* The batch id of the oldest snapshot kept (the fallback), 0 if none. */
int64_t em_ckpt_oldest_snapshot(const em_ckpt *ck);

/* The path of the directory for sink `name` (created), in buf. Returns 0,
 * EM_ELIMIT or EM_EIO. */
int em_ckpt_sink_dir(em_ckpt *ck, const char *name, char *buf, size_t cap, em_errbuf *err);

/* Bytes on disk under the checkpoint directory (logs and snapshots). */
uint64_t em_ckpt_disk_bytes(const em_ckpt *ck);

#endif
