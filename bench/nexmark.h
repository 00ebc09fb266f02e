/*
 * bench/nexmark.h - the NEXMark event generator (nexmark_gen.c) used by the
 * nexmark benchmarks (bench_nexmark.c).
 *
 * One event stream numbered 0, 1, 2, ...; em_nx_kind_of(e) says whether
 * event e is a person, an auction or a bid, and em_nx_person / _auction /
 * _bid compute its fields, purely from (config, e). Event e happens at
 * start_us + e x interevent_us.
 */
#ifndef EMBER_BENCH_NEXMARK_H
#define EMBER_BENCH_NEXMARK_H

#include "batch/batch.h"
#include "ember/connector.h"

#include <stdint.h>

#define EM_NX_PROPORTION 50 /* 1 person + 3 auctions + 46 bids */
#define EM_NX_FIRST_ID 1000
#define EM_NX_MAX_FIELDS 10

typedef enum em_nx_kind { EM_NX_PERSON, EM_NX_AUCTION, EM_NX_BID } em_nx_kind;

typedef struct em_nx_config {
    uint64_t seed;
    int64_t start_us;      /* event time of event 0 */
    int64_t interevent_us; /* event time between events */
    double price_hi[100];  /* 10^(6 i / 100) and 10^(6 i / 100000): bid prices */
    double price_lo[1000];
} em_nx_config;

/* One event's fields. Person: id, s1 name, s2 email, s3 credit card, city,
 * state. Auction: id, s1 item name, s2 description, initial_bid, reserve,
 * expires, seller, category. Bid: auction, bidder, price, channel, s1 url. */
typedef struct em_nx_event {
    int64_t id, auction, bidder, price, seller, category, initial_bid, reserve;
    int64_t date_time, expires;
    const char *city, *state, *channel; /* static strings */
    char s1[96], s2[64], s3[24];
    int n1, n2, n3;
} em_nx_event;

/* Seed 1, start 2026-01-01T00:00:00Z, 10 µs between events (and the
 * price tables). */
void em_nx_config_init(em_nx_config *c);
em_nx_kind em_nx_kind_of(uint64_t e);
/* How many events of kind k the first `events` events of the stream hold. */
uint64_t em_nx_count(em_nx_kind k, uint64_t events);
void em_nx_person(const em_nx_config *c, uint64_t e, em_nx_event *ev);
void em_nx_auction(const em_nx_config *c, uint64_t e, em_nx_event *ev);
void em_nx_bid(const em_nx_config *c, uint64_t e, em_nx_event *ev);

/* The field names of kind k, in the canonical order (n gets the count). */
const char *const *em_nx_fields(em_nx_kind k, uint32_t *n);
/* map[i] = the column of s named like field i of kind k, or -1. */
int em_nx_map(em_nx_kind k, const em_schema *s, int *map);
/* Appends event e (of kind k) as one row to bb through map; fields whose
 * column is absent are skipped. Returns 0 or the builder's EM_E* code. */
int em_nx_append(const em_nx_config *c, em_nx_kind k, uint64_t e, const int *map,
                 em_batch_builder *bb);

/* The `nexmark` source connector: options kind (person|auction|bid),
 * events (stream length), seed, interevent (µs). Bounded. */
extern const em_connector em__bench_nexmark_source;

#endif
