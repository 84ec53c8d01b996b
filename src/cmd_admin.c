/* cmd_admin.c — `knotfinder admin`: the hosted course's administration
 * from a shell on a server, where the database is reachable:
 *   knotfinder admin therapist EMAIL --db URL [--revoke]
 * grants (or takes back) the therapist role: the therapist's account sees
 * the question queue with the drafts and publishes answers.  Signed-in
 * sessions see the new role on their next request (the role is read with
 * the session). */
#include "cli.h"
#include "store.h"

#include <stdio.h>
#include <string.h>

static void admin_usage(FILE *out)
{
    fputs("usage: knotfinder admin therapist EMAIL --db URL [--revoke]\n"
          "  therapist EMAIL  give the account of EMAIL the therapist role (it\n"
          "                   sees the question queue and answers); --revoke\n"
          "                   takes it back\n"
          "  --db URL         the hosted course's database (postgresql://..., or\n"
          "                   an SQLite file); the global --db works too\n", out);
}

int kf_cmd_admin(kf_cli *c, int argc, char **argv)
{
    const char *what = NULL, *email = NULL, *db = c->db_path;
    bool revoke = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            admin_usage(stdout);
            return KF_EXIT_OK;
        } else if (!strcmp(a, "--db") && i + 1 < argc) {
            db = argv[++i];
        } else if (!strncmp(a, "--db=", 5)) {
            db = a + 5;
        } else if (!strcmp(a, "--revoke")) {
            revoke = true;
        } else if (a[0] == '-') {
            fprintf(stderr, "knotfinder admin: unknown option '%s'\n", a);
            admin_usage(stderr);
            return KF_EXIT_USAGE;
        } else if (!what) {
            what = a;
        } else if (!email) {
            email = a;
        } else {
            fprintf(stderr, "knotfinder admin: one EMAIL at a time ('%s' is one too many)\n", a);
            return KF_EXIT_USAGE;
        }
    }
    if (!what || strcmp(what, "therapist") != 0 || !email) {
        if (what && strcmp(what, "therapist") != 0)
            fprintf(stderr, "knotfinder admin: unknown command '%s'\n", what);
        admin_usage(stderr);
        return KF_EXIT_USAGE;
    }
    if (!db || !*db) {
        fprintf(stderr, "knotfinder admin: --db is required: the hosted course's "
                "database (the local journal has no accounts)\n");
        return KF_EXIT_USAGE;
    }
    kf_store *s = NULL;
    kf_buf err;
    kf_buf_init(&err);
    kf_user u;
    kf_err e = kf_store_open(db, &s, &err);
    if (e == KF_OK)
        e = kf_store_user_by_email(s, email, &u, &err);
    if (e == KF_OK)
        e = kf_store_user_set_role(s, u.id, revoke ? KF_ROLE_USER : KF_ROLE_THERAPIST, &err);
    int rc = KF_EXIT_OK;
    if (e == KF_ENOTFOUND) {
        fprintf(stderr, "knotfinder admin: no account for %s (sign up first)\n", email);
        rc = KF_EXIT_INPUT;
    } else if (e == KF_EINVAL || e == KF_ETOOBIG) {
        fprintf(stderr, "knotfinder admin: %s\n", err.len ? err.s : kf_strerror(e));
        rc = KF_EXIT_INPUT;
    } else if (e != KF_OK) {
        fprintf(stderr, "knotfinder admin: %s\n", err.len ? err.s : kf_strerror(e));
        rc = e == KF_ENOMEM ? KF_EXIT_INTERNAL : KF_EXIT_DB;
    } else {
        printf("%s is %s\n", u.email, revoke ? "no longer a therapist" : "a therapist now");
    }
    kf_store_close(s);
    kf_buf_free(&err);
    return rc;
}
