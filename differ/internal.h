#ifndef ENVDRIFT_DIFFER_INTERNAL_H
#define ENVDRIFT_DIFFER_INTERNAL_H
/*
 * Differ internals shared by the differ sources and the unit tests: version
 * ordering per package manager.
 */

enum pkg_manager { PKG_DPKG, PKG_RPM, PKG_APK };

/*
 * Compare two version strings the way the manager does: <0 if a is older,
 * 0 if equal, >0 if newer. dpkg: [epoch:]upstream[-revision] (deb-version(5),
 * dpkg's verrevcmp); rpm: [epoch:]version[-release] (rpmvercmp, '~' and
 * '^'); apk: apk-tools' version.c (suffixes _alpha.._p, -rN).
 * Each returns exactly -1, 0 or 1, reads NULL as "", never allocates and
 * runs in linear time. A string dpkg itself would reject (empty, bad epoch)
 * makes vercmp_dpkg fall back to strcmp(); see differ/vercmp.c.
 */
int vercmp_dpkg(const char *a, const char *b);
int vercmp_rpm(const char *a, const char *b);
int vercmp_apk(const char *a, const char *b);
int vercmp(enum pkg_manager m, const char *a, const char *b);

#endif
