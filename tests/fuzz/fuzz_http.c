/* fuzz_http.c — libFuzzer harness for the server's request handling without
 * the sockets (http.h): the gate (Host, Origin, Sec-Fetch-Site, token), the
 * unescaping of the path, the route table, and static paths under a small
 * web folder made at start (with a file outside it, a symlink out and a
 * FIFO).  The input is lines: method, path, Host, Origin, Sec-Fetch-Site,
 * token.  Checked: unescaping never grows the path nor lets a %00 through,
 * a route's parameter is one segment of the path, a static file that opens
 * is inside the web folder, and the gate refuses every Host that is not
 * this server's.  Build and run with tests/fuzz/run.sh. */
#include "api.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[PATH_MAX];
static kf_app app;                /* only its route table is used */
static kf_http_service svc;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char tmp[] = "/tmp/kf-fuzz-http-XXXXXX";
    if (!mkdtemp(tmp))
        exit(1);
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/web", tmp);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/web/js", tmp);
    mkdir(p, 0700);
    static const char *const files[] = { "web/index.html", "web/js/app.js",
                                         "web/.hidden", "secret.txt" };
    for (size_t i = 0; i < KF_ARRAY_LEN(files); i++) {
        snprintf(p, sizeof p, "%s/%s", tmp, files[i]);
        FILE *f = fopen(p, "w");
        if (f) {
            fputs("x\n", f);
            fclose(f);
        }
    }
    char t[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/web/link.txt", tmp);
    snprintf(t, sizeof t, "%s/secret.txt", tmp);
    if (symlink(t, p) != 0)
        perror("symlink");
    snprintf(p, sizeof p, "%s/web/up", tmp);
    if (symlink(tmp, p) != 0)
        perror("symlink");
    snprintf(p, sizeof p, "%s/web/fifo", tmp);
    mkfifo(p, 0600);
    snprintf(p, sizeof p, "%s/web", tmp);
    if (!realpath(p, root))
        exit(1);
    svc = kf_api_service(&app);
    return 0;
}

/* The next line of the input (NUL-terminated copy), or NULL. */
static char *next_line(const unsigned char **d, size_t *n)
{
    if (!*n)
        return NULL;
    const unsigned char *nl = memchr(*d, '\n', *n);
    size_t k = nl ? (size_t)(nl - *d) : *n;
    char *s = kf_strndup((const char *)*d, k);
    *d += k + (nl != NULL);
    *n -= k + (nl != NULL);
    return s;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char *f[6] = { 0 };
    for (int i = 0; i < 6; i++)
        f[i] = next_line(&data, &size);
    const char *method = f[0] ? f[0] : "GET";
    char *url = f[1] ? f[1] : kf_strdup("/");
    if (!url)
        goto out;
    size_t before = strlen(url);
    size_t after = kf_http__unescape(url);
    if (after > before || after != strlen(url))
        abort();                              /* grew, or hid a NUL */

    const char *param = NULL;
    int status = 0;
    int r = kf_http__route(&svc, method, url, &param, &status);
    if (r >= 0 && param && (param < url || param > url + after ||
                            !*param || *param == '/'))
        abort();
    if (r < 0 && status != 404 && status != 405)
        abort();

    if (strncmp(url, "/api", 4) != 0) {
        char real[PATH_MAX];
        int fd = kf_http__static_open(root, url, real);
        if (fd >= 0) {
            size_t n = strlen(root);
            struct stat st;
            if (strncmp(real, root, n) != 0 || (real[n] != '/' && real[n] != '\0') ||
                fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || strstr(real, "/."))
                abort();
            close(fd);
        }
    }

    static const char tok[] = "0123456789abcdef0123456789abcdef";
    kf_http_gate_cfg cfgs[] = {
        { .bind = "127.0.0.1", .port = 8080 },
        { .bind = "192.168.1.5", .port = 8080, .token = tok },
        { .bind = "::", .port = 8080, .any_host = true, .token = tok },
    };
    for (size_t i = 0; i < KF_ARRAY_LEN(cfgs); i++) {
        kf_http_gate_req q = { .method = method, .url = url, .host = f[2],
                               .origin = f[3], .fetch_site = f[4], .token = f[5] };
        const char *code = NULL;
        char why[512];
        int st = kf_http_gate(&cfgs[i], &q, &code, why, sizeof why);
        if (st && (!code || !why[0]))
            abort();
        /* A Host of another name never passes on loopback. */
        if (i == 0 && st == 0 && f[2] && !kf_http_host_ok(&cfgs[i], f[2]))
            abort();
        if (i == 0 && st == 0 && f[2] &&
            strncasecmp(f[2], "127.0.0.1:", 10) && strncasecmp(f[2], "localhost:", 10) &&
            strncmp(f[2], "[::1]:", 6))
            abort();
        /* The journal never opens without the token when one is needed. */
        if (i > 0 && st == 0 && !strncmp(url, "/api/v1/journal", 15) &&
            (url[15] == '\0' || url[15] == '/' || url[15] == '.') &&
            (!f[5] || strcmp(f[5], tok)))
            abort();
    }
out:
    for (int i = 0; i < 6; i++)
        if (f[i] != url)
            kf_free(f[i]);
    kf_free(url);
    return 0;
}
