/*
 * expr/func_aqi.c - U.S. EPA Air Quality Index functions: aqi_pm25 and
 * aqi_pm10 (concentration -> index, with the breakpoint table in force at
 * a given time), aqi_category and aqi_color (index -> name, hex colour).
 *
 * Tables are versioned by the date they took effect: the 2012 PM NAAQS
 * table (used for every time before 2024-05-06) and the table of the 2024
 * PM NAAQS revision (89 FR 16202, effective 2024-05-06; EPA-454/B-24-002).
 * Concentrations are truncated as the EPA Technical Assistance Document
 * says (PM2.5 to 0.1 ug/m3, PM10 to 1 ug/m3) before the piecewise-linear
 * AQI equation, and the index is rounded to the nearest integer. The
 * comparisons run on integers (tenths of ug/m3 for PM2.5) so a value that
 * prints as a breakpoint always lands in that breakpoint's segment.
 * Above the top breakpoint the top segment is extended ("beyond the
 * AQI": an index above 500); negative or NaN concentrations give NULL.
 */
#include "ember/error.h"
#include "expr/expr_int.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

/* 2024-05-06T00:00:00Z in microseconds: the 2024 tables apply from here. */
#define AQI_2024_FROM 1714953600000000LL

typedef struct bp {
    int32_t clo, chi; /* concentration, in the table's unit (tenths for PM2.5) */
    int32_t ilo, ihi; /* index */
} bp;

typedef struct aqi_table {
    const bp *seg;
    uint32_t n;
    double scale; /* units per ug/m3: 10 for PM2.5, 1 for PM10 */
} aqi_table;

static const bp pm25_2024[] = {
    {0, 90, 0, 50},         {91, 354, 51, 100},      {355, 554, 101, 150},
    {555, 1254, 151, 200},  {1255, 2254, 201, 300},  {2255, 3254, 301, 500},
};
static const bp pm25_2012[] = {
    {0, 120, 0, 50},        {121, 354, 51, 100},     {355, 554, 101, 150},
    {555, 1504, 151, 200},  {1505, 2504, 201, 300},  {2505, 3504, 301, 400},
    {3505, 5004, 401, 500},
};
/* The 2024 revision merged the two Hazardous rows (301-400, 401-500) of
 * every pollutant into one, 301-500: for PM10, 425-604 ug/m3. */
static const bp pm10_2024[] = {
    {0, 54, 0, 50},     {55, 154, 51, 100},  {155, 254, 101, 150}, {255, 354, 151, 200},
    {355, 424, 201, 300}, {425, 604, 301, 500},
};
static const bp pm10_2012[] = {
    {0, 54, 0, 50},     {55, 154, 51, 100},  {155, 254, 101, 150}, {255, 354, 151, 200},
    {355, 424, 201, 300}, {425, 504, 301, 400}, {505, 604, 401, 500},
};

#define NSEG(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

static const aqi_table t_pm25_2024 = {pm25_2024, NSEG(pm25_2024), 10.0};
static const aqi_table t_pm25_2012 = {pm25_2012, NSEG(pm25_2012), 10.0};
static const aqi_table t_pm10_2024 = {pm10_2024, NSEG(pm10_2024), 1.0};
static const aqi_table t_pm10_2012 = {pm10_2012, NSEG(pm10_2012), 1.0};

/* The index of concentration c (ug/m3) under table t; -1 for a negative or
 * non-finite c. */
static double aqi_of(const aqi_table *t, double c)
{
    if (!(c >= 0) || isinf(c))
        return -1;
    /* truncate to the table's unit; the epsilon keeps 35.4 (stored as
     * 35.39999...) at 354 tenths */
    double u = floor(c * t->scale + 1e-7);
    const bp *s = &t->seg[t->n - 1];
    for (uint32_t i = 0; i < t->n; i++)
        if (u <= t->seg[i].chi) {
            s = &t->seg[i];
            break;
        }
    double aqi = (double)(s->ihi - s->ilo) / (double)(s->chi - s->clo) * (u - s->clo) + s->ilo;
    return round(aqi);
}

/* pm: 0 PM2.5, 1 PM10. args: conc DOUBLE [, at TIMESTAMP]. */
static int aqi_k(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                 em_column *out, int pm)
{
    int rc = em__out_alloc(cx, in, EM_TYPE_BIGINT, 0, out);
    if (rc)
        return rc;
    EM__FOREACH_ROW(in, k, r) {
        double v = -1;
        if (!em__anynull(a, na, r)) {
            bool old = na > 1 && a[1].v.i64[r] < AQI_2024_FROM;
            const aqi_table *t = pm == 0 ? (old ? &t_pm25_2012 : &t_pm25_2024)
                                         : (old ? &t_pm10_2012 : &t_pm10_2024);
            v = aqi_of(t, a[0].v.f64[r]);
        }
        if (v < 0 || v > 1e15) {
            if ((rc = em__set_null(cx, out, r)) != 0)
                return rc;
        } else {
            out->v.i64[r] = (int64_t)v;
        }
    }
    return 0;
}

static int aqi_pm25_k(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                      em_column *out)
{
    return aqi_k(cx, a, na, in, out, 0);
}

static int aqi_pm10_k(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                      em_column *out)
{
    return aqi_k(cx, a, na, in, out, 1);
}

static const char *const cat_names[] = {"Good", "Moderate", "Unhealthy for Sensitive Groups",
                                        "Unhealthy", "Very Unhealthy", "Hazardous"};
static const char *const cat_colors[] = {"#00E400", "#FFFF00", "#FF7E00",
                                         "#FF0000", "#8F3F97", "#7E0023"};

/* Category 0..5 of an index; -1 for a negative or NaN index. */
static int category(double aqi)
{
    static const double top[] = {50, 100, 150, 200, 300};
    if (!(aqi >= 0))
        return -1;
    for (int i = 0; i < 5; i++)
        if (aqi <= top[i])
            return i;
    return 5;
}

static int cat_k(em_eval_ctx *cx, const em_column *a, const em_batch *in, em_column *out,
                 const char *const *names)
{
    int rc = em__out_alloc(cx, in, EM_TYPE_TEXT, 32 * em_batch_count(in), out);
    if (rc)
        return rc;
    em_text_out t;
    em__text_begin(&t, out);
    EM__FOREACH_ROW(in, k, r) {
        int c = em_column_is_null(&a[0], r) ? -1 : category(a[0].v.f64[r]);
        if (c < 0)
            rc = em__text_null(cx, &t, r);
        else
            rc = em__text_put(cx, &t, r, names[c], strlen(names[c]));
        if (rc)
            return rc;
    }
    em__text_finish(&t);
    return 0;
}

static int aqi_category_k(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                          em_column *out)
{
    (void)na;
    return cat_k(cx, a, in, out, cat_names);
}

static int aqi_color_k(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                       em_column *out)
{
    (void)na;
    return cat_k(cx, a, in, out, cat_colors);
}

const em_func_def em__funcs_aqi[] = {
    {"aqi_pm25", 1, 2, {EM_TYPE_DOUBLE, EM_TYPE_TIMESTAMP}, EM_TYPE_BIGINT, aqi_pm25_k},
    {"aqi_pm10", 1, 2, {EM_TYPE_DOUBLE, EM_TYPE_TIMESTAMP}, EM_TYPE_BIGINT, aqi_pm10_k},
    {"aqi_category", 1, 1, {EM_TYPE_DOUBLE}, EM_TYPE_TEXT, aqi_category_k},
    {"aqi_color", 1, 1, {EM_TYPE_DOUBLE}, EM_TYPE_TEXT, aqi_color_k},
    {NULL, 0, 0, {0}, 0, NULL},
};
