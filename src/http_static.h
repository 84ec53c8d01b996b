/*
 * http_static.h — the web app's files as the server sends them (http.c's
 * static half): opened beneath the web folder only, each with its gzip
 * twin (web/NAME.gz, made by `make`) for a browser that takes gzip, and
 * kept in memory with their answers built once.
 *
 * A file up to KF_HTTP_STATIC_FILE_MAX is read once, with its twin, and
 * kept as ready answers (libmicrohttpd responses shared by every request:
 * 200 and 304, plain and gzip), so that a request costs a lookup and no
 * system call of its own.  The folder is watched (inotify): any change in
 * it drops what is kept, and the next request reads the files again, so
 * an edited file is served as it is now (within the moment the kernel takes
 * to say so).  Without inotify, or past KF_HTTP_STATIC_DIRS_MAX folders to
 * watch, nothing is kept and every request reads its file, as larger files
 * always are.
 *
 * Each answer carries Last-Modified and a strong ETag (the content's CRC-32
 * and length; the twin's differs by "-gz"), and gets 304 for If-None-Match
 * with a matching tag or, without it, If-Modified-Since with the very date
 * (nginx's "exact": a file put back to an older date is still sent).  A
 * file with a twin says Vary: Accept-Encoding, whichever is sent.  A twin
 * is sent only when its gzip trailer (CRC-32 and length) is the file's
 * own, so a twin left over from before an edit is never sent; for a file
 * too large to keep, when it is no older than the file.
 */
#ifndef KF_HTTP_STATIC_H
#define KF_HTTP_STATIC_H

#include <stdbool.h>
#include <microhttpd.h>

/* Files up to this size are kept in memory (with their twin); larger ones
 * are read (or sent with sendfile) at each request. */
#define KF_HTTP_STATIC_FILE_MAX (1024 * 1024)
/* At most this many bytes (files and twins) and answers are kept; past
 * either, further files are served without being kept. */
#define KF_HTTP_STATIC_CACHE_MAX (16 * 1024 * 1024)
#define KF_HTTP_STATIC_ENTRIES_MAX 1024
/* A web folder with more folders than this inside it is not watched, and
 * nothing of it is kept. */
#define KF_HTTP_STATIC_DIRS_MAX 256

typedef struct kf_http_static kf_http_static;

/* Serves the folder `dir`, resolved once here.  NULL when `dir` is NULL, is
 * not a folder, or memory runs out (the server then answers the API only).
 * Starts the thread that watches the folder. */
kf_http_static *kf_http_static_new(const char *dir);

/* Stops the watcher and frees what is kept (answers still being sent keep
 * their own reference).  NULL is a no-op. */
void kf_http_static_free(kf_http_static *st);

/* Queues on `conn` the answer to a GET or HEAD of `url` (decoded, without
 * its query).  When there is no such file inside the folder, queues
 * nothing and sets *missing, for the caller's 404.  Returns what the
 * request callback returns to libmicrohttpd (MHD_NO: out of memory, drop
 * the connection).  Safe from every server thread at once. */
enum MHD_Result kf_http_static_serve(kf_http_static *st, struct MHD_Connection *conn,
                                     const char *url, bool *missing);

/* Does this Accept-Encoding take gzip?  (RFC 9110 12.5.3; no header:
 * identity only.) */
bool kf_http_static_accepts_gzip(const char *accept_encoding);

/* Shared with http.c: the headers every response carries (Content-Type,
 * Cache-Control, and the security headers: nosniff, CSP, Referrer-Policy). */
void kf_http__common_headers(struct MHD_Response *resp, const char *type,
                             const char *cache);

#endif
