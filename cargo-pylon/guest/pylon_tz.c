/* Local time for the guest.
 *
 * wasi-libc keeps musl's time functions but its zone lookup (__tz.o) answers UTC always.
 * This file defines the same three symbols, so the linker never takes __tz.o, and
 * localtime, mktime and strftime's %Z honour TZ (given with `--env TZ=...`):
 *   - an IANA name ("Europe/Paris", or ":Europe/Paris"), read as TZif from $TZDIR, the
 *     staged tzdata package (PYLON_TZDATA), or /usr/share/zoneinfo; an absolute path too;
 *   - a POSIX rule ("CET-1CEST,M3.5.0,M10.5.0/3"; "EST5EDT" takes the US rules);
 *   - unset, empty or unreadable: UTC, as before.
 * TZ is read again on every call, so a change through os.environ applies at once. */

#define _POSIX_C_SOURCE 200809L /* strnlen */

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef PYLON_TZDATA
#define PYLON_TZDATA "/usr/share/zoneinfo"
#endif

const char __utc[] = "UTC";

/* Abbreviations, kept for the life of the process: a struct tm points at them. */
static char pool[4096];
static size_t pool_used;

static const char *intern(const char *s, size_t n) {
    for (size_t i = 0; i < pool_used; i += strlen(pool + i) + 1) {
        if (strlen(pool + i) == n && memcmp(pool + i, s, n) == 0) return pool + i;
    }
    if (n == 0 || n > 32 || pool_used + n + 1 > sizeof pool) return __utc;
    char *out = pool + pool_used;
    memcpy(out, s, n);
    out[n] = 0;
    pool_used += n + 1;
    return out;
}

/* ---- calendar arithmetic on days since 1970-01-01 ---- */

static long long floor_div(long long a, long long b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

static int is_leap(long long y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

static long long days_to_year(long long y) {
    long long p = y - 1;
    return (y - 1970) * 365 + floor_div(p, 4) - floor_div(p, 100) + floor_div(p, 400) - (492 - 19 + 4);
}

static long long year_of_day(long long day) {
    long long y = 1970 + floor_div(day, 366);
    while (days_to_year(y) > day) y--;
    while (days_to_year(y + 1) <= day) y++;
    return y;
}

static const int month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

/* ---- POSIX rules ---- */

struct rule {
    char kind; /* 'J': day 1-365 without Feb 29, 'D': day 0-365, 'M': month.week.weekday */
    int month, week, day;
    long time; /* seconds after local midnight at which the change happens */
};

struct posix {
    const char *std_name, *dst_name;
    long std_off, dst_off; /* seconds east of UTC */
    int has_dst;
    struct rule start, end;
};

/* What one instant is in the zone. */
struct local {
    long off;
    int isdst;
    const char *name;
    long opp; /* the offset of the other state (DST or standard), for mktime's tm_isdst */
};

static const char *parse_name(const char *s, const char **name) {
    const char *begin;
    if (*s == '<') {
        begin = ++s;
        while (*s && *s != '>') s++;
        if (*s != '>' || s - begin < 3) return NULL;
        *name = intern(begin, (size_t)(s - begin));
        return s + 1;
    }
    begin = s;
    while (isalpha((unsigned char)*s)) s++;
    if (s - begin < 3) return NULL;
    *name = intern(begin, (size_t)(s - begin));
    return s;
}

/* [+-]hh[:mm[:ss]] to seconds; `max_hours` bounds hh (24 for offsets, 167 for times). */
static const char *parse_clock(const char *s, long *out, int max_hours) {
    int sign = 1;
    if (*s == '+' || *s == '-') sign = *s++ == '-' ? -1 : 1;
    long parts[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        if (!isdigit((unsigned char)*s)) return NULL;
        long v = 0;
        for (int digits = 0; isdigit((unsigned char)*s) && digits < 3; digits++) v = v * 10 + (*s++ - '0');
        parts[i] = v;
        if (*s != ':' || i == 2) break;
        s++;
    }
    if (parts[0] > max_hours || parts[1] > 59 || parts[2] > 59) return NULL;
    *out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    return s;
}

static const char *parse_number(const char *s, int *out, int lo, int hi) {
    if (!isdigit((unsigned char)*s)) return NULL;
    int v = 0;
    while (isdigit((unsigned char)*s) && v <= hi) v = v * 10 + (*s++ - '0');
    if (v < lo || v > hi) return NULL;
    *out = v;
    return s;
}

static const char *parse_rule(const char *s, struct rule *r) {
    if (*s == 'J') {
        r->kind = 'J';
        s = parse_number(s + 1, &r->day, 1, 365);
    } else if (*s == 'M') {
        r->kind = 'M';
        if (!(s = parse_number(s + 1, &r->month, 1, 12)) || *s++ != '.') return NULL;
        if (!(s = parse_number(s, &r->week, 1, 5)) || *s++ != '.') return NULL;
        s = parse_number(s, &r->day, 0, 6);
    } else {
        r->kind = 'D';
        s = parse_number(s, &r->day, 0, 365);
    }
    if (!s) return NULL;
    r->time = 7200;
    if (*s == '/') s = parse_clock(s + 1, &r->time, 167);
    return s;
}

/* A POSIX TZ string, whole; 0 when it is not one. */
static int parse_posix(const char *s, struct posix *p) {
    long west;
    memset(p, 0, sizeof *p);
    if (!(s = parse_name(s, &p->std_name)) || !(s = parse_clock(s, &west, 24))) return 0;
    p->std_off = -west;
    if (!*s) return 1;
    if (!(s = parse_name(s, &p->dst_name))) return 0;
    p->has_dst = 1;
    p->dst_off = p->std_off + 3600;
    if (*s && *s != ',') {
        if (!(s = parse_clock(s, &west, 24))) return 0;
        p->dst_off = -west;
    }
    if (!*s) {
        /* No rules given: the US rules, as glibc and musl assume. */
        p->start = (struct rule){'M', 3, 2, 0, 7200};
        p->end = (struct rule){'M', 11, 1, 0, 7200};
        return 1;
    }
    if (*s++ != ',' || !(s = parse_rule(s, &p->start)) || *s++ != ',' || !(s = parse_rule(s, &p->end))) return 0;
    return *s == 0;
}

/* Seconds from the epoch to the rule's moment in `year`, in local wall-clock terms. */
static long long rule_local(const struct rule *r, long long year) {
    long long first = days_to_year(year);
    int leap = is_leap(year);
    long long day;
    if (r->kind == 'J') {
        day = r->day - 1 + (leap && r->day >= 60);
    } else if (r->kind == 'D') {
        day = r->day;
    } else {
        int before = 0;
        for (int m = 0; m < r->month - 1; m++) before += month_days[m] + (m == 1 && leap);
        int length = month_days[r->month - 1] + (r->month == 2 && leap);
        int weekday = (int)(((first + before) % 7 + 7 + 4) % 7); /* 1970-01-01: Thursday */
        int date = (r->day - weekday + 7) % 7 + (r->week - 1) * 7;
        while (date >= length) date -= 7;
        day = before + date;
    }
    return (first + day) * 86400 + r->time;
}

static struct local posix_at(const struct posix *p, long long t) {
    struct local std = {p->std_off, 0, p->std_name, p->has_dst ? p->dst_off : p->std_off};
    if (!p->has_dst) return std;
    struct local dst = {p->dst_off, 1, p->dst_name, p->std_off};
    long long year = year_of_day(floor_div(t + p->std_off, 86400));
    long long start = rule_local(&p->start, year) - p->std_off; /* DST starts in standard time */
    long long end = rule_local(&p->end, year) - p->dst_off;     /* and ends in DST */
    int in_dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
    return in_dst ? dst : std;
}

/* ---- TZif (RFC 8536) ---- */

struct ttype {
    long off;
    int isdst;
    const char *name;
};

struct zone {
    int64_t *times;
    unsigned char *index;
    size_t count;
    struct ttype *types;
    size_t ntypes;
    struct posix footer;
    int has_footer;
};

static uint32_t be32(const unsigned char *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static int64_t be64(const unsigned char *p) { return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4)); }

static void zone_free(struct zone *z) {
    free(z->times);
    free(z->index);
    free(z->types);
    memset(z, 0, sizeof *z);
}

/* 0 when `buf` is a whole, consistent TZif file. */
static int parse_tzif(const unsigned char *buf, size_t len, struct zone *z) {
    memset(z, 0, sizeof *z);
    if (len < 44 || memcmp(buf, "TZif", 4) != 0) return -1;
    size_t width = 4;
    const unsigned char *h = buf;
    for (;;) {
        size_t isut = be32(h + 20), isstd = be32(h + 24), leap = be32(h + 28);
        size_t count = be32(h + 32), ntypes = be32(h + 36), nchars = be32(h + 40);
        size_t body = count * width + count + ntypes * 6 + nchars + leap * (width + 4) + isstd + isut;
        const unsigned char *p = h + 44, *end = buf + len;
        if (count > 100000 || ntypes == 0 || ntypes > 256 || nchars > 65536 || leap > 10000 || (size_t)(end - p) < body) return -1;
        if (width == 4 && buf[4] >= '2') {
            /* Version 2 and later repeat the data with 64-bit times: read that instead. */
            h = p + body;
            if ((size_t)(end - h) < 44 || memcmp(h, "TZif", 4) != 0) return -1;
            width = 8;
            continue;
        }
        z->times = calloc(count ? count : 1, sizeof *z->times);
        z->index = calloc(count ? count : 1, 1);
        z->types = calloc(ntypes, sizeof *z->types);
        if (!z->times || !z->index || !z->types) return zone_free(z), -1;
        z->count = count;
        z->ntypes = ntypes;
        for (size_t i = 0; i < count; i++) z->times[i] = width == 8 ? be64(p + i * 8) : (int32_t)be32(p + i * 4);
        p += count * width;
        for (size_t i = 0; i < count; i++) {
            if (p[i] >= ntypes) return zone_free(z), -1;
            z->index[i] = p[i];
        }
        p += count;
        const unsigned char *chars = p + ntypes * 6;
        for (size_t i = 0; i < ntypes; i++, p += 6) {
            size_t at = p[5];
            if (at >= nchars) return zone_free(z), -1;
            z->types[i] = (struct ttype){(int32_t)be32(p), p[4] != 0, intern((const char *)chars + at, strnlen((const char *)chars + at, nchars - at))};
        }
        p = h + 44 + body;
        /* The footer: a POSIX rule for every instant after the last transition. */
        if (width == 8 && p < end && *p == '\n') {
            const unsigned char *close = memchr(p + 1, '\n', (size_t)(end - p - 1));
            char rule[128];
            size_t n = close ? (size_t)(close - p - 1) : 0;
            if (close && n > 0 && n < sizeof rule) {
                memcpy(rule, p + 1, n);
                rule[n] = 0;
                z->has_footer = parse_posix(rule, &z->footer);
            }
        }
        return 0;
    }
}

static int load_tzif(const char *path, struct zone *z) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    unsigned char *buf = malloc(1 << 20);
    size_t len = buf ? fread(buf, 1, 1 << 20, f) : 0;
    fclose(f);
    int rc = buf && len < (1 << 20) ? parse_tzif(buf, len, z) : -1;
    free(buf);
    return rc;
}

static struct local tzif_at(const struct zone *z, long long t) {
    if (z->count && t >= z->times[z->count - 1] && z->has_footer) return posix_at(&z->footer, t);
    size_t at = 0; /* before the first transition: type 0 */
    int found = 0;
    if (z->count && t >= z->times[0]) {
        size_t lo = 0, hi = z->count; /* last transition at or before t */
        while (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;
            if (z->times[mid] <= t) lo = mid; else hi = mid;
        }
        at = lo;
        found = 1;
    }
    const struct ttype *type = &z->types[found ? z->index[at] : 0];
    struct local out = {type->off, type->isdst, type->name, type->off};
    /* The nearest transition to the other state, looking back first. */
    for (size_t step = 1; found && step <= z->count; step++) {
        if (at >= step && z->types[z->index[at - step]].isdst != type->isdst) { out.opp = z->types[z->index[at - step]].off; break; }
        if (at + step < z->count && z->types[z->index[at + step]].isdst != type->isdst) { out.opp = z->types[z->index[at + step]].off; break; }
    }
    return out;
}

/* ---- the zone TZ names ---- */

static enum { ZONE_UTC, ZONE_POSIX, ZONE_TZIF } kind;
static struct posix rule;
static struct zone zone;
static char loaded_tz[256];
static int loaded;

static int load_named(const char *name) {
    char path[512];
    if (name[0] == '/') return load_tzif(name, &zone);
    if (strstr(name, "..")) return -1;
    const char *dirs[] = {getenv("TZDIR"), PYLON_TZDATA, "/usr/share/zoneinfo"};
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        if (!dirs[i] || !*dirs[i] || snprintf(path, sizeof path, "%s/%s", dirs[i], name) >= (int)sizeof path) continue;
        if (load_tzif(path, &zone) == 0) return 0;
    }
    return -1;
}

static void refresh(void) {
    const char *tz = getenv("TZ");
    if (!tz) tz = "";
    if (loaded && strcmp(tz, loaded_tz) == 0) return;
    loaded = strlen(tz) < sizeof loaded_tz;
    strcpy(loaded_tz, loaded ? tz : "");
    zone_free(&zone);
    kind = ZONE_UTC;
    if (!*tz) return;
    /* A file first, as glibc does (EST5EDT is both), then a rule. */
    const char *name = *tz == ':' ? tz + 1 : tz;
    if (load_named(name) == 0) kind = ZONE_TZIF;
    else if (*tz != ':' && parse_posix(tz, &rule)) kind = ZONE_POSIX;
}

static struct local zone_at(long long t) {
    switch (kind) {
    case ZONE_POSIX: return posix_at(&rule, t);
    case ZONE_TZIF: return tzif_at(&zone, t);
    default: return (struct local){0, 0, __utc, 0};
    }
}

/* musl's interface: the zone at `t` (UTC seconds, or local wall-clock seconds when `local`:
 * then the offset whose UTC instant maps back to that wall-clock time). */
void __secs_to_zone(long long t, int local, int *isdst, long *offset, long *oppoff, const char **zonename) {
    refresh();
    struct local z = zone_at(t);
    if (local) {
        struct local first = zone_at(t - z.off);
        struct local second = zone_at(t - first.off);
        /* In a gap (no such wall-clock time) neither agrees; take the first guess. */
        z = second.off == first.off ? second : first;
    }
    *isdst = z.isdst;
    *offset = z.off;
    if (oppoff) *oppoff = z.opp;
    *zonename = z.name;
}

const char *__tm_to_tzname(const struct tm *tm) {
    const char *p = tm->__tm_zone;
    if (p == __utc || (p >= pool && p < pool + pool_used)) return p;
    refresh();
    switch (kind) {
    case ZONE_POSIX: return tm->tm_isdst > 0 && rule.has_dst ? rule.dst_name : rule.std_name;
    case ZONE_TZIF:
        if (zone.has_footer) return tm->tm_isdst > 0 && zone.footer.has_dst ? zone.footer.dst_name : zone.footer.std_name;
        for (size_t i = zone.ntypes; i-- > 0;) {
            if (zone.types[i].isdst == (tm->tm_isdst > 0)) return zone.types[i].name;
        }
        return zone.types[0].name;
    default: return __utc;
    }
}
