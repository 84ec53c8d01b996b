/* test_http.c — the server's gate (http.h, kf_http_gate): which Host names,
 * origins and tokens may reach which paths, for a server on 127.0.0.1, on
 * one address of the network, and on every address. */
#include "check.h"
#include "http.h"

static int gate(const kf_http_gate_cfg *g, const char *url, const char *host,
                const char *origin, const char *site, const char *token)
{
    kf_http_gate_req r = { .method = "GET", .url = url, .host = host,
                           .origin = origin, .fetch_site = site, .token = token };
    const char *code = NULL;
    char why[512] = "";
    int st = kf_http_gate(g, &r, &code, why, sizeof why);
    if (st)
        CHECK(code != NULL && why[0] != '\0');
    return st;
}

static void test_loopback(void)
{
    kf_http_gate_cfg g = { .bind = "127.0.0.1", .port = 8080 };
    CHECK_INT(gate(&g, "/", "127.0.0.1:8080", NULL, NULL, NULL), 0);
    CHECK_INT(gate(&g, "/", "localhost:8080", NULL, NULL, NULL), 0);
    CHECK_INT(gate(&g, "/", "LOCALHOST:8080", NULL, NULL, NULL), 0);
    CHECK_INT(gate(&g, "/", "[::1]:8080", NULL, NULL, NULL), 0);
    CHECK_INT(gate(&g, "/", NULL, NULL, NULL, NULL), 0);      /* HTTP/1.0 */
    /* DNS rebinding: another name, the right address. */
    CHECK_INT(gate(&g, "/api/v1/journal", "evil.test:8080", NULL, NULL, NULL), 421);
    CHECK_INT(gate(&g, "/", "evil.test:8080", NULL, NULL, NULL), 421);
    CHECK_INT(gate(&g, "/", "127.0.0.1", NULL, NULL, NULL), 421);  /* port 80 */
    CHECK_INT(gate(&g, "/", "127.0.0.1:80", NULL, NULL, NULL), 421);
    CHECK_INT(gate(&g, "/", "127.0.0.1:08080", NULL, NULL, NULL), 0);
    CHECK_INT(gate(&g, "/", "127.0.0.1:8080:8080", NULL, NULL, NULL), 421);
    CHECK_INT(gate(&g, "/", "127.0.0.1.:8080", NULL, NULL, NULL), 421);
    CHECK_INT(gate(&g, "/", "[::1]", NULL, NULL, NULL), 421);
    CHECK_INT(gate(&g, "/", "[::1:8080", NULL, NULL, NULL), 421);
    CHECK_INT(gate(&g, "/", "", NULL, NULL, NULL), 421);
    CHECK_INT(gate(&g, "/", ":8080", NULL, NULL, NULL), 421);
    CHECK_INT(gate(&g, "/", "127.0.0.1:", NULL, NULL, NULL), 421);
    CHECK_INT(gate(&g, "/", "127.0.0.1:999999", NULL, NULL, NULL), 421);
    /* Other sites. */
    CHECK_INT(gate(&g, "/api/v1/journal", "127.0.0.1:8080", "http://127.0.0.1:8080",
                   "same-origin", NULL), 0);
    CHECK_INT(gate(&g, "/api/v1/journal", "127.0.0.1:8080", "http://localhost:8080",
                   NULL, NULL), 0);
    CHECK_INT(gate(&g, "/api/v1/journal", "127.0.0.1:8080", "http://evil.test",
                   NULL, NULL), 403);
    CHECK_INT(gate(&g, "/api/v1/journal", "127.0.0.1:8080", "null", NULL, NULL), 403);
    CHECK_INT(gate(&g, "/api/v1/journal", "127.0.0.1:8080", "http://127.0.0.1:8081",
                   NULL, NULL), 403);
    CHECK_INT(gate(&g, "/api/v1/consult", "127.0.0.1:8080", NULL, "cross-site", NULL), 403);
    CHECK_INT(gate(&g, "/api/v1/consult", "127.0.0.1:8080", NULL, "same-site", NULL), 403);
    CHECK_INT(gate(&g, "/api/v1/consult", "127.0.0.1:8080", NULL, "none", NULL), 0);
    CHECK_INT(gate(&g, "/", "127.0.0.1:8080", "http://evil.test", "cross-site", NULL), 0);
    /* No token needed on loopback. */
    CHECK_INT(gate(&g, "/api/v1/journal", "127.0.0.1:8080", NULL, NULL, NULL), 0);
    CHECK(kf_http_host_ok(&g, "localhost:8080"));
    CHECK(!kf_http_host_ok(&g, NULL));
}

static void test_network(void)
{
    const char *tok = "0123456789abcdef0123456789abcdef";
    kf_http_gate_cfg g = { .bind = "192.168.1.5", .port = 8080, .token = tok };
    CHECK_INT(gate(&g, "/", "192.168.1.5:8080", NULL, NULL, NULL), 0);
    CHECK_INT(gate(&g, "/", "192.168.1.6:8080", NULL, NULL, NULL), 421);
    CHECK_INT(gate(&g, "/", "evil.test:8080", NULL, NULL, NULL), 421);
    /* The journal needs the token; the rest does not. */
    CHECK_INT(gate(&g, "/api/v1/journal", "192.168.1.5:8080", NULL, NULL, NULL), 401);
    CHECK_INT(gate(&g, "/api/v1/journal/checkins", "192.168.1.5:8080", NULL, NULL,
                   "0123456789abcdef0123456789abcdee"), 401);
    CHECK_INT(gate(&g, "/api/v1/journal/plan", "192.168.1.5:8080", NULL, NULL, "x"), 401);
    CHECK_INT(gate(&g, "/api/v1/journal/history.svg", "192.168.1.5:8080", NULL, NULL, NULL), 401);
    CHECK_INT(gate(&g, "/api/v1/journal/checkins", "192.168.1.5:8080", NULL, NULL, tok), 0);
    CHECK_INT(gate(&g, "/api/v1/health", "192.168.1.5:8080", NULL, NULL, NULL), 0);
    CHECK_INT(gate(&g, "/", "192.168.1.5:8080", NULL, NULL, NULL), 0);
    /* IPv6. */
    kf_http_gate_cfg g6 = { .bind = "fd00::5", .port = 9000, .token = tok };
    CHECK_INT(gate(&g6, "/", "[fd00::5]:9000", NULL, NULL, NULL), 0);
    CHECK_INT(gate(&g6, "/", "fd00::5:9000", NULL, NULL, NULL), 421);
    CHECK_INT(gate(&g6, "/", "[FD00::5]:9000", NULL, NULL, NULL), 0);
    /* Every address: any well-formed name, and still the token. */
    kf_http_gate_cfg ga = { .bind = "0.0.0.0", .port = 8080, .any_host = true, .token = tok };
    CHECK_INT(gate(&ga, "/", "my-laptop.local:8080", NULL, NULL, NULL), 0);
    CHECK_INT(gate(&ga, "/", "my-laptop.local:8081", NULL, NULL, NULL), 421);
    CHECK_INT(gate(&ga, "/", "bad name:8080", NULL, NULL, NULL), 421);
    CHECK_INT(gate(&ga, "/api/v1/journal", "my-laptop.local:8080", NULL, NULL, NULL), 401);
    CHECK_INT(gate(&ga, "/api/v1/journal", "my-laptop.local:8080",
                   "http://my-laptop.local:8080", "same-origin", tok), 0);
}

int main(void)
{
    RUN(test_loopback);
    RUN(test_network);
    return CHECK_DONE();
}
