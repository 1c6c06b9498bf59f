#ifndef ENVDRIFT_COLLECTOR_FLEET_REMOTE_INT_H
#define ENVDRIFT_COLLECTOR_FLEET_REMOTE_INT_H
/*
 * What the request (remote_request.c) and the decoder of its answer
 * (remote_decode.c) must agree on; included only by those two.
 */
struct collect_needs;

/* 1 if path equals dir or lies below it ("" and "/" are the root). */
int remote_is_under(const char *path, const char *dir);
/*
 * 1 for a path under /proc or /sys: its content comes from grep, as GNU
 * tar stores such files empty (or pads them to the size stat gives). A
 * /sys record may be a pattern the remote script expands
 * (/sys/class/net/ANY/address).
 */
int remote_is_proc(const char *path);
/* 1 if path is sent filtered (a @file section), not whole. */
int remote_is_filtered(const struct collect_needs *n, const char *path);

#endif
