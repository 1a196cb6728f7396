#define _GNU_SOURCE
#include <stddef.h>
#include <sys/socket.h>
#include "CSystem.h"
#include <malloc.h>

int csystem_accept4_nonblocking(int fd) {
    return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

void csystem_malloc_fix_thresholds(int mmap_threshold, int trim_threshold) {
    mallopt(M_MMAP_THRESHOLD, mmap_threshold);
    mallopt(M_TRIM_THRESHOLD, trim_threshold);
}

void csystem_malloc_trim(void) {
    malloc_trim(0);
}
