#define _GNU_SOURCE
#include <stddef.h>
#include <sys/socket.h>
#include "CSystem.h"

int csystem_accept4_nonblocking(int fd) {
    return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}
