/*
 * memdirty - the workload of drover's lab guests.
 *
 * Runs inside a tiny busybox initrd (see ./build).  Reads its settings from
 * the kernel command line:
 *
 *   drover.fill=<MiB>    fill that many MiB with pseudo-random data, once
 *                        (capped at what the guest has free)
 *   drover.dirty=<MiB/s> keep rewriting that many MiB per second of the
 *                        filled area (default 0: the guest stays quiet)
 *   drover.flush=<Hz>    TLB flushes per second, see below (default 100,
 *                        0 turns them off)
 *
 * and prints on stdout (the serial console):
 *
 *   drover-guest start fill=<MiB> dirty=<MiB/s> available=<MiB> flush=<Hz>
 *   drover-guest hb=<n> uptime=<s> filled=<MiB> dirty=<MiB/s>
 *       dirtied=<MiB> bad=<pages>        (every second, from the start)
 *   drover-guest ready                   (once, when the fill is complete)
 *   drover-guest CORRUPT pages=<n> total=<n>   (when a check finds damage)
 *
 * hb counts in process memory, so it carries on across live migrations: a
 * serial log per host shows where the guest ran and that it never restarted.
 * "dirtied" is what was really rewritten during the last second; under TCG
 * it can fall short of the requested rate.
 *
 * Data is random (xorshift) so that neither zero-page detection nor
 * compression can shrink the migration stream.  Each 4 KiB page starts with
 * its index and a write generation that is also kept in a separate table;
 * every heartbeat compares the two, so a page that a migration failed to
 * carry over (or carried over stale) shows up as "bad" - a direct check
 * that the migration preserved memory.
 *
 * Why the TLB flusher: QEMU before 9.0 loses guest writes during a live
 * migration under TCG (upstream commit 03bfc2188f, "physmem: Fix migration
 * dirty bitmap coherency with TCG memory access"): the migration clears the
 * dirty bitmap without invalidating TCG's TLB, so stores through an entry
 * cached before that are not logged and the destination gets the page
 * stale.  Debian 12 ships QEMU 7.2 without the fix; our guests then died in
 * hrtimer code right after a migration (6 of 80 hops of a 1 GiB guest).  A
 * child process that makes the kernel flush its whole TLB every 10 ms (an
 * mprotect() of more than 33 present pages ends in a CR3 reload, and TCG
 * drops its entire TLB on that) narrows the window to those 10 ms: 0 of 80
 * hops failed at 100 Hz, 0 of 40 at 1000 Hz.  It costs about 7% of a host
 * core per idle guest at 100 Hz (28% at 1000 Hz).
 *
 * For testing on a host: memdirty 'drover.fill=64 drover.dirty=8' parses the
 * argument instead of /proc/cmdline.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define MIB               (1024UL * 1024UL)
#define PAGE              4096UL
#define PAGES_PER_MIB     (MIB / PAGE)
#define CHUNK_PAGES       256 /* fill work between clock checks (1 MiB) */
#define TICKS_PER_SEC     10  /* dirtying is spread over this many ticks */
#define NSEC_PER_SEC      1000000000LL
#define FILL_HEADROOM_MIB 16 /* left free for the kernel */
#define FLUSH_PAGES       64 /* > tlb_single_page_flush_ceiling (33) */

struct settings {
    unsigned long fill_mib;
    unsigned long dirty_mib;
    unsigned long flush_hz;
};

/* The filled area: npages pages, the first 8 bytes of page p hold
 * (p << 32 | gen[p]). */
struct area {
    unsigned char *mem;
    uint32_t *gen;
    size_t npages;
    size_t filled; /* pages written at least once */
    size_t cursor; /* next page to rewrite */
    uint64_t bad;  /* damaged pages found so far */
};

static uint64_t rng_state;

static int64_t
now_ns(clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return (int64_t) ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* Write len bytes (a multiple of 8) of xorshift64 output at p. */
static void
scribble(uint64_t *p, size_t len)
{
    uint64_t x = rng_state;

    for (size_t i = 0; i < len / sizeof(*p); i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = x;
    }
    rng_state = x;
}

static void
seed_rng(void)
{
    uint64_t seed = 0;

    if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed)) {
        seed = (uint64_t) now_ns(CLOCK_REALTIME) ^ ((uint64_t) getpid() << 32);
    }
    rng_state = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

/* Value of "key=<number>" in a kernel command line, or def. */
static unsigned long
cmdline_ulong(const char *cmdline, const char *key, unsigned long def)
{
    size_t klen = strlen(key);
    const char *p = cmdline;

    while (*p != '\0') {
        while (*p == ' ' || *p == '\n') {
            p++;
        }
        if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
            char *end = NULL;
            unsigned long v;

            errno = 0;
            v = strtoul(p + klen + 1, &end, 10);
            if (errno == 0 && end != p + klen + 1
                && (*end == ' ' || *end == '\n' || *end == '\0')) {
                return v;
            }
            dprintf(STDOUT_FILENO, "drover-guest bad %s, using %lu\n", key,
                    def);
            return def;
        }
        while (*p != '\0' && *p != ' ' && *p != '\n') {
            p++;
        }
    }
    return def;
}

/* MemAvailable from /proc/meminfo in MiB, or 0 if unknown. */
static unsigned long
mem_available_mib(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    unsigned long kib = 0;

    if (f == NULL) {
        return 0;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "MemAvailable: %lu kB", &kib) == 1) {
            break;
        }
    }
    fclose(f);
    return kib / 1024;
}

static void
read_settings(int argc, char **argv, struct settings *s)
{
    char buf[4096] = "";

    if (argc > 1) {
        snprintf(buf, sizeof(buf), "%s", argv[1]);
    } else {
        FILE *f = fopen("/proc/cmdline", "r");

        if (f != NULL) {
            if (fgets(buf, sizeof(buf), f) == NULL) {
                buf[0] = '\0';
            }
            fclose(f);
        } else {
            dprintf(STDOUT_FILENO,
                    "drover-guest cannot read /proc/cmdline: "
                    "%s\n",
                    strerror(errno));
        }
    }
    s->fill_mib = cmdline_ulong(buf, "drover.fill", 0);
    s->dirty_mib = cmdline_ulong(buf, "drover.dirty", 0);
    s->flush_hz = cmdline_ulong(buf, "drover.flush", 100);
}

static uint64_t
page_tag(size_t p, uint32_t gen)
{
    return (uint64_t) p << 32 | gen;
}

/* (Re)write page p with a new generation and fresh random data. */
static void
write_page(struct area *a, size_t p)
{
    uint64_t *w = (uint64_t *) (a->mem + p * PAGE);

    a->gen[p]++;
    w[0] = page_tag(p, a->gen[p]);
    scribble(w + 1, PAGE - sizeof(*w));
}

/* Compare every written page with the generation table; count and rewrite
 * the pages that disagree, so that each damage is reported once. */
static uint64_t
check_pages(struct area *a)
{
    uint64_t found = 0;

    for (size_t p = 0; p < a->filled; p++) {
        const uint64_t *w = (const uint64_t *) (a->mem + p * PAGE);

        if (*w != page_tag(p, a->gen[p])) {
            uint32_t seen = (uint32_t) *w;

            found++;
            if ((*w >> 32) == p && seen > a->gen[p]) {
                a->gen[p] = seen;
            }
            write_page(a, p);
        }
    }
    a->bad += found;
    return found;
}

static void
sleep_until(int64_t t)
{
    struct timespec ts;

    ts.tv_sec = t / NSEC_PER_SEC;
    ts.tv_nsec = t % NSEC_PER_SEC;
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* Child process: make the kernel flush the whole TLB hz times a second, by
 * changing the protection of more pages than it would flush one by one.
 * See the comment at the top. */
static void
run_flusher(unsigned long hz)
{
    const size_t len = FLUSH_PAGES * PAGE;
    const int64_t period = NSEC_PER_SEC / (int64_t) hz;
    unsigned char *m;
    int64_t next;
    int ro = 0;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    prctl(PR_SET_NAME, "memdirty-flush");
    m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
             0);
    if (m == MAP_FAILED) {
        _exit(1);
    }
    memset(m, 1, len); /* present pages, or mprotect flushes nothing */
    next = now_ns(CLOCK_MONOTONIC);
    for (;;) {
        ro = !ro;
        mprotect(m, len, ro ? PROT_READ : PROT_READ | PROT_WRITE);
        next += period;
        if (next <= now_ns(CLOCK_MONOTONIC)) {
            next = now_ns(CLOCK_MONOTONIC) + period;
        }
        sleep_until(next);
    }
}

static void
start_flusher(unsigned long hz)
{
    pid_t pid;

    if (hz == 0) {
        return;
    }
    pid = fork();
    if (pid == 0) {
        run_flusher(hz);
    }
    if (pid < 0) {
        dprintf(STDOUT_FILENO,
                "drover-guest cannot fork the TLB flusher: "
                "%s\n",
                strerror(errno));
    }
}

int
main(int argc, char **argv)
{
    struct settings s;
    struct area a = { 0 };
    uint64_t dirtied = 0; /* pages rewritten since the last heartbeat */
    uint64_t budget = 0;  /* bytes of dirtying owed to this tick */
    unsigned long hb = 0, avail;
    int64_t next_hb, next_tick;
    const int64_t tick = NSEC_PER_SEC / TICKS_PER_SEC;

    read_settings(argc, argv, &s);
    avail = mem_available_mib();
    if (avail > FILL_HEADROOM_MIB && s.fill_mib > avail - FILL_HEADROOM_MIB) {
        /* Filling past this gets the workload OOM-killed: fill less and say
         * so (the heartbeat shows the real "filled"). */
        dprintf(STDOUT_FILENO,
                "drover-guest fill=%lu exceeds MemAvailable "
                "%lu MiB - %d, filling %lu\n",
                s.fill_mib, avail, FILL_HEADROOM_MIB,
                avail - FILL_HEADROOM_MIB);
        s.fill_mib = avail - FILL_HEADROOM_MIB;
    }
    if (s.dirty_mib > s.fill_mib) {
        s.dirty_mib = s.fill_mib; /* cannot rewrite more than exists */
    }
    if (s.flush_hz > 100000) {
        s.flush_hz = 100000;
    }
    seed_rng();
    dprintf(STDOUT_FILENO,
            "drover-guest start fill=%lu dirty=%lu "
            "available=%lu flush=%lu\n",
            s.fill_mib, s.dirty_mib, avail, s.flush_hz);
    /* Before the big mapping exists, so that fork() copies nothing. */
    start_flusher(s.flush_hz);

    a.npages = s.fill_mib * PAGES_PER_MIB;
    if (a.npages > 0) {
        a.mem = mmap(NULL, a.npages * PAGE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        a.gen = calloc(a.npages, sizeof(*a.gen));
        if (a.mem == MAP_FAILED || a.gen == NULL) {
            dprintf(STDOUT_FILENO, "drover-guest cannot allocate %lu MiB\n",
                    s.fill_mib);
            return 1;
        }
        /* Huge pages: 512 times fewer page faults, which are slow in TCG. */
        madvise(a.mem, a.npages * PAGE, MADV_HUGEPAGE);
    } else {
        dprintf(STDOUT_FILENO, "drover-guest ready\n");
    }

    next_hb = next_tick = now_ns(CLOCK_MONOTONIC);
    for (;;) {
        int64_t now = now_ns(CLOCK_MONOTONIC);

        if (now >= next_hb) {
            uint64_t found = check_pages(&a);

            if (found > 0) {
                dprintf(STDOUT_FILENO,
                        "drover-guest CORRUPT pages=%" PRIu64 " total=%" PRIu64
                        "\n",
                        found, a.bad);
            }
            hb++;
            dprintf(STDOUT_FILENO,
                    "drover-guest hb=%lu uptime=%.1f filled=%zu dirty=%lu "
                    "dirtied=%.1f bad=%" PRIu64 "\n",
                    hb, now_ns(CLOCK_BOOTTIME) / (double) NSEC_PER_SEC,
                    a.filled / PAGES_PER_MIB, s.dirty_mib,
                    dirtied / (double) PAGES_PER_MIB, a.bad);
            dirtied = 0;
            next_hb += NSEC_PER_SEC;
            if (next_hb <= now) {
                /* Clock jumped (e.g. a long pause): restart the schedule
                 * rather than printing a burst of catch-up heartbeats. */
                next_hb = now + NSEC_PER_SEC;
            }
        }

        if (a.filled < a.npages) {
            size_t end = a.filled + CHUNK_PAGES;

            for (end = end < a.npages ? end : a.npages; a.filled < end;
                 a.filled++) {
                write_page(&a, a.filled);
            }
            if (a.filled == a.npages) {
                dprintf(STDOUT_FILENO, "drover-guest ready\n");
                next_tick = now_ns(CLOCK_MONOTONIC);
            }
            continue;
        }

        if (s.dirty_mib > 0 && now >= next_tick) {
            budget += s.dirty_mib * MIB / TICKS_PER_SEC;
            for (; budget >= PAGE; budget -= PAGE) {
                write_page(&a, a.cursor);
                a.cursor = (a.cursor + 1) % a.npages;
                dirtied++;
            }
            next_tick += tick;
            now = now_ns(CLOCK_MONOTONIC);
            if (next_tick <= now) {
                next_tick = now + tick; /* fell behind: do not catch up */
            }
        }

        sleep_until(s.dirty_mib > 0 && next_tick < next_hb ? next_tick
                                                           : next_hb);
    }
}
