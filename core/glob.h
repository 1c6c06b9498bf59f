#ifndef ENVDRIFT_CORE_GLOB_H
#define ENVDRIFT_CORE_GLOB_H
/*
 * Glob matching for config paths and sysctl keys. '*' and '?' do not match
 * sep, "**" matches anything including sep, "[...]" is a character class
 * ("[!...]" negates). A pattern without sep matches against the whole
 * string; this is fnmatch with gitignore's "**".
 */

/* 1 if str matches pattern, 0 otherwise. sep is '/' for paths, '.' for keys. */
int ed_glob_match(const char *pattern, const char *str, char sep);

#endif
