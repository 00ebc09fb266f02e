/*
 * bench/nexmark_gen.c - the NEXMark event generator and its `nexmark`
 * source connector (see nexmark.h).
 *
 * After the generator of Beam's and Flink's NEXMark suites: the stream is
 * numbered by event id; within every 50 consecutive events, 1 is a new
 * person, 3 are new auctions and 46 are bids (person:auction:bid =
 * 1:3:46). Ids: person k is 1000 + k, auction k is 1000 + k. A bid goes to a
 * hot auction (the newest) half of the time, otherwise to one of the last
 * 100 auctions; its bidder is a hot person (the newest multiple of 4) three
 * times in four, otherwise one of the last 1,000 people. An auction's
 * seller is picked the same way, its category is one of 5 (10..14), and it
 * expires 1..20 s after it opens. Prices follow 10^(6u) x 100 cents. The
 * generator's padding field `extra` is left empty.
 *
 * Every value of event e is a pure function of (seed, e): the connector
 * and `--emit` (the NDJSON a reference implementation reads) agree.
 */
#include "nexmark.h"

#include "core/mem.h"
#include "ember/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const first_names[] = {"Peter", "Paul",  "Luke", "John",
                                          "Saul",  "Vicky", "Kate", "Julie",
                                          "Sarah", "Deiter", "Walter"};
static const char *const last_names[] = {"Shultz",  "Abrams", "Spencer", "White",
                                         "Bartels", "Walton", "Smith",   "Jones",
                                         "Noris"};
static const char *const states[] = {"AZ", "CA", "ID", "OR", "WA", "WY"};
static const char *const cities[] = {"Phoenix",  "Los Angeles", "San Francisco", "Boise",
                                     "Portland", "Bend",        "Redmond",       "Seattle",
                                     "Kent",     "Cheyenne"};
static const char *const channels[] = {"Google", "Facebook", "Baidu", "Apple"};
#define NELEM(a) (sizeof a / sizeof a[0])

static uint64_t mix(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

/* The d-th random draw of event e. */
static uint64_t draw(const em_nx_config *c, uint64_t e, uint64_t d)
{
    return mix(c->seed * UINT64_C(0x2545f4914f6cdd1d) ^ (e * 16 + d));
}

em_nx_kind em_nx_kind_of(uint64_t e)
{
    uint64_t off = e % EM_NX_PROPORTION;
    return off == 0 ? EM_NX_PERSON : off <= 3 ? EM_NX_AUCTION : EM_NX_BID;
}

/* Base-0 id of the newest person / auction created at or before event e
 * (0 when none exists yet). */
static uint64_t last_person(uint64_t e)
{
    return e / EM_NX_PROPORTION;
}

static uint64_t last_auction(uint64_t e)
{
    uint64_t epoch = e / EM_NX_PROPORTION, off = e % EM_NX_PROPORTION;
    uint64_t n = epoch * 3 + (off > 3 ? 3 : off); /* auctions created so far */
    return n ? n - 1 : 0;
}

static int64_t event_time(const em_nx_config *c, uint64_t e)
{
    return c->start_us + (int64_t)e * c->interevent_us;
}

/* A person picked like Beam's: hot (newest multiple of 4) 3 times in 4. */
static uint64_t pick_person(const em_nx_config *c, uint64_t e, uint64_t d)
{
    uint64_t r = draw(c, e, d), last = last_person(e);
    if (r % 4)
        return (last / 4) * 4;
    uint64_t span = last < 1000 ? last + 1 : 1000;
    return last - (r >> 8) % span;
}

void em_nx_person(const em_nx_config *c, uint64_t e, em_nx_event *ev)
{
    uint64_t r = draw(c, e, 0), r2 = draw(c, e, 1);
    ev->id = EM_NX_FIRST_ID + (int64_t)(e / EM_NX_PROPORTION);
    ev->date_time = event_time(c, e);
    ev->n1 = snprintf(ev->s1, sizeof ev->s1, "%s %s", first_names[r % NELEM(first_names)],
                      last_names[(r >> 8) % NELEM(last_names)]);
    ev->n2 = snprintf(ev->s2, sizeof ev->s2, "%s@%s.com",
                      last_names[(r >> 16) % NELEM(last_names)],
                      first_names[(r >> 24) % NELEM(first_names)]);
    ev->n3 = snprintf(ev->s3, sizeof ev->s3, "%04u %04u %04u %04u", (unsigned)(r2 % 10000),
                      (unsigned)(r2 >> 14) % 10000, (unsigned)(r2 >> 28) % 10000,
                      (unsigned)(r2 >> 42) % 10000);
    ev->city = cities[(r >> 32) % NELEM(cities)];
    ev->state = states[(r >> 40) % NELEM(states)];
}

void em_nx_auction(const em_nx_config *c, uint64_t e, em_nx_event *ev)
{
    uint64_t r = draw(c, e, 0);
    uint64_t k = (e / EM_NX_PROPORTION) * 3 + (e % EM_NX_PROPORTION) - 1;
    ev->id = EM_NX_FIRST_ID + (int64_t)k;
    ev->date_time = event_time(c, e);
    ev->expires = ev->date_time + (int64_t)(1 + (r >> 20) % 20) * 1000000;
    ev->seller = EM_NX_FIRST_ID + (int64_t)pick_person(c, e, 1);
    ev->category = 10 + (int64_t)(r % 5);
    ev->initial_bid = (int64_t)llround(pow(10.0, (double)((r >> 8) % 1000) / 1000.0 * 6.0) * 100);
    ev->reserve = ev->initial_bid + (int64_t)((r >> 40) % 1000) * 100;
    ev->n1 = snprintf(ev->s1, sizeof ev->s1, "item-%llu", (unsigned long long)k);
    ev->n2 = snprintf(ev->s2, sizeof ev->s2, "auction %llu of category %lld",
                      (unsigned long long)k, (long long)ev->category);
}

void em_nx_bid(const em_nx_config *c, uint64_t e, em_nx_event *ev)
{
    uint64_t r = draw(c, e, 0), last = last_auction(e);
    uint64_t a = last;
    if (r & 1) { /* not hot: one of the last 100 auctions */
        uint64_t span = last < 100 ? last + 1 : 100;
        a = last - (r >> 8) % span;
    }
    ev->auction = EM_NX_FIRST_ID + (int64_t)a;
    ev->bidder = EM_NX_FIRST_ID + (int64_t)pick_person(c, e, 1);
    uint64_t j = (r >> 20) % 100000; /* price = 10^(6 j / 100000) x 100, from two tables */
    ev->price = (int64_t)(c->price_hi[j / 1000] * c->price_lo[j % 1000] * 100 + 0.5);
    ev->date_time = event_time(c, e);
    unsigned ch = (unsigned)(r >> 40) % NELEM(channels);
    ev->channel = channels[ch];
    /* "https://www.nexmark.com/<channel>/item.htm?query=1&channel_id=<n>",
     * assembled by hand: snprintf here would cost more than the query */
    static const char head[] = "https://www.nexmark.com/", tail[] = "/item.htm?query=1&channel_id=";
    size_t n = 0, cl = strlen(channels[ch]);
    unsigned id = (unsigned)((r >> 44) % 1024);
    char digits[4];
    int nd = 0;
    memcpy(ev->s1, head, sizeof head - 1);
    n += sizeof head - 1;
    memcpy(ev->s1 + n, channels[ch], cl);
    n += cl;
    memcpy(ev->s1 + n, tail, sizeof tail - 1);
    n += sizeof tail - 1;
    do {
        digits[nd++] = (char)('0' + id % 10);
        id /= 10;
    } while (id);
    while (nd)
        ev->s1[n++] = digits[--nd];
    ev->s1[n] = 0;
    ev->n1 = (int)n;
}

/* ---- column maps: which column of the declared schema gets which field ---- */

static const char *const person_fields[] = {"id",   "name",  "email_address", "credit_card",
                                            "city", "state", "date_time",     "extra"};
static const char *const auction_fields[] = {"id",        "item_name", "description",
                                             "initial_bid", "reserve", "date_time",
                                             "expires",   "seller",    "category",
                                             "extra"};
static const char *const bid_fields[] = {"auction", "bidder",    "price", "channel",
                                         "url",     "date_time", "extra"};

static const char *const *fields_of(em_nx_kind k, uint32_t *n)
{
    if (k == EM_NX_PERSON) {
        *n = NELEM(person_fields);
        return person_fields;
    }
    if (k == EM_NX_AUCTION) {
        *n = NELEM(auction_fields);
        return auction_fields;
    }
    *n = NELEM(bid_fields);
    return bid_fields;
}

int em_nx_map(em_nx_kind k, const em_schema *s, int *map)
{
    uint32_t n;
    const char *const *f = fields_of(k, &n);
    for (uint32_t i = 0; i < EM_NX_MAX_FIELDS; i++)
        map[i] = -1;
    for (uint32_t i = 0; i < n; i++)
        map[i] = em_schema_find(s, f[i], strlen(f[i]));
    return 0;
}

static int put_text(em_batch_builder *bb, int col, const char *p, int n)
{
    return col < 0 ? 0 : em_batch_builder_set_text(bb, (uint32_t)col, p, (size_t)n);
}

static void put_i64(em_batch_builder *bb, int col, int64_t v)
{
    if (col >= 0)
        em_batch_builder_set_i64(bb, (uint32_t)col, v);
}

int em_nx_append(const em_nx_config *c, em_nx_kind k, uint64_t e, const int *map,
                 em_batch_builder *bb)
{
    em_nx_event ev;
    int rc = 0;
    if (k == EM_NX_PERSON) {
        em_nx_person(c, e, &ev);
        put_i64(bb, map[0], ev.id);
        if ((rc = put_text(bb, map[1], ev.s1, ev.n1)) || (rc = put_text(bb, map[2], ev.s2, ev.n2)) ||
            (rc = put_text(bb, map[3], ev.s3, ev.n3)) ||
            (rc = put_text(bb, map[4], ev.city, (int)strlen(ev.city))) ||
            (rc = put_text(bb, map[5], ev.state, (int)strlen(ev.state))))
            return rc;
        put_i64(bb, map[6], ev.date_time);
        rc = put_text(bb, map[7], "", 0);
    } else if (k == EM_NX_AUCTION) {
        em_nx_auction(c, e, &ev);
        put_i64(bb, map[0], ev.id);
        if ((rc = put_text(bb, map[1], ev.s1, ev.n1)) || (rc = put_text(bb, map[2], ev.s2, ev.n2)))
            return rc;
        put_i64(bb, map[3], ev.initial_bid);
        put_i64(bb, map[4], ev.reserve);
        put_i64(bb, map[5], ev.date_time);
        put_i64(bb, map[6], ev.expires);
        put_i64(bb, map[7], ev.seller);
        put_i64(bb, map[8], ev.category);
        rc = put_text(bb, map[9], "", 0);
    } else {
        em_nx_bid(c, e, &ev);
        put_i64(bb, map[0], ev.auction);
        put_i64(bb, map[1], ev.bidder);
        put_i64(bb, map[2], ev.price);
        if ((rc = put_text(bb, map[3], ev.channel, (int)strlen(ev.channel))) ||
            (rc = put_text(bb, map[4], ev.s1, ev.n1)))
            return rc;
        put_i64(bb, map[5], ev.date_time);
        rc = put_text(bb, map[6], "", 0);
    }
    if (rc)
        return rc;
    return em_batch_builder_end_row(bb);
}

/* ---- the `nexmark` source connector ---- */

static const em_option_def nx_options[] = {
    {"kind", EM_OPT_ENUM, NULL, 0, 0, "person|auction|bid", EM_OPT_REQUIRED,
     "which events of the stream this source delivers"},
    {"events", EM_OPT_INT, "1000000", 1, 9e18, NULL, 0,
     "length of the whole event stream (all kinds)"},
    {"seed", EM_OPT_INT, "1", 0, 0, NULL, 0, "random seed"},
    {"interevent", EM_OPT_INT, "10", 1, 1e9, NULL, 0,
     "event time between consecutive events, microseconds"},
    {"format", EM_OPT_ENUM, "json", 0, 0, "json", 0, "(typed rows; accepted for symmetry)"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

typedef struct nx_src {
    em_nx_config cfg;
    em_nx_kind kind;
    uint64_t events, next; /* stream length; next event id to look at */
    int map[EM_NX_MAX_FIELDS];
} nx_src;

static int nx_init(void **self, em_conn_ctx *cx, unsigned kind)
{
    (void)kind;
    const em_options *o = em_conn_options(cx);
    nx_src *s = em_calloc(1, sizeof *s);
    if (!s)
        return EM_ENOMEM;
    const char *k = em_opt_str(o, "kind");
    s->kind = !strcasecmp(k, "person") ? EM_NX_PERSON
              : !strcasecmp(k, "auction") ? EM_NX_AUCTION
                                          : EM_NX_BID;
    em_nx_config_init(&s->cfg);
    s->cfg.seed = (uint64_t)em_opt_int(o, "seed");
    s->cfg.interevent_us = em_opt_int(o, "interevent");
    s->events = (uint64_t)em_opt_int(o, "events");
    em_nx_map(s->kind, em_conn_schema(cx), s->map);
    *self = s;
    return 0;
}

static int nx_poll(void *self, em_source_out *out)
{
    nx_src *s = self;
    while (s->next < s->events && em_source_out_room(out) > 0) {
        em_batch_builder *bb = em_source_out_builder(out);
        if (!bb)
            return EM_ENOMEM;
        uint32_t room = em_source_out_room(out), added = 0;
        while (s->next < s->events && added < room && !em_batch_builder_full(bb)) {
            uint64_t e = s->next++;
            if (em_nx_kind_of(e) != s->kind)
                continue;
            int rc = em_nx_append(&s->cfg, s->kind, e, s->map, bb);
            if (rc)
                return rc;
            added++;
        }
        em_source_out_added(out, added);
        if (!added)
            break;
    }
    return s->next >= s->events ? EM_EOF : 0;
}

static int nx_position(void *self, char *buf, size_t cap)
{
    nx_src *s = self;
    int n = snprintf(buf, cap, "%llu", (unsigned long long)s->next);
    return n < 0 || (size_t)n >= cap ? EM_ELIMIT : n;
}

static void nx_destroy(void *self)
{
    em_free(self);
}

const em_connector em__bench_nexmark_source = {
    .abi = EM_CONNECTOR_ABI,
    .name = "nexmark",
    .kinds = EM_CONNECTOR_SOURCE,
    .options = nx_options,
    .help = "benchmarks: NEXMark persons, auctions or bids (1:3:46)",
    .init = nx_init,
    .poll = nx_poll,
    .position = nx_position,
    .destroy = nx_destroy,
};

void em_nx_config_init(em_nx_config *c)
{
    for (int i = 0; i < 100; i++)
        c->price_hi[i] = pow(10.0, 6.0 * i / 100.0);
    for (int i = 0; i < 1000; i++)
        c->price_lo[i] = pow(10.0, 6.0 * i / 100000.0);
    c->seed = 1;
    c->start_us = INT64_C(1767225600000000); /* 2026-01-01T00:00:00Z */
    c->interevent_us = 10;
}

uint64_t em_nx_count(em_nx_kind k, uint64_t events)
{
    uint64_t full = events / EM_NX_PROPORTION, rest = events % EM_NX_PROPORTION;
    if (k == EM_NX_PERSON)
        return full + (rest > 0);
    if (k == EM_NX_AUCTION)
        return full * 3 + (rest > 1 ? (rest > 4 ? 3 : rest - 1) : 0);
    return full * 46 + (rest > 4 ? rest - 4 : 0);
}

const char *const *em_nx_fields(em_nx_kind k, uint32_t *n)
{
    return fields_of(k, n);
}
