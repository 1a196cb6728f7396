// CSystem: the Linux calls Swift's Glibc module does not export (epoll, eventfd, timerfd, accept4, malloc tuning).
#ifndef CSYSTEM_H
#define CSYSTEM_H

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

/// accept4(2) with SOCK_NONBLOCK | SOCK_CLOEXEC; returns the new fd or -1 with errno set.
int csystem_accept4_nonblocking(int fd);

/// The epoll_event layout is packed on x86_64; these accessors keep Swift away from it.
static inline void csystem_epoll_event_set(struct epoll_event *ev, unsigned int events, unsigned long long data) {
    ev->events = events;
    ev->data.u64 = data;
}
static inline unsigned int csystem_epoll_event_events(const struct epoll_event *ev) { return ev->events; }
static inline unsigned long long csystem_epoll_event_data(const struct epoll_event *ev) { return ev->data.u64; }

/// glibc allocator tuning (see MemoryReturn): a fixed mmap threshold, and returning free heap pages.
void csystem_malloc_fix_thresholds(int mmap_threshold, int trim_threshold);
void csystem_malloc_trim(void);

#endif
