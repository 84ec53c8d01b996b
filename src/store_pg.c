/*
 * store_pg.c — the PostgreSQL backend of the journal store (store.h), for
 * the hosted course: chosen by kf_store_open() for a postgres:// or
 * postgresql:// URI.
 */
#include "store_impl.h"

static kf_err pg_open(kf__store_core *s, kf_buf *err)
{
    if (err)
        kf_buf_printf(err, "%s: the PostgreSQL backend is not built yet; "
                      "use a file path", s->path);
    return KF_EINVAL;
}

static void pg_close(kf__store_core *s) { (void)s; }

const kf__store_ops kf__pg_ops = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
};
