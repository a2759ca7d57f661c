// CArbiterLinux: see include/CArbiterLinux.h.
#define _GNU_SOURCE
#include "CArbiterLinux.h"
#include <malloc.h>

int CArbiterLinux_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

int CArbiterLinux_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t token) {
    struct epoll_event event;
    event.events = events;
    event.data.u64 = token;
    return epoll_ctl(epfd, op, fd, &event);
}

int CArbiterLinux_epoll_wait(int epfd, uint64_t *tokens, uint32_t *events, int maxevents, int timeout) {
    struct epoll_event buffer[256];
    if (maxevents > 256) {
        maxevents = 256;
    }
    int count = epoll_wait(epfd, buffer, maxevents, timeout);
    for (int i = 0; i < count; i++) {
        tokens[i] = buffer[i].data.u64;
        events[i] = buffer[i].events;
    }
    return count;
}

int CArbiterLinux_eventfd(void) {
    return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

int CArbiterLinux_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
    return accept4(fd, addr, len, flags);
}

int CArbiterLinux_malloc_trim(void) {
    return malloc_trim(0);
}
