"""The feed server of bench/polling.py, and a load generator to find its ceiling.

The server
----------
Serves the files under one root directory over HTTP/1.1 on 127.0.0.1 (the
benchmark writes every feed copy there, as ``f/<n>.xml``). Like nginx with its
defaults, it derives the validators from the file: ``ETag: "<mtime hex>-<size
hex>"`` and ``Last-Modified`` = the file's modification time. It answers
``304 Not Modified`` when ``If-None-Match`` matches the ETag (weak comparison,
a list or ``*``), or, when there is no ``If-None-Match``, when
``If-Modified-Since`` is not older than the file (RFC 9110 13.1.1-13.1.3 and
13.2.2). Bodies go out with ``sendfile``; the type is ``application/xml``
with no charset, so every client takes the encoding from the XML declaration
as the real files declare it. Keep-alive and pipelining are supported.

Two implementations:

* ``c`` (the default): a small epoll server in C, compiled with the system's
  ``cc`` on first use (the source is below; the binary is cached under
  ``$XDG_CACHE_HOME/newsd-bench``). A master process forks ``workers``
  processes, each with its own ``SO_REUSEPORT`` socket on the same port, so
  the kernel spreads connections over them. They count requests by status in
  shared memory, served as JSON at ``GET /_stats``.
* ``aiohttp``: the same behaviour in aiohttp.web, in ``workers`` spawned
  processes with ``SO_REUSEPORT``, for machines without a C compiler. It costs
  far more CPU per request.

The server dies with the process that started it (``PR_SET_PDEATHSIG`` in C;
a watch on the parent pid in Python).

The load generator
------------------
``load(...)`` runs the same C binary in client mode: ``conns`` keep-alive
connections, one request in flight on each, over ``/f/0.xml`` ..
``/f/<n-1>.xml``; conditional GETs carry the ETag computed from the file the
way the server computes it. It reports requests/s and the status counts. Run
on the same 2 cores as the server, it gives a lower bound of the server's
ceiling.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import json
import multiprocessing as mp
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"

C_SOURCE = r"""
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define INBUF 16384
#define MAXW 64

typedef struct { unsigned long long req, s200, s304, s404, s4xx, bytes, conns; } stats_t;
static stats_t *stats;
static char root[4096];
static size_t rootlen;

typedef struct conn {
    int fd;
    size_t inlen;
    char in[INBUF];
    char hdr[1024];
    size_t hlen, hoff;
    int file;
    off_t foff;
    size_t fleft;
    int close_after;
    int out_mode;
} conn_t;

static int ep;
static char datebuf[64];
static time_t datesec = 0;

static void add(unsigned long long *p, unsigned long long v) { __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }

static const char *http_date(void) {
    time_t now = time(NULL);
    if (now != datesec) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(datebuf, sizeof datebuf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        datesec = now;
    }
    return datebuf;
}

/* RFC 9110 8.8.3.2 weak comparison against a list of entity tags, or "*". */
static int etag_matches(const char *list, size_t len, const char *etag) {
    const char *p = list, *end = list + len;
    const char *e = etag;
    size_t elen = strlen(etag);
    if (elen > 2 && e[0] == 'W' && e[1] == '/') { e += 2; elen -= 2; }
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == ',')) p++;
        if (p >= end) break;
        if (*p == '*') return 1;
        const char *q = p;
        if (end - q > 2 && q[0] == 'W' && q[1] == '/') q += 2;
        const char *s = q;
        if (s < end && *s == '"') {
            s++;
            while (s < end && *s != '"') s++;
            if (s < end) s++;
        } else {
            while (s < end && *s != ',') s++;
        }
        if ((size_t)(s - q) == elen && memcmp(q, e, elen) == 0) return 1;
        p = s;
        while (p < end && *p != ',') p++;
    }
    return 0;
}

static int parse_http_date(const char *v, size_t len, time_t *out) {
    char buf[64];
    if (len >= sizeof buf) return 0;
    memcpy(buf, v, len);
    buf[len] = 0;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *r = strptime(buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!r) return 0;
    *out = timegm(&tm);
    return 1;
}

static void conn_close(conn_t *c) {
    if (c->file >= 0) close(c->file);
    close(c->fd);
    free(c);
}

/* 1: everything sent, 0: would block, -1: error */
static int flush(conn_t *c) {
    while (c->hoff < c->hlen) {
        ssize_t n = send(c->fd, c->hdr + c->hoff, c->hlen - c->hoff, MSG_NOSIGNAL | (c->fleft ? MSG_MORE : 0));
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
            if (errno == EINTR) continue;
            return -1;
        }
        c->hoff += (size_t)n;
    }
    while (c->fleft > 0) {
        ssize_t n = sendfile(c->fd, c->file, &c->foff, c->fleft);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
            if (errno == EINTR) continue;
            return -1;
        }
        if (n == 0) return -1; /* the file shrank under us */
        c->fleft -= (size_t)n;
    }
    if (c->file >= 0) { close(c->file); c->file = -1; }
    c->hlen = c->hoff = 0;
    return 1;
}

static void simple(conn_t *c, const char *status, int keep) {
    c->hlen = (size_t)snprintf(c->hdr, sizeof c->hdr,
        "HTTP/1.1 %s\r\nServer: polling-bench-c\r\nDate: %s\r\nContent-Length: 0\r\n%s\r\n",
        status, http_date(), keep ? "" : "Connection: close\r\n");
    c->hoff = 0;
    if (!keep) c->close_after = 1;
}

static void handle(conn_t *c, char *req, size_t len) {
    add(&stats->req, 1);
    char *eol = memmem(req, len, "\r\n", 2);
    if (!eol) { add(&stats->s4xx, 1); simple(c, "400 Bad Request", 0); return; }
    char *sp1 = memchr(req, ' ', (size_t)(eol - req));
    char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
    if (!sp1 || !sp2) { add(&stats->s4xx, 1); simple(c, "400 Bad Request", 0); return; }
    int head = (sp1 - req == 4 && memcmp(req, "HEAD", 4) == 0);
    int get = (sp1 - req == 3 && memcmp(req, "GET", 3) == 0);
    int http10 = (eol - sp2 - 1 == 8 && memcmp(sp2 + 1, "HTTP/1.0", 8) == 0);
    const char *inm = NULL, *ims = NULL, *connh = NULL;
    size_t inml = 0, imsl = 0, connl = 0;
    char *line = eol + 2;
    char *end = req + len;
    while (line < end) {
        char *le = memmem(line, (size_t)(end - line), "\r\n", 2);
        if (!le || le == line) break;
        char *colon = memchr(line, ':', (size_t)(le - line));
        if (colon) {
            size_t nl = (size_t)(colon - line);
            char *v = colon + 1;
            while (v < le && (*v == ' ' || *v == '\t')) v++;
            char *ve = le;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
            if (nl == 13 && strncasecmp(line, "If-None-Match", 13) == 0) { inm = v; inml = (size_t)(ve - v); }
            else if (nl == 17 && strncasecmp(line, "If-Modified-Since", 17) == 0) { ims = v; imsl = (size_t)(ve - v); }
            else if (nl == 10 && strncasecmp(line, "Connection", 10) == 0) { connh = v; connl = (size_t)(ve - v); }
        }
        line = le + 2;
    }
    int keep = !http10;
    if (connh) {
        if (memmem(connh, connl, "close", 5) || memmem(connh, connl, "Close", 5)) keep = 0;
        else if (http10 && (memmem(connh, connl, "keep-alive", 10) || memmem(connh, connl, "Keep-Alive", 10))) keep = 1;
    }
    if (!get && !head) { add(&stats->s4xx, 1); simple(c, "405 Method Not Allowed", 0); return; }
    char path[8192];
    size_t tl = (size_t)(sp2 - sp1 - 1);
    char *target = sp1 + 1;
    char *q = memchr(target, '?', tl);
    if (q) tl = (size_t)(q - target);
    if (tl == 0 || target[0] != '/' || memmem(target, tl, "..", 2) || rootlen + tl + 1 > sizeof path) {
        add(&stats->s404, 1); simple(c, "404 Not Found", keep); return;
    }
    if (tl == 7 && memcmp(target, "/_stats", 7) == 0) {
        char body[512];
        int bl = snprintf(body, sizeof body,
            "{\"requests\": %llu, \"200\": %llu, \"304\": %llu, \"404\": %llu, \"other\": %llu, \"bytes\": %llu, \"connections\": %llu}",
            stats->req, stats->s200, stats->s304, stats->s404, stats->s4xx, stats->bytes, stats->conns);
        c->hlen = (size_t)snprintf(c->hdr, sizeof c->hdr,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nCache-Control: no-store\r\n%s\r\n%s",
            bl, keep ? "" : "Connection: close\r\n", body);
        c->hoff = 0;
        c->close_after = !keep;
        return;
    }
    memcpy(path, root, rootlen);
    memcpy(path + rootlen, target, tl);
    path[rootlen + tl] = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0) close(fd);
        add(&stats->s404, 1); simple(c, "404 Not Found", keep); return;
    }
    char etag[64], lastmod[64];
    snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)st.st_mtime, (unsigned long long)st.st_size);
    struct tm tm;
    gmtime_r(&st.st_mtime, &tm);
    strftime(lastmod, sizeof lastmod, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    int not_modified = 0;
    if (inm) {
        not_modified = etag_matches(inm, inml, etag);
    } else if (ims) {
        time_t t;
        if (parse_http_date(ims, imsl, &t) && st.st_mtime <= t) not_modified = 1;
    }
    const char *kc = keep ? (http10 ? "Connection: keep-alive\r\n" : "") : "Connection: close\r\n";
    if (not_modified) {
        close(fd);
        add(&stats->s304, 1);
        c->hlen = (size_t)snprintf(c->hdr, sizeof c->hdr,
            "HTTP/1.1 304 Not Modified\r\nServer: polling-bench-c\r\nDate: %s\r\nETag: %s\r\nLast-Modified: %s\r\n%s\r\n",
            http_date(), etag, lastmod, kc);
        c->hoff = 0;
        c->close_after = !keep;
        return;
    }
    add(&stats->s200, 1);
    add(&stats->bytes, (unsigned long long)st.st_size);
    c->hlen = (size_t)snprintf(c->hdr, sizeof c->hdr,
        "HTTP/1.1 200 OK\r\nServer: polling-bench-c\r\nDate: %s\r\nContent-Type: application/xml\r\n"
        "Content-Length: %lld\r\nETag: %s\r\nLast-Modified: %s\r\n%s\r\n",
        http_date(), (long long)st.st_size, etag, lastmod, kc);
    c->hoff = 0;
    c->close_after = !keep;
    if (head || st.st_size == 0) { close(fd); c->file = -1; c->fleft = 0; }
    else { c->file = fd; c->foff = 0; c->fleft = (size_t)st.st_size; }
}

static void set_events(conn_t *c, int out) {
    if (c->out_mode == out) return;
    struct epoll_event ev = { .events = out ? EPOLLOUT : EPOLLIN, .data.ptr = c };
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->out_mode = out;
}

/* Answer every complete request in the buffer; 0 when the connection was closed. */
static int process(conn_t *c) {
    for (;;) {
        if (c->hlen) {
            int r = flush(c);
            if (r < 0) { conn_close(c); return 0; }
            if (r == 0) { set_events(c, 1); return 1; }
            if (c->close_after) { conn_close(c); return 0; }
        }
        char *e = c->inlen ? memmem(c->in, c->inlen, "\r\n\r\n", 4) : NULL;
        if (!e) {
            if (c->inlen == INBUF) { simple(c, "431 Request Header Fields Too Large", 0); c->inlen = 0; continue; }
            set_events(c, 0);
            return 1;
        }
        size_t rl = (size_t)(e - c->in) + 4;
        handle(c, c->in, rl);
        memmove(c->in, c->in + rl, c->inlen - rl);
        c->inlen -= rl;
    }
}

static void worker(int lfd) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        if (n < 0) { if (errno == EINTR) continue; exit(1); }
        for (int i = 0; i < n; i++) {
            conn_t *c = evs[i].data.ptr;
            if (!c) {
                for (;;) {
                    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0) break;
                    int one = 1;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    conn_t *nc = calloc(1, sizeof *nc);
                    nc->fd = fd;
                    nc->file = -1;
                    struct epoll_event cev = { .events = EPOLLIN, .data.ptr = nc };
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
                    add(&stats->conns, 1);
                }
                continue;
            }
            if (c->out_mode) {
                if (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) process(c);
                continue;
            }
            if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                int closed = 0;
                while (c->inlen < INBUF) {
                    ssize_t r = recv(c->fd, c->in + c->inlen, INBUF - c->inlen, 0);
                    if (r > 0) { c->inlen += (size_t)r; continue; }
                    if (r == 0) { closed = 1; break; }
                    if (errno == EINTR) continue;
                    if (errno != EAGAIN && errno != EWOULDBLOCK) closed = 1;
                    break;
                }
                if (closed) { conn_close(c); continue; }
                process(c);
            }
        }
    }
}

static volatile sig_atomic_t stopping = 0;
static void on_term(int sig) { (void)sig; stopping = 1; }

static int serve(const char *dir, int port, int workers) {
    if (workers < 1) workers = 1;
    if (workers > MAXW) workers = MAXW;
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) { rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl); }
    snprintf(root, sizeof root, "%s", dir);
    rootlen = strlen(root);
    while (rootlen > 1 && root[rootlen - 1] == '/') root[--rootlen] = 0;
    stats = mmap(NULL, sizeof *stats, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int lfds[MAXW];
    for (int i = 0; i < workers; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
        inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
        if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("bind"); return 1; }
        if (listen(fd, 4096) != 0) { perror("listen"); return 1; }
        if (i == 0 && port == 0) {
            socklen_t al = sizeof a;
            getsockname(fd, (struct sockaddr *)&a, &al);
            port = ntohs(a.sin_port);
        }
        lfds[i] = fd;
    }
    pid_t pids[MAXW];
    for (int i = 0; i < workers; i++) {
        pid_t p = fork();
        if (p == 0) {
            for (int j = 0; j < workers; j++) if (j != i) close(lfds[j]);
            worker(lfds[i]);
            _exit(0);
        }
        pids[i] = p;
    }
    for (int i = 0; i < workers; i++) close(lfds[i]);
    printf("PORT %d\n", port);
    for (int i = 0; i < workers; i++) printf("WORKER %d\n", (int)pids[i]);
    printf("READY\n");
    fflush(stdout);
    /* No SA_RESTART: waitpid below must return on SIGTERM. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    while (!stopping) {
        int status;
        pid_t p = waitpid(-1, &status, 0);
        if (p < 0 && errno == ECHILD) break;
    }
    for (int i = 0; i < workers; i++) kill(pids[i], SIGTERM);
    while (waitpid(-1, NULL, 0) > 0) {}
    return 0;
}

/* ---- load generator ---- */

typedef struct lconn {
    int fd;
    char buf[65536];
    size_t len;
    long long body_left; /* -1: reading headers */
    int busy;
} lconn_t;

static long long next_req = 0, total_req = 0, done_req = 0;
static long long got200 = 0, got304 = 0, gotother = 0, gotbytes = 0;
static int nfeeds;
static char **etags;

static int lconnect(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("connect"); exit(1); }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

static int lsend(lconn_t *c, int cond) {
    if (next_req >= total_req) { c->busy = 0; return 0; }
    long long k = next_req++;
    int i = (int)(k % nfeeds);
    char req[512];
    int n;
    if (cond)
        n = snprintf(req, sizeof req, "GET /f/%d.xml HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: %s\r\n\r\n", i, etags[i]);
    else
        n = snprintf(req, sizeof req, "GET /f/%d.xml HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", i);
    if (send(c->fd, req, (size_t)n, MSG_NOSIGNAL) != n) { perror("send"); exit(1); }
    c->busy = 1;
    c->body_left = -1;
    return 1;
}

static int load(const char *dir, int port, int n, int conns, int cond, long long requests) {
    nfeeds = n;
    total_req = requests;
    etags = calloc((size_t)n, sizeof *etags);
    for (int i = 0; i < n; i++) {
        char p[8192];
        struct stat st;
        snprintf(p, sizeof p, "%s/f/%d.xml", dir, i);
        if (stat(p, &st) != 0) { perror(p); return 1; }
        etags[i] = malloc(64);
        snprintf(etags[i], 64, "\"%llx-%llx\"", (unsigned long long)st.st_mtime, (unsigned long long)st.st_size);
    }
    int lep = epoll_create1(0);
    lconn_t **cs = calloc((size_t)conns, sizeof *cs);
    struct timespec t0, t1;
    for (int i = 0; i < conns; i++) {
        cs[i] = calloc(1, sizeof **cs);
        cs[i]->fd = lconnect(port);
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = cs[i] };
        epoll_ctl(lep, EPOLL_CTL_ADD, cs[i]->fd, &ev);
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < conns; i++) lsend(cs[i], cond);
    struct epoll_event evs[256];
    while (done_req < total_req) {
        int k = epoll_wait(lep, evs, 256, 30000);
        if (k <= 0) { fprintf(stderr, "load: stalled\n"); return 1; }
        for (int e = 0; e < k; e++) {
            lconn_t *c = evs[e].data.ptr;
            for (;;) {
                ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
                if (r == 0) { fprintf(stderr, "load: server closed a connection\n"); return 1; }
                if (r < 0) break;
                c->len += (size_t)r;
                for (;;) {
                    if (c->body_left < 0) {
                        char *he = memmem(c->buf, c->len, "\r\n\r\n", 4);
                        if (!he) break;
                        int status = atoi(c->buf + 9);
                        long long cl = 0;
                        for (char *p = c->buf; p < he; p++) {
                            if ((*p == 'C' || *p == 'c') && strncasecmp(p, "Content-Length:", 15) == 0) { cl = atoll(p + 15); break; }
                        }
                        if (status == 304) { got304++; cl = 0; }
                        else if (status == 200) got200++;
                        else gotother++;
                        size_t hl = (size_t)(he - c->buf) + 4;
                        memmove(c->buf, c->buf + hl, c->len - hl);
                        c->len -= hl;
                        c->body_left = cl;
                    }
                    size_t take = c->len < (size_t)c->body_left ? c->len : (size_t)c->body_left;
                    memmove(c->buf, c->buf + take, c->len - take);
                    c->len -= take;
                    c->body_left -= (long long)take;
                    gotbytes += (long long)take;
                    if (c->body_left > 0) break;
                    done_req++;
                    c->body_left = -1;
                    lsend(c, cond);
                    if (!c->busy) break;
                }
            }
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double el = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("{\"seconds\": %.6f, \"requests\": %lld, \"200\": %lld, \"304\": %lld, \"other\": %lld, \"bytes\": %lld}\n",
           el, done_req, got200, got304, gotother, gotbytes);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 5 && strcmp(argv[1], "serve") == 0) return serve(argv[2], atoi(argv[3]), atoi(argv[4]));
    if (argc >= 8 && strcmp(argv[1], "load") == 0)
        return load(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), strcmp(argv[6], "cond") == 0, atoll(argv[7]));
    fprintf(stderr, "usage: %s serve ROOT PORT WORKERS | load ROOT PORT NFEEDS CONNS cond|plain REQUESTS\n", argv[0]);
    return 2;
}
"""


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsd-bench"


def compiler() -> str | None:
    for name in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def build_c_server() -> Path:
    """Compile the C server (once per source version) and return the binary's path."""
    digest = hashlib.sha256(C_SOURCE.encode()).hexdigest()[:16]
    binary = _cache_dir() / f"polling-server-{digest}"
    if binary.exists():
        return binary
    cc = compiler()
    if cc is None:
        raise RuntimeError("no C compiler (cc, gcc or clang) found")
    binary.parent.mkdir(parents=True, exist_ok=True)
    src = binary.with_suffix(".c")
    src.write_text(C_SOURCE)
    tmp = binary.with_name(binary.name + f".tmp{os.getpid()}")
    proc = subprocess.run([cc, "-O2", "-Wall", "-o", str(tmp), str(src)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"compiling the C server failed:\n{proc.stderr}")
    os.replace(tmp, binary)
    return binary


# --------------------------------------------------------------------------
# The aiohttp fallback server (same behaviour, far more CPU per request)
# --------------------------------------------------------------------------

def _etag_of(st: os.stat_result) -> str:
    return f'"{int(st.st_mtime):x}-{st.st_size:x}"'


def _etag_matches(header: str, etag: str) -> bool:
    bare = etag.removeprefix("W/")
    for item in header.split(","):
        item = item.strip()
        if item == "*" or item.removeprefix("W/") == bare:
            return True
    return False


def _aiohttp_worker(root: str, sock: socket.socket, parent: int, counters) -> None:  # pragma: no cover - subprocess
    from aiohttp import web

    rootp = Path(root)

    async def handle(request: web.Request) -> web.StreamResponse:
        path = request.path
        with counters.get_lock():
            counters[0] += 1
        if path == "/_stats":
            with counters.get_lock():
                values = list(counters)
            return web.json_response({"requests": values[0], "200": values[1], "304": values[2], "404": values[3],
                                      "other": 0, "bytes": values[4], "connections": 0})
        if ".." in path:
            raise web.HTTPNotFound()
        file = rootp / path.lstrip("/")
        try:
            st = file.stat()
        except OSError:
            with counters.get_lock():
                counters[3] += 1
            return web.Response(status=404)
        etag = _etag_of(st)
        last_modified = email.utils.formatdate(int(st.st_mtime), usegmt=True)
        headers = {"ETag": etag, "Last-Modified": last_modified}
        inm = request.headers.get("If-None-Match")
        ims = request.headers.get("If-Modified-Since")
        not_modified = False
        if inm is not None:
            not_modified = _etag_matches(inm, etag)
        elif ims:
            try:
                not_modified = int(st.st_mtime) <= email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError):
                pass
        if not_modified:
            with counters.get_lock():
                counters[2] += 1
            return web.Response(status=304, headers=headers)
        body = file.read_bytes()
        with counters.get_lock():
            counters[1] += 1
            counters[4] += len(body)
        return web.Response(body=body, headers={**headers, "Content-Type": "application/xml"})

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.SockSite(runner, sock, backlog=4096)
        await site.start()
        while os.getppid() == parent:
            await asyncio.sleep(0.5)
        await runner.cleanup()

    asyncio.run(main())


# --------------------------------------------------------------------------
# Handles
# --------------------------------------------------------------------------

@dataclass
class Server:
    kind: str  # "c" or "aiohttp"
    port: int
    workers: int
    pids: list[int] = field(default_factory=list)  # the processes that serve (master excluded)
    master: subprocess.Popen | None = None
    procs: list = field(default_factory=list)  # mp processes (aiohttp)
    binary: Path | None = None
    root: Path | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def describe(self) -> str:
        if self.kind == "c":
            return (f"C epoll server (bench/_polling_server.py, sendfile, keep-alive), {self.workers} worker "
                    f"process{'es' if self.workers != 1 else ''} with SO_REUSEPORT")
        return f"aiohttp.web, {self.workers} worker process{'es' if self.workers != 1 else ''} with SO_REUSEPORT"

    def stats(self) -> dict:
        with urllib.request.urlopen(self.base_url + "/_stats", timeout=10) as resp:
            return json.loads(resp.read())

    def cpu_seconds(self) -> float:
        """CPU (user + system) used so far by the serving processes."""
        return sum(process_cpu_seconds(pid) for pid in self.pids)

    def stop(self) -> None:
        if self.master is not None:
            if self.master.poll() is None:
                self.master.terminate()
                try:
                    self.master.wait(5)
                except subprocess.TimeoutExpired:
                    self.master.kill()
                    self.master.wait(5)
        for proc in self.procs:
            proc.terminate()
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join(5)


_CLK_TCK = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK  # utime, stime


def start(root: Path, kind: str = "c", workers: int = 2) -> Server:
    """Serve ``root`` on 127.0.0.1 (ephemeral port)."""
    if kind == "c":
        binary = build_c_server()
        master = subprocess.Popen([str(binary), "serve", str(root), "0", str(workers)],
                                  stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        port, pids = 0, []
        assert master.stdout is not None
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            line = master.stdout.readline()
            if not line:
                raise RuntimeError("the C server exited at start")
            word, _, value = line.strip().partition(" ")
            if word == "PORT":
                port = int(value)
            elif word == "WORKER":
                pids.append(int(value))
            elif word == "READY":
                break
        server = Server("c", port, workers, pids=pids, master=master, binary=binary, root=root)
    elif kind == "aiohttp":
        ctx = mp.get_context("spawn")
        counters = ctx.Array("q", 5)
        socks = []
        port = 0
        for _ in range(workers):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            s.bind((HOST, port))
            port = s.getsockname()[1]
            socks.append(s)
        procs = []
        for s in socks:
            p = ctx.Process(target=_aiohttp_worker, args=(str(root), s, os.getpid(), counters), daemon=True)
            p.start()
            procs.append(p)
        for s in socks:
            s.close()
        server = Server("aiohttp", port, workers, pids=[p.pid for p in procs if p.pid is not None], procs=procs, root=root)
    else:
        raise ValueError(f"unknown server kind {kind!r}")
    deadline = time.monotonic() + 30
    while True:
        try:
            server.stats()
            return server
        except OSError:
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError("the feed server did not answer within 30 s") from None
            time.sleep(0.1)


def load(server: Server, feeds: int, conns: int, conditional: bool, requests: int) -> dict:
    """Drive the server with the C load generator; its JSON report plus the server's CPU over the run."""
    binary = server.binary or build_c_server()
    cpu0 = server.cpu_seconds()
    proc = subprocess.run([str(binary), "load", str(server.root), str(server.port), str(feeds), str(conns),
                           "cond" if conditional else "plain", str(requests)],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed: {proc.stderr.strip()}")
    report = json.loads(proc.stdout)
    report["server_cpu_s"] = server.cpu_seconds() - cpu0
    return report


if __name__ == "__main__":  # manual check: python bench/_polling_server.py ROOT
    srv = start(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "c")
    print(srv.base_url, srv.pids, flush=True)
    try:
        signal.pause()
    finally:
        srv.stop()
