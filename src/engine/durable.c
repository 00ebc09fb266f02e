/*
 * engine/durable.c - what the scheduler does with the checkpoint directory
 * (durable/ckpt.h): log each micro-batch before its output, commit it after,
 * snapshot sources and operator state, and recover after a crash by
 * loading the newest good snapshot and replaying the logged batches after
 * it with the same records, logical time and watermark. Sinks skip the
 * batch ids they already committed, so output is exactly-once for sinks
 * that commit a batch id with their rows (docs/internals.md, "Durability").
 */
#include "engine/engine_int.h"

#include "core/clock.h"
#include "core/codec.h"
#include "durable/ckpt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNAP_VERSION 1
#define POS_MAX 4096

static int fail_err(em_engine *e, const em_errbuf *err)
{
    return em__engine_fail(e, err->code ? err->code : EM_EIO, "checkpoint: %s", err->msg);
}

int em__durable_open(em_engine *e)
{
    if (!e->set.checkpoint_dir || !e->set.checkpoint_dir[0])
        return 0;
    em_errbuf err;
    em_errbuf_clear(&err);
    if (em_ckpt_open(&e->ckpt, e->set.checkpoint_dir, &e->log, &err))
        return fail_err(e, &err);
    em_buf_init(&e->snap_buf, (size_t)1 << 36);
    e->commit_logged = em_ckpt_last_commit(e->ckpt);
    for (uint32_t i = 0; i < e->nsinks; i++) {
        em_sink_node *s = e->sinks[i];
        char dir[4200];
        if (em_ckpt_sink_dir(e->ckpt, s->name, dir, sizeof dir, &err))
            return fail_err(e, &err);
        em_free(s->cx.state_dir);
        if (!(s->cx.state_dir = em_strdup(dir)))
            return em__engine_fail(e, EM_ENOMEM, "out of memory");
    }
    return 0;
}

void em__durable_close(em_engine *e)
{
    em_ckpt_close(e->ckpt);
    e->ckpt = NULL;
    em_buf_release(&e->snap_buf);
    e->snap_id = 0;
    e->replay = NULL;
    e->nreplay = e->replay_next = 0;
}

/* ---- snapshots ---- */

static int encode_snapshot(em_engine *e, int64_t batch_id, em_buf *b)
{
    int rc = em_enc_u32(b, SNAP_VERSION);
    rc = rc ? rc : em_enc_i64(b, batch_id);
    rc = rc ? rc : em_enc_i64(b, e->watermark);
    rc = rc ? rc : em_enc_u32(b, e->nsources);
    for (uint32_t i = 0; i < e->nsources && !rc; i++) {
        em_source_node *s = e->sources[i];
        char pos[POS_MAX];
        int n = s->conn->position ? s->conn->position(s->self, pos, sizeof pos) : 0;
        if (n < 0)
            return em__engine_fail(e, n, "source %s: cannot tell its position: %s", s->name,
                                   em_strerror(n));
        rc = em_enc_str(b, s->name);
        rc = rc ? rc : em_enc_bytes(b, pos, (size_t)n);
        rc = rc ? rc : em_enc_i64(b, s->max_ts);
        rc = rc ? rc : em_enc_u8(b, s->eof);
        rc = rc ? rc : em_enc_u64(b, s->stats.records);
        rc = rc ? rc : em_enc_u64(b, s->stats.bad);
        rc = rc ? rc : em_enc_u64(b, s->stats.late);
        rc = rc ? rc : em_enc_u64(b, s->stats.bytes);
    }
    uint32_t nstate = 0;
    for (uint32_t i = 0; i < e->nops; i++)
        nstate += e->ops[i]->vt->state_version != 0 && e->ops[i]->vt->snapshot != NULL;
    rc = rc ? rc : em_enc_u32(b, nstate);
    for (uint32_t i = 0; i < e->nops && !rc; i++) {
        em_op *op = e->ops[i];
        if (!op->vt->state_version || !op->vt->snapshot)
            continue;
        rc = em_enc_str(b, op->id);
        rc = rc ? rc : em_enc_str(b, op->vt->kind);
        rc = rc ? rc : em_enc_u32(b, op->vt->state_version);
        /* the blob's length goes first: reserve it, fill it in after */
        size_t at = b->len;
        rc = rc ? rc : em_enc_u32(b, 0);
        if (!rc && (rc = op->vt->snapshot(op, b)) == 0) {
            size_t n = b->len - at - 4;
            if (n > UINT32_MAX)
                return em__engine_fail(e, EM_ELIMIT, "operator %s: state over 4 GiB", op->id);
            for (int k = 0; k < 4; k++)
                b->ptr[at + k] = (char)(n >> (8 * k));
        } else if (rc) {
            return em__engine_fail(e, rc, "operator %s: cannot snapshot its state: %s", op->id,
                                   em_strerror(rc));
        }
    }
    return rc ? em__engine_fail(e, rc, "out of memory writing a snapshot") : 0;
}

/* Writes the encoded snapshot of the state after batch_id (every sink has
 * committed batch_id: recovery may start from it). */
static int store_snapshot(em_engine *e, int64_t batch_id, const em_buf *b)
{
    int64_t t0 = em_mono_ns();
    em_errbuf err;
    em_errbuf_clear(&err);
    if (em_ckpt_write_snapshot(e->ckpt, batch_id, b->ptr, b->len, &err))
        return fail_err(e, &err);
    e->snapshot_batch = batch_id;
    e->snapshot_us = em_wall_us();
    /* recovery may fall back to the older kept snapshot: what comes
     * before its batch is never read again */
    int64_t safe = em_ckpt_oldest_snapshot(e->ckpt);
    if (safe > 0)
        em__sources_commit(e, safe);
    em_log_debug(&e->log, "checkpoint", "snapshot after batch %lld: %zu bytes in %.1f ms",
                 (long long)batch_id, b->len, (double)(em_mono_ns() - t0) / 1e6);
    return 0;
}

/* Encodes the state as it is now, after batch_id, and writes it once every
 * sink has committed batch_id (at once when `upto` says they have; until
 * then it waits in e->snap_buf, and no newer one is taken). */
static int take_snapshot(em_engine *e, int64_t batch_id, int64_t upto)
{
    em_buf_reset(&e->snap_buf);
    int rc = encode_snapshot(e, batch_id, &e->snap_buf);
    if (rc)
        return rc;
    if (upto >= batch_id) {
        rc = store_snapshot(e, batch_id, &e->snap_buf);
        em_buf_release(&e->snap_buf);
        return rc;
    }
    e->snap_id = batch_id;
    return 0;
}

/* The state each operator of the job gets from a snapshot. */
typedef enum { ST_NEW, ST_KEPT, ST_RESET, ST_INCOMPATIBLE } op_fate;

static bool is_reset(const em_engine *e, const char *id)
{
    for (uint32_t i = 0; i < e->nreset; i++)
        if (!strcmp(e->reset_ops[i], id))
            return true;
    return false;
}

/* Whether state saved by an operator of kind `saved` may be offered to one
 * of kind `now`. An aggregate is a plain "aggregate" with one worker and a
 * "partitioned" wrapper with several, and each reads the other's state
 * (keys are re-split by hash), so changing `workers` keeps the state. */
static bool same_kind(em_slice saved, const char *now)
{
    bool agg_saved = (saved.len == 9 && !memcmp(saved.ptr, "aggregate", 9)) ||
                     (saved.len == 11 && !memcmp(saved.ptr, "partitioned", 11));
    bool agg_now = !strcmp(now, "aggregate") || !strcmp(now, "partitioned");
    if (agg_saved && agg_now)
        return true;
    return saved.len == strlen(now) && !memcmp(saved.ptr, now, saved.len);
}

/* Applies a decoded snapshot's operator section to the job's operators,
 * writing one report line per operator (and per saved state no operator
 * takes) to report when given. Returns the number of incompatible
 * operators, or a negative code. */
static int restore_ops(em_engine *e, em_dec *d, FILE *report)
{
    uint32_t n = em_dec_u32(d);
    if (!em_dec_ok(d) || n > 1000000)
        return EM_ECORRUPT;
    em_slice *ids = em_calloc(n ? n : 1, sizeof *ids);
    bool *taken = em_calloc(n ? n : 1, sizeof *taken);
    int bad = 0, rc = 0;
    struct {
        em_slice kind, blob;
        uint32_t version;
    } *ent = em_calloc(n ? n : 1, sizeof *ent);
    if (!ids || !taken || !ent) {
        rc = EM_ENOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < n; i++) {
        ids[i] = em_dec_bytes(d);
        ent[i].kind = em_dec_bytes(d);
        ent[i].version = em_dec_u32(d);
        ent[i].blob = em_dec_bytes(d);
    }
    if (!em_dec_ok(d)) {
        rc = EM_ECORRUPT;
        goto out;
    }
    for (uint32_t i = 0; i < e->nops; i++) {
        em_op *op = e->ops[i];
        if (!op->vt->state_version)
            continue;
        int j = -1;
        for (uint32_t k = 0; k < n && j < 0; k++)
            if (!taken[k] && ids[k].len == strlen(op->id) &&
                !memcmp(ids[k].ptr, op->id, ids[k].len))
                j = (int)k;
        op_fate fate = ST_NEW;
        char why[600] = "";
        if (j >= 0) {
            taken[j] = true;
            if (is_reset(e, op->id)) {
                fate = ST_RESET;
            } else if (!same_kind(ent[j].kind, op->vt->kind)) {
                fate = ST_INCOMPATIBLE;
                snprintf(why, sizeof why, "saved by a %.*s operator, now a %s",
                         (int)ent[j].kind.len, ent[j].kind.ptr, op->vt->kind);
            } else if (ent[j].version != op->vt->state_version || !op->vt->restore) {
                fate = ST_INCOMPATIBLE;
                snprintf(why, sizeof why, "state layout version %u, this build reads %u",
                         ent[j].version, op->vt->state_version);
            } else {
                em_errbuf err;
                em_errbuf_clear(&err);
                if (op->vt->restore(op, ent[j].blob.ptr, ent[j].blob.len, &err)) {
                    fate = ST_INCOMPATIBLE;
                    snprintf(why, sizeof why, "%s", err.msg[0] ? err.msg : "restore failed");
                } else {
                    fate = ST_KEPT;
                }
            }
        }
        bad += fate == ST_INCOMPATIBLE;
        if (report) {
            static const char *const words[] = {"new", "kept", "reset", "incompatible"};
            fprintf(report, "  %-13s %s (%s)%s%s\n", words[fate], op->id, op->vt->kind,
                    fate == ST_NEW ? ": no saved state, starts empty" : why[0] ? ": " : "", why);
        }
    }
    for (uint32_t k = 0; k < n && report; k++)
        if (!taken[k])
            fprintf(report, "  %-13s %.*s (%.*s): not in the job any more, its state is dropped\n",
                    "dropped", (int)ids[k].len, ids[k].ptr, (int)ent[k].kind.len,
                    ent[k].kind.ptr);
out:
    em_free(ids);
    em_free(taken);
    em_free(ent);
    return rc ? rc : bad;
}

/* Restores the sources' part of a snapshot (positions are applied by
 * seeking the started connectors). */
static int restore_sources(em_engine *e, em_dec *d, bool seek)
{
    uint32_t n = em_dec_u32(d);
    if (!em_dec_ok(d) || n > 100000)
        return EM_ECORRUPT;
    for (uint32_t i = 0; i < n; i++) {
        em_slice name = em_dec_bytes(d), pos = em_dec_bytes(d);
        int64_t max_ts = em_dec_i64(d);
        bool eof = em_dec_u8(d) != 0;
        em_source_stats st;
        st.records = em_dec_u64(d);
        st.bad = em_dec_u64(d);
        st.late = em_dec_u64(d);
        st.bytes = em_dec_u64(d);
        if (!em_dec_ok(d))
            return EM_ECORRUPT;
        em_source_node *s = NULL;
        for (uint32_t k = 0; k < e->nsources && !s; k++)
            if (strlen(e->sources[k]->name) == name.len &&
                !memcmp(e->sources[k]->name, name.ptr, name.len))
                s = e->sources[k];
        if (!s || !seek)
            continue; /* a source no longer in the job */
        if (pos.len && s->conn->seek) {
            int rc = s->conn->seek(s->self, pos.ptr, pos.len);
            if (rc)
                return em__engine_fail(e, rc, "source %s: cannot resume at position '%.*s': %s",
                                       s->name, (int)pos.len, pos.ptr, em_strerror(rc));
        } else if (pos.len) {
            em_log_warn(&e->log, s->cx.component,
                        "connector %s cannot seek: it resumes where it is, not where the "
                        "snapshot left it",
                        s->conn->name);
        }
        s->max_ts = max_ts;
        s->eof = eof;
        s->stats = st;
    }
    return 0;
}

int em__durable_recover(em_engine *e)
{
    if (!e->ckpt)
        return 0;
    em_errbuf err;
    em_errbuf_clear(&err);
    em_buf b;
    em_buf_init(&b, (size_t)1 << 36);
    int64_t snap = 0;
    int rc = em_ckpt_load_snapshot(e->ckpt, 0, &snap, &b, &err);
    if (rc) {
        em_buf_release(&b);
        return fail_err(e, &err);
    }
    if (snap > 0) {
        em_dec d;
        em_dec_init(&d, b.ptr, b.len);
        uint32_t version = em_dec_u32(&d);
        int64_t id = em_dec_i64(&d), wm = em_dec_i64(&d);
        if (!em_dec_ok(&d) || version != SNAP_VERSION || id != snap) {
            em_buf_release(&b);
            return em__engine_fail(e, EM_ECORRUPT,
                                   "checkpoint: snapshot after batch %lld has an unknown "
                                   "layout (version %u)",
                                   (long long)snap, version);
        }
        const char *src_at = (const char *)d.p;
        /* operators first: an incompatible job must not have moved sources */
        em_dec skip = d;
        rc = restore_sources(e, &skip, false);
        if (!rc) {
            char *text = NULL;
            size_t tlen = 0;
            FILE *f = open_memstream(&text, &tlen);
            int bad = restore_ops(e, &skip, f);
            if (f)
                fclose(f);
            if (bad > 0) {
                rc = em__engine_fail(e, EM_ESTATE,
                                     "checkpoint %s holds state this job cannot use:\n%s"
                                     "deploy a compatible job, or restart with --reset-state OP "
                                     "for each incompatible operator to discard its state",
                                     e->set.checkpoint_dir, text ? text : "");
            } else if (bad < 0) {
                rc = em__engine_fail(e, bad, "checkpoint: snapshot after batch %lld: %s",
                                     (long long)snap, em_strerror(bad));
            } else if (text && tlen) {
                em_log_info(&e->log, "checkpoint", "state after batch %lld:\n%.*s",
                            (long long)snap, (int)(tlen && text[tlen - 1] == '\n' ? tlen - 1
                                                                                  : tlen),
                            text);
            }
            free(text);
        }
        if (!rc) {
            em_dec_init(&d, src_at, b.len - (size_t)(src_at - b.ptr));
            rc = restore_sources(e, &d, true);
        }
        if (rc) {
            em_buf_release(&b);
            return rc < 0 && !e->errmsg[0] ? em__engine_fail(e, rc, "checkpoint: %s",
                                                             em_strerror(rc))
                                           : rc;
        }
        e->watermark = wm;
        e->batch_id = snap;
        e->snapshot_batch = snap;
    }
    em_buf_release(&b);
    e->snapshot_us = em_wall_us();
    size_t n;
    const em_ckpt_rec *recs = em_ckpt_offsets(e->ckpt, &n);
    size_t first = 0;
    while (first < n && recs[first].batch_id <= snap)
        first++;
    e->replay = recs + first;
    e->nreplay = n - first;
    e->replay_next = 0;
    if (snap > 0 || e->nreplay)
        em_log_info(&e->log, "checkpoint",
                    "recovering from %s: state after batch %lld, replaying %zu logged batches",
                    e->set.checkpoint_dir, (long long)snap, e->nreplay);
    return 0;
}

void em__sources_commit(em_engine *e, int64_t batch_id)
{
    for (uint32_t i = 0; i < e->nsources; i++) {
        em_source_node *s = e->sources[i];
        if (s->conn->commit && s->conn->commit(s->self, batch_id))
            em_log_warn(&e->log, s->cx.component, "acknowledging batch %lld failed",
                        (long long)batch_id);
    }
}

/* ---- per micro-batch ---- */

int em__durable_replay_next(em_engine *e, int64_t batch_id, int64_t *logical_time, int64_t *wm,
                            bool *replaying)
{
    *replaying = false;
    for (uint32_t i = 0; i < e->nsources; i++)
        e->sources[i]->replaying = false;
    if (!e->ckpt || e->replay_next >= e->nreplay)
        return 0;
    const em_ckpt_rec *r = &e->replay[e->replay_next++];
    em_dec d;
    em_dec_init(&d, r->p, r->n);
    *logical_time = em_dec_i64(&d);
    *wm = em_dec_i64(&d);
    uint32_t n = em_dec_u32(&d);
    if (!em_dec_ok(&d) || r->batch_id != batch_id)
        return em__engine_fail(e, EM_ECORRUPT,
                               "checkpoint: logged batch %lld is not the batch %lld expected",
                               (long long)r->batch_id, (long long)batch_id);
    for (uint32_t i = 0; i < e->nsources; i++) {
        e->sources[i]->replaying = true;
        e->sources[i]->replay_take = 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        em_slice name = em_dec_bytes(&d);
        uint64_t take = em_dec_u64(&d);
        uint8_t eof = em_dec_u8(&d);
        (void)em_dec_bytes(&d); /* position after the batch: for inspection */
        if (!em_dec_ok(&d))
            return em__engine_fail(e, EM_ECORRUPT, "checkpoint: logged batch %lld is corrupt",
                                   (long long)batch_id);
        for (uint32_t k = 0; k < e->nsources; k++) {
            em_source_node *s = e->sources[k];
            if (strlen(s->name) == name.len && !memcmp(s->name, name.ptr, name.len)) {
                s->replay_take = take;
                s->replay_eof = eof != 0;
            }
        }
    }
    *replaying = true;
    return 0;
}

int em__durable_log_batch(em_engine *e, int64_t batch_id, int64_t logical_time, int64_t wm)
{
    if (!e->ckpt)
        return 0;
    em_buf b;
    em_buf_init(&b, (size_t)1 << 30);
    int rc = em_enc_i64(&b, logical_time);
    rc = rc ? rc : em_enc_i64(&b, wm);
    rc = rc ? rc : em_enc_u32(&b, e->nsources);
    for (uint32_t i = 0; i < e->nsources && !rc; i++) {
        em_source_node *s = e->sources[i];
        char pos[POS_MAX];
        int n = s->conn->position ? s->conn->position(s->self, pos, sizeof pos) : 0;
        if (n < 0) {
            em_buf_release(&b);
            return em__engine_fail(e, n, "source %s: cannot tell its position: %s", s->name,
                                   em_strerror(n));
        }
        rc = em_enc_str(&b, s->name);
        rc = rc ? rc : em_enc_u64(&b, s->taken);
        rc = rc ? rc : em_enc_u8(&b, s->eof);
        rc = rc ? rc : em_enc_bytes(&b, pos, (size_t)n);
    }
    if (rc) {
        em_buf_release(&b);
        return em__engine_fail(e, rc, "out of memory logging batch %lld", (long long)batch_id);
    }
    em_errbuf err;
    em_errbuf_clear(&err);
    rc = em_ckpt_append_offsets(e->ckpt, batch_id, b.ptr, b.len, &err);
    em_buf_release(&b);
    /* the log may have moved its records: refresh the replay view */
    if (!rc && e->replay_next >= e->nreplay) {
        e->replay = NULL;
        e->nreplay = e->replay_next = 0;
    }
    return rc ? fail_err(e, &err) : 0;
}

int em__durable_commit(em_engine *e, int64_t upto, int64_t batch_id, bool force_snapshot)
{
    if (!e->ckpt)
        return 0;
    em_errbuf err;
    em_errbuf_clear(&err);
    if (upto > e->commit_logged) {
        if (em_ckpt_append_commit(e->ckpt, upto, &err))
            return fail_err(e, &err);
        e->commit_logged = upto;
    }
    if (e->snap_id && upto >= e->snap_id) {
        int rc = store_snapshot(e, e->snap_id, &e->snap_buf);
        e->snap_id = 0;
        em_buf_release(&e->snap_buf);
        if (rc)
            return rc;
    }
    bool due = em_wall_us() - e->snapshot_us >= e->set.checkpoint_interval_us;
    if ((due || force_snapshot) && !e->snap_id && e->replay_next >= e->nreplay &&
        batch_id > e->snapshot_batch)
        return take_snapshot(e, batch_id, upto);
    return 0;
}

int em__durable_finish(em_engine *e)
{
    if (!e->ckpt || e->batch_id <= e->snapshot_batch || e->replay_next < e->nreplay)
        return 0;
    return em__durable_commit(e, e->batch_id, e->batch_id, true);
}

/* ---- public ---- */

int em_engine_reset_state(em_engine *e, const char *op_id)
{
    char **v = em_realloc(e->reset_ops, (e->nreset + 1) * sizeof *v);
    if (!v)
        return em__engine_fail(e, EM_ENOMEM, "out of memory");
    e->reset_ops = v;
    if (!(v[e->nreset] = em_strdup(op_id)))
        return em__engine_fail(e, EM_ENOMEM, "out of memory");
    e->nreset++;
    return 0;
}

int em_engine_check_state(em_engine *e, const char *dir, FILE *out)
{
    em_errbuf err;
    em_errbuf_clear(&err);
    em_ckpt *ck = NULL;
    if (em_ckpt_open(&ck, dir, &e->log, &err))
        return fail_err(e, &err);
    em_buf b;
    em_buf_init(&b, (size_t)1 << 36);
    int64_t snap = 0;
    int rc = em_ckpt_load_snapshot(ck, 0, &snap, &b, &err);
    if (rc) {
        rc = fail_err(e, &err);
    } else if (snap == 0) {
        fprintf(out, "checkpoint %s has no snapshot: every operator starts empty\n", dir);
    } else {
        em_dec d;
        em_dec_init(&d, b.ptr, b.len);
        uint32_t version = em_dec_u32(&d);
        (void)em_dec_i64(&d);
        (void)em_dec_i64(&d);
        fprintf(out, "checkpoint %s, state after batch %lld:\n", dir, (long long)snap);
        int bad = version == SNAP_VERSION ? restore_sources(e, &d, false) : EM_ECORRUPT;
        if (!bad)
            bad = restore_ops(e, &d, out);
        if (bad < 0)
            rc = em__engine_fail(e, bad, "checkpoint %s: snapshot after batch %lld: %s", dir,
                                 (long long)snap, em_strerror(bad));
        else if (bad > 0)
            rc = em__engine_fail(e, EM_ESTATE,
                                 "%d operator%s cannot use the saved state: `ember run` refuses "
                                 "this job unless given --reset-state OP for each",
                                 bad, bad == 1 ? "" : "s");
    }
    em_buf_release(&b);
    em_ckpt_close(ck);
    return rc;
}
