/*
 * Loading a library on first use (core/dl.h): functions are found, a
 * missing library or function is named in the error, and the first
 * result is kept.
 */
#include "core/dl.h"
#include "t.h"

#include <math.h>
#include <string.h>

typedef struct m_api {
    double (*cos)(double);
    double (*sqrt)(double);
} m_api;

TEST(functions_of_a_library_are_found)
{
    static em_dl_once once;
    m_api m;
    const char *names[] = {"cos", "sqrt"};
    char err[256] = "";
    CHECK_EQ_INT(em_dl_load(&once, "libm.so.6", names, (void **)&m, 2, err, sizeof err), 0);
    CHECK(m.sqrt(16.0) == 4.0);
    CHECK(m.cos(0.0) == 1.0);
}

TEST(a_missing_library_is_named)
{
    static em_dl_once once;
    void *f[1];
    const char *names[] = {"cos"};
    char err[256] = "";
    CHECK(em_dl_load(&once, "libember-no-such.so.9", names, f, 1, err, sizeof err) != 0);
    CHECK(strstr(err, "cannot load libember-no-such.so.9") != NULL);
    err[0] = 0; /* the first result is kept, with its message */
    CHECK(em_dl_load(&once, "libm.so.6", names, f, 1, err, sizeof err) != 0);
    CHECK(strstr(err, "libember-no-such.so.9") != NULL);
}

TEST(a_missing_function_is_named)
{
    static em_dl_once once;
    void *f[2];
    const char *names[] = {"cos", "em_no_such_function"};
    char err[256] = "";
    CHECK(em_dl_load(&once, "libm.so.6", names, f, 2, err, sizeof err) != 0);
    CHECK(strstr(err, "libm.so.6 has no function em_no_such_function") != NULL);
}

int main(void)
{
    RUN(functions_of_a_library_are_found);
    RUN(a_missing_library_is_named);
    RUN(a_missing_function_is_named);
    return t_done();
}
