/*
 * ops/agg_snap.c - snapshot and restore of the hash aggregate's state (see
 * docs/internals.md, "State snapshots", for the format and its rules).
 *
 * Body after the envelope (ops/snap.h):
 *
 *   i64 closed_wm, u64 seq
 *   keys (em__agg_keys_snap)
 *   u32 npanes, per pane: i64 start, u32 m, u8 implicit_ids,
 *       [m u32 key ids unless implicit], m records of `stride` raw bytes
 *       (generic fields zeroed), then per record its generic states
 *   SESSION: u32 nsessions, per session u32 key, i64 start, i64 last,
 *       naggs generic states
 *
 * A record of the compact kinds is a fixed-size block of counts, sums and
 * min/max values, so a pane of a million keys is written with one append
 * (implicit ids: a dense pane holding every key in id order). A restore
 * interns the keys again and maps the snapshot's key ids to the new ones;
 * em__aggregate_restore_part keeps only one partition's keys, which is how
 * the partitioned wrapper re-splits state when the number of workers
 * changed.
 */
#include "ops/agg_int.h"

#include "ember/error.h"
#include "ops/partition.h"
#include "ops/snap.h"

#include <stdio.h>
#include <string.h>

#define ROWS(rec)     (*(int64_t *)(void *)(rec))
#define GEN(rec, off) ((em__agg_state *)(void *)((rec) + (off)))

static const char *const kind_names[] = {
    "count(*)",   "count",    "sum",     "avg",   "min",  "max",           "stddev_samp",
    "stddev_pop", "var_samp", "var_pop", "first", "last", "count_distinct"};

static void fingerprint(const agg_op *g, em__fp *fp)
{
    static const char *const wn[] = {"running", "tumble", "hop", "session"};
    char t[40];
    em__fp_init(fp);
    em__fp_num(fp, g->nkeys, "group keys");
    for (uint32_t i = 0; i < g->nkeys; i++)
        em__fp_text(fp, em_type_name(g->key_types[i]), "group key %u type", i + 1);
    em__fp_num(fp, g->naggs, "aggregates");
    for (uint32_t j = 0; j < g->naggs; j++) {
        if (g->kinds[j] == EM_AGG_COUNT_STAR)
            snprintf(t, sizeof t, "count(*)");
        else
            snprintf(t, sizeof t, "%s(%s)", kind_names[g->kinds[j]], em_type_name(g->arg_types[j]));
        em__fp_text(fp, t, "aggregate %u", j + 1);
    }
    em__fp_text(fp, wn[g->win.kind], "window");
    if (g->win.kind == EM_WIN_TUMBLE || g->win.kind == EM_WIN_HOP)
        em__fp_num(fp, g->win.size_us, "window size (us)");
    if (g->win.kind == EM_WIN_HOP) em__fp_num(fp, g->win.slide_us, "window slide (us)");
    if (g->win.kind == EM_WIN_SESSION) em__fp_num(fp, g->win.gap_us, "session gap (us)");
    if (g->win.kind != EM_WIN_NONE)
        em__fp_text(fp, g->win.time_col >= 0 ? "event" : "processing", "window time");
}

/* ---- snapshot ---- */

typedef struct snap_ctx {
    em_buf *out;
    char *tmp; /* one record with generic fields zeroed */
    int rc;
} snap_ctx;

static int put_gen(agg_op *g, em_buf *out, const char *rec)
{
    int rc = 0;
    for (uint32_t i = 0; !rc && i < g->nfields; i++)
        if (g->fields[i].kind == F_GEN) {
            uint32_t j = g->fields[i].agg;
            rc = em__agg_state_put(out, g->kinds[j], g->arg_types[j],
                                   (const em__agg_state *)(const void *)(rec + g->fields[i].off));
        }
    return rc;
}

static int put_id(agg_op *g, void *ud, uint32_t id, const char *rec)
{
    (void)g, (void)rec;
    return em__enc_raw(((snap_ctx *)ud)->out, &id, 4);
}

static int put_rec(agg_op *g, void *ud, uint32_t id, const char *rec)
{
    snap_ctx *sc = ud;
    (void)id;
    if (!g->has_gen) return em__enc_raw(sc->out, rec, g->stride);
    memcpy(sc->tmp, rec, g->stride);
    for (uint32_t i = 0; i < g->nfields; i++)
        if (g->fields[i].kind == F_GEN)
            memset(sc->tmp + g->fields[i].off, 0, sizeof(em__agg_state));
    return em__enc_raw(sc->out, sc->tmp, g->stride);
}

static int put_rec_gen(agg_op *g, void *ud, uint32_t id, const char *rec)
{
    (void)id;
    return put_gen(g, ((snap_ctx *)ud)->out, rec);
}

static int put_pane(agg_op *g, const pane *p, snap_ctx *sc)
{
    em_buf *out = sc->out;
    /* every key present, in id order, in one block */
    int implicit = p->dense && p->n == g->keys.n && p->scap >= p->n;
    int rc;
    if ((rc = em_enc_i64(out, p->start)) || (rc = em_enc_u32(out, p->n)) ||
        (rc = em_enc_u8(out, (uint8_t)implicit)))
        return rc;
    if ((rc = em_buf_reserve(out, (size_t)p->n * (g->stride + (implicit ? 0 : 4))))) return rc;
    if (implicit && !g->has_gen)
        rc = em__enc_raw(out, p->st, (size_t)p->n * g->stride);
    else if ((implicit || !(rc = em__pane_each(g, p, put_id, sc))))
        rc = em__pane_each(g, p, put_rec, sc);
    if (!rc && g->has_gen) rc = em__pane_each(g, p, put_rec_gen, sc);
    return rc;
}

static int count_sess(void *ud, uint32_t key, int64_t start, int64_t last, const em__agg_state *st)
{
    (void)key, (void)start, (void)last, (void)st;
    (*(uint32_t *)ud)++;
    return 0;
}

typedef struct sess_put {
    agg_op *g;
    em_buf *out;
} sess_put;

static int put_sess(void *ud, uint32_t key, int64_t start, int64_t last, const em__agg_state *st)
{
    sess_put *sp = ud;
    int rc;
    if ((rc = em_enc_u32(sp->out, key)) || (rc = em_enc_i64(sp->out, start)) ||
        (rc = em_enc_i64(sp->out, last)))
        return rc;
    for (uint32_t j = 0; j < sp->g->naggs; j++)
        if ((rc = em__agg_state_put(sp->out, sp->g->kinds[j], sp->g->arg_types[j], &st[j])))
            return rc;
    return 0;
}

int em__agg_snapshot(em_op *op, em_buf *out)
{
    agg_op *g = (agg_op *)op;
    em__fp fp;
    snap_ctx sc = {out, NULL, 0};
    int rc;
    fingerprint(g, &fp);
    if ((rc = em__snap_begin(out, op, &fp)) || (rc = em_enc_i64(out, g->closed_wm)) ||
        (rc = em_enc_u64(out, g->seq)) || (rc = em__agg_keys_snap(&g->keys, out)) ||
        (rc = em_enc_u32(out, g->npanes)))
        return rc;
    if (g->has_gen && !(sc.tmp = em_malloc(g->stride))) return EM_ENOMEM;
    for (uint32_t i = 0; !rc && i < g->npanes; i++)
        rc = put_pane(g, g->panes[i], &sc);
    em_free(sc.tmp);
    if (!rc && g->sess) {
        uint32_t ns = 0;
        sess_put sp = {g, out};
        em__sessions_each(g->sess, count_sess, &ns);
        if (!(rc = em_enc_u32(out, ns))) rc = em__sessions_each(g->sess, put_sess, &sp);
    }
    return rc;
}

/* ---- restore ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if (a % b != 0 && ((a < 0) != (b < 0))) q--;
    return q;
}

#define MAX_COUNT (INT64_C(1) << 48)
#define MAX_TIME  (INT64_C(1) << 62)

/* Row count in (0, 2^48), and every non-NULL count in [0, rows]. */
static int sane_counts(const agg_op *g, const char *rec)
{
    int64_t rows = ROWS(rec);
    if (rows <= 0 || rows >= MAX_COUNT) return 0;
    for (uint32_t f = 0; f < g->nfields; f++)
        if (g->fields[f].kind == F_N) {
            int64_t n = *(const int64_t *)(const void *)(rec + g->fields[f].off);
            if (n < 0 || n > rows) return 0;
        }
    return 1;
}

/* Reads the generic states of one record into rec (or discards them when
 * rec is NULL: a key of another partition). */
static int get_gen(agg_op *g, em_dec *d, char *rec)
{
    for (uint32_t i = 0; i < g->nfields; i++) {
        if (g->fields[i].kind != F_GEN) continue;
        uint32_t j = g->fields[i].agg;
        em__agg_state tmp, *s = rec ? GEN(rec, g->fields[i].off) : &tmp;
        int rc = em__agg_state_get(d, g->kinds[j], g->arg_types[j], s);
        if (rc || !rec) em__agg_free(g->kinds[j], g->arg_types[j], s);
        if (rc) return rc;
    }
    return 0;
}

static int get_pane(agg_op *g, em_dec *d, const uint32_t *map, uint32_t nold, const char **what)
{
    int64_t start = em_dec_i64(d);
    uint32_t m = em_dec_u32(d);
    uint8_t implicit = em_dec_u8(d);
    const char *ids = NULL, *recs;
    int rc;
    *what = "bad pane header";
    if (!em_dec_ok(d) || implicit > 1 || m > nold || start < -MAX_TIME || start > MAX_TIME ||
        (g->win.kind == EM_WIN_NONE ? start != 0
                                    : floor_div(start, g->pane_us) * g->pane_us != start))
        goto bad;
    if (!implicit) ids = em__dec_take(d, (size_t)m * 4);
    *what = "pane records cut short";
    recs = em__dec_take(d, (size_t)m * g->stride);
    if (!recs) goto bad;
    uint32_t keep = 0;
    for (uint32_t i = 0; i < m; i++) {
        uint32_t old = i;
        if (ids) memcpy(&old, ids + (size_t)i * 4, 4);
        *what = "pane record of an unknown key";
        if (old >= nold) goto bad;
        keep += map[old] != UINT32_MAX;
    }
    pane *p = NULL;
    if (keep) {
        if (!(p = em__agg_get_pane(g, start))) return EM_ENOMEM;
        if (!p->dense && ((uint64_t)(p->n + keep) * 2 >= g->keys.n || g->win.kind == EM_WIN_NONE))
            p->dense = !p->n && !p->st; /* a new pane most keys are in: dense at once */
        if ((rc = em__pane_prepare(g, p, keep))) return rc;
    }
    for (uint32_t i = 0; i < m; i++) {
        uint32_t old = i;
        if (ids) memcpy(&old, ids + (size_t)i * 4, 4);
        const char *src = recs + (size_t)i * g->stride;
        if (map[old] == UINT32_MAX) continue;
        char *rec = em__pane_record(g, p, map[old]);
        *what = "pane holds a key twice, or a record with no rows";
        int64_t src_rows;
        memcpy(&src_rows, src, 8); /* the snapshot may be unaligned */
        if (!rec || ROWS(rec) != 0 || src_rows <= 0) {
            if (rec && p->dense && ROWS(rec) == 0) p->n--; /* em__pane_record counted it */
            goto bad;
        }
        memcpy(rec, src, g->stride);
        for (uint32_t f = 0; f < g->nfields; f++)
            if (g->fields[f].kind == F_GEN)
                memset(rec + g->fields[f].off, 0, sizeof(em__agg_state));
        /* counts that later additions could overflow are not counts */
        *what = "impossible row count";
        if (!sane_counts(g, rec)) goto bad;
    }
    if (g->has_gen) {
        *what = "bad aggregate state";
        for (uint32_t i = 0; i < m; i++) {
            uint32_t old = i;
            if (ids) memcpy(&old, ids + (size_t)i * 4, 4);
            char *rec = NULL;
            if (map[old] != UINT32_MAX)
                rec = p->dense ? p->st + (size_t)map[old] * g->stride
                               : em__pane_record(g, p, map[old]);
            if ((rc = get_gen(g, d, rec)))
                return rc == EM_ENOMEM ? rc : (em_dec_fail(d), EM_ECORRUPT);
        }
    }
    return 0;
bad:
    em_dec_fail(d);
    return EM_ECORRUPT;
}

static int get_sessions(agg_op *g, em_dec *d, const uint32_t *map, uint32_t nold, const char **what)
{
    uint32_t ns = em_dec_u32(d);
    em__agg_state *tmp = em_calloc(g->naggs + 1, sizeof *tmp);
    int rc = 0;
    if (!tmp) return EM_ENOMEM;
    *what = "bad session";
    /* a session takes at least 20 bytes */
    if (!em_dec_ok(d) || (uint64_t)ns * 20 > em_dec_left(d)) goto bad;
    for (uint32_t i = 0; i < ns; i++) {
        uint32_t key = em_dec_u32(d);
        int64_t start = em_dec_i64(d), last = em_dec_i64(d);
        if (!em_dec_ok(d) || key >= nold || start > last || start < -MAX_TIME || last > MAX_TIME)
            goto bad;
        em__agg_state *st = tmp;
        if (map[key] != UINT32_MAX && !(st = em__sessions_append(g->sess, map[key], start, last))) {
            rc = EM_ENOMEM;
            goto out;
        }
        for (uint32_t j = 0; j < g->naggs; j++) {
            rc = em__agg_state_get(d, g->kinds[j], g->arg_types[j], &st[j]);
            if (rc || st == tmp) em__agg_free(g->kinds[j], g->arg_types[j], &st[j]);
            if (rc == EM_ECORRUPT) goto bad;
            if (rc) goto out;
        }
    }
    goto out;
bad:
    em_dec_fail(d);
    rc = EM_ECORRUPT;
out:
    em_free(tmp);
    return rc;
}

int em__aggregate_restore_part(em_op *op, const char *p, size_t n, uint32_t part, uint32_t nparts,
                               em_errbuf *err)
{
    agg_op *g = (agg_op *)op;
    em__fp fp;
    em_dec d;
    uint32_t *map = NULL, nold = 0;
    const char *what = "bad header";
    int rc;
    fingerprint(g, &fp);
    if ((rc = em__snap_open(&d, op, &fp, p, n, err))) return rc;
    int64_t closed = em_dec_i64(&d);
    uint64_t seq = em_dec_u64(&d);
    if (!em_dec_ok(&d)) goto fail;
    what = "bad group keys";
    if ((rc = em__agg_keys_load(&g->keys, &d, part, nparts, &map, &nold))) goto fail;
    uint32_t np = em_dec_u32(&d);
    what = "bad pane count";
    if (!em_dec_ok(&d) || (g->win.kind == EM_WIN_NONE && np > 1) ||
        (g->win.kind == EM_WIN_SESSION && np) || (uint64_t)np * 13 > em_dec_left(&d))
        goto fail;
    for (uint32_t i = 0; i < np; i++)
        if ((rc = get_pane(g, &d, map, nold, &what))) goto fail;
    if (g->sess && (rc = get_sessions(g, &d, map, nold, &what))) goto fail;
    what = "bytes left over after the state";
    if (!em_dec_ok(&d) || em_dec_left(&d)) goto fail;
    if (closed > g->closed_wm) g->closed_wm = closed;
    if (seq > g->seq) g->seq = seq;
    em_free(map);
    em__agg_update_stats(g);
    return 0;
fail:
    em_free(map);
    em__agg_update_stats(g);
    if (rc == EM_ENOMEM)
        return em_errf(err, rc, "%s %s: out of memory restoring state", op->vt->kind, op->id);
    return em__snap_corrupt(op, err, what);
}

typedef struct whole {
    em_op *op;
    em_errbuf *err;
} whole;

static int restore_whole(void *ud, const char *p, size_t n, uint32_t i, uint32_t count)
{
    whole *w = ud;
    (void)i, (void)count;
    return em__aggregate_restore_part(w->op, p, n, 0, 0, w->err);
}

int em__agg_restore(em_op *op, const char *p, size_t n, em_errbuf *err)
{
    /* a snapshot of the partitioned wrapper (workers was > 1): every
     * partition's keys, merged */
    whole w = {op, err};
    em_errbuf_clear(err);
    int rc = em__part_each(p, n, restore_whole, &w);
    if (rc == EM_ECORRUPT && (!err || !err->code))
        em__snap_corrupt(op, err, "bad partition container");
    return rc;
}
