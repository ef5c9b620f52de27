/* SPDX-License-Identifier: Apache-2.0 */
/* Schema look-ups off the loop thread (see sr.h): the gateway decodes
 * management requests on its loop, and a registry that answers in seconds
 * must not stall every device meanwhile.  One worker thread, its own curl
 * handle (zl_sr_t is not shared), a FIFO of ids to fetch and a FIFO of
 * results; an eventfd tells the owner's loop that results wait. */
#include "kafka/sr.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

typedef struct job {
    struct job *next;
    int32_t id;
    zl_err_t e;
    char *text;       /* ZL_OK: the schema (owned until handed to the caller) */
    char errstr[300]; /* failure: why */
} job_t;

struct zl_sr_async {
    zl_sr_t *sr; /* the worker's */
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job_t *todo_head, *todo_tail; /* under mu */
    job_t *done_head, *done_tail; /* under mu */
    atomic_bool stop;
    int efd;
};

static void push(job_t **head, job_t **tail, job_t *j) {
    j->next = NULL;
    if (*tail) (*tail)->next = j;
    else *head = j;
    *tail = j;
}

static job_t *pop(job_t **head, job_t **tail) {
    job_t *j = *head;
    if (j && !(*head = j->next)) *tail = NULL;
    return j;
}

static void *worker(void *arg) {
    zl_sr_async_t *a = arg;
    pthread_mutex_lock(&a->mu);
    for (;;) {
        while (!a->todo_head && !atomic_load(&a->stop)) pthread_cond_wait(&a->cv, &a->mu);
        if (atomic_load(&a->stop)) break;
        job_t *j = pop(&a->todo_head, &a->todo_tail);
        pthread_mutex_unlock(&a->mu);
        j->e = zl_sr_fetch(a->sr, j->id, &j->text, j->errstr, sizeof j->errstr);
        pthread_mutex_lock(&a->mu);
        push(&a->done_head, &a->done_tail, j);
        uint64_t one = 1;
        if (write(a->efd, &one, sizeof one) < 0) {
        } /* cannot fail short of a counter overflow */
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

zl_sr_async_t *zl_sr_async_new(const char *url, char *errstr, size_t n) {
    zl_sr_opts_t o = {.url = url};
    return zl_sr_async_new_opts(&o, errstr, n);
}

zl_sr_async_t *zl_sr_async_new_opts(const zl_sr_opts_t *o, char *errstr, size_t n) {
    zl_sr_async_t *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(errstr, n, "out of memory");
        return NULL;
    }
    a->efd = -1;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    atomic_init(&a->stop, false);
    if (!(a->sr = zl_sr_new_opts(o, errstr, n))) goto fail;
    zl_sr_set_abort(a->sr, &a->stop);
    if ((a->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
        snprintf(errstr, n, "eventfd: %s", strerror(errno));
        goto fail;
    }
    int rc = pthread_create(&a->thread, NULL, worker, a);
    if (rc) {
        snprintf(errstr, n, "cannot start the schema registry thread: %s", strerror(rc));
        goto fail;
    }
    a->started = true;
    return a;
fail:
    zl_sr_async_destroy(a);
    return NULL;
}

static void free_list(job_t *j) {
    while (j) {
        job_t *next = j->next;
        free(j->text);
        free(j);
        j = next;
    }
}

void zl_sr_async_destroy(zl_sr_async_t *a) {
    if (!a) return;
    if (a->started) {
        pthread_mutex_lock(&a->mu);
        atomic_store(&a->stop, true);
        pthread_cond_signal(&a->cv);
        pthread_mutex_unlock(&a->mu);
        pthread_join(a->thread, NULL);
    }
    free_list(a->todo_head);
    free_list(a->done_head);
    zl_sr_destroy(a->sr);
    if (a->efd >= 0) close(a->efd);
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

zl_err_t zl_sr_async_fetch(zl_sr_async_t *a, int32_t id) {
    job_t *j = calloc(1, sizeof *j);
    if (!j) return ZL_ERR_NOMEM;
    j->id = id;
    pthread_mutex_lock(&a->mu);
    push(&a->todo_head, &a->todo_tail, j);
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
    return ZL_OK;
}

int zl_sr_async_fd(const zl_sr_async_t *a) { return a->efd; }

bool zl_sr_async_result(zl_sr_async_t *a, int32_t *id, zl_err_t *e, char **text, char *errstr, size_t n) {
    uint64_t v;
    if (read(a->efd, &v, sizeof v) < 0) {
    } /* drained; whatever is queued is served below */
    pthread_mutex_lock(&a->mu);
    job_t *j = pop(&a->done_head, &a->done_tail);
    pthread_mutex_unlock(&a->mu);
    if (!j) return false;
    *id = j->id;
    *e = j->e;
    *text = j->text;
    if (j->e) snprintf(errstr, n, "%s", j->errstr);
    free(j);
    return true;
}
