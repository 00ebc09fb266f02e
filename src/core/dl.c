/*
 * core/dl.c - loading a connector's library on first use (dl.h).
 */
#include "core/dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t dl_mu = PTHREAD_MUTEX_INITIALIZER;

int em_dl_load(em_dl_once *once, const char *soname, const char *const *names, void **fns,
               size_t n, char *err, size_t cap)
{
    pthread_mutex_lock(&dl_mu);
    if (once->state == 0) {
        void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
        once->state = 1;
        if (!h) {
            const char *why = dlerror();
            snprintf(once->err, sizeof once->err, "cannot load %s: %s", soname,
                     why ? why : "unknown error");
            once->state = -1;
        }
        for (size_t i = 0; h && i < n; i++) {
            void *p = dlsym(h, names[i]);
            if (!p) {
                snprintf(once->err, sizeof once->err, "%s has no function %s", soname, names[i]);
                once->state = -1;
                break;
            }
            fns[i] = p;
        }
        /* the handle stays open for the life of the process */
    }
    int rc = once->state > 0 ? 0 : -1;
    if (rc && err && cap)
        snprintf(err, cap, "%s", once->err);
    pthread_mutex_unlock(&dl_mu);
    return rc;
}
