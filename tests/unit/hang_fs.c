/*
 * A file system that stops answering: what a hung NFS server looks like
 * to its clients.  A FUSE daemon where any name is a file (one and the
 * same): it answers the kernel's INIT and what stat() asks (LOOKUP,
 * GETATTR), then reads every other request and answers none, so that
 * open() and read() wait; a process killed while it waits there stays in
 * uninterruptible sleep (state D) until the daemon dies.  (stat() answers
 * so that a worker blocks in open(): valgrind lets the other threads run
 * during a system call that may block, which for it stat() is not.)
 *
 * Usage: hang-fs [--here] [--killable] DIR.  It mounts over DIR in a mount
 * namespace of its own (nothing is left mounted when it dies), prints
 * "ready" and waits until killed; other processes reach the mount as
 * /proc/PID/root/DIR.  With --here it mounts in the caller's namespace
 * instead (the lab hangs one node's view of the VMs' configs; unmount it
 * after).  With --killable it answers the kernel's INTERRUPT for a
 * request with EINTR, as the killable waits of a hard NFS mount end: a
 * killed process then dies instead of sleeping in state D.  Root and
 * /dev/fuse are needed; it prints why not and exits 77 otherwise.
 */
#define _GNU_SOURCE /* unshare() */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fuse.h>

#define UNAVAILABLE 77

#define FILE_NODE 2

static int fd = -1;

static void
attributes(uint64_t node, struct fuse_attr *attr)
{
    memset(attr, 0, sizeof(*attr));
    attr->ino = node;
    attr->mode = (node == FILE_NODE) ? (S_IFREG | 0644) : (S_IFDIR | 0755);
    attr->nlink = (node == FILE_NODE) ? 1 : 2;
    attr->size = (node == FILE_NODE) ? 10 : 0;
    attr->blksize = 4096;
}

static int
reply(const struct fuse_in_header *in, int error, const void *body, size_t size)
{
    struct {
        struct fuse_out_header header;
        char body[256];
    } out;

    memset(&out, 0, sizeof(out));
    out.header.len = (uint32_t) (sizeof(out.header) + size);
    out.header.error = error;
    out.header.unique = in->unique;
    if (size > 0) {
        memcpy(out.body, body, size);
    }
    return (write(fd, &out, out.header.len) == (ssize_t) out.header.len) ? 0
                                                                         : -1;
}

int
main(int argc, char **argv)
{
    static char buf[1 << 17]; /* above the kernel's minimum, 8 KiB */
    char options[128];
    bool here = false;
    bool killable = false;
    int arg = 1;

    for (; arg < argc - 1; arg++) {
        if (strcmp(argv[arg], "--here") == 0) {
            here = true;
        } else if (strcmp(argv[arg], "--killable") == 0) {
            killable = true;
        } else {
            break;
        }
    }
    if (arg != argc - 1) {
        fprintf(stderr, "usage: hang-fs [--here] [--killable] DIR\n");
        return 64;
    }
    if (!here
        && (unshare(CLONE_NEWNS) != 0
            || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)) {
        printf("no mount namespace: %s\n", strerror(errno));
        return UNAVAILABLE;
    }
    fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        printf("no /dev/fuse: %s\n", strerror(errno));
        return UNAVAILABLE;
    }
    snprintf(options, sizeof(options),
             "fd=%d,rootmode=40755,user_id=0,group_id=0,allow_other", fd);
    if (mount("drover-hang-fs", argv[arg], "fuse.drover-hang-fs",
              MS_NOSUID | MS_NODEV, options)
        != 0) {
        printf("cannot mount: %s\n", strerror(errno));
        return UNAVAILABLE;
    }
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        const struct fuse_in_header *in = (const void *) buf;

        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (n < (ssize_t) sizeof(*in)) {
            return 1;
        }
        if (in->opcode == FUSE_INIT) {
            struct fuse_init_out init = { 0 };

            init.major = FUSE_KERNEL_VERSION;
            init.minor = FUSE_KERNEL_MINOR_VERSION;
            init.max_write = 4096;
            init.time_gran = 1;
            if (reply(in, 0, &init, sizeof(init)) != 0) {
                return 1;
            }
            printf("ready\n");
            fflush(stdout);
        } else if (in->opcode == FUSE_LOOKUP) {
            struct fuse_entry_out entry = { 0 };

            if (in->nodeid != FUSE_ROOT_ID) {
                reply(in, -ENOENT, NULL, 0);
                continue;
            }
            entry.nodeid = FILE_NODE;
            entry.entry_valid = 3600;
            entry.attr_valid = 3600;
            attributes(FILE_NODE, &entry.attr);
            reply(in, 0, &entry, sizeof(entry));
        } else if (in->opcode == FUSE_GETATTR) {
            struct fuse_attr_out out = { 0 };

            out.attr_valid = 3600;
            attributes(in->nodeid, &out.attr);
            reply(in, 0, &out, sizeof(out));
        } else if (in->opcode == FUSE_INTERRUPT && killable) {
            const struct fuse_interrupt_in *interrupt = (const void *) (in + 1);
            struct fuse_in_header interrupted = { .unique = interrupt->unique };

            reply(&interrupted, -EINTR, NULL, 0);
        }
        /* anything else (OPEN, READ...): read, and never answered */
    }
}
