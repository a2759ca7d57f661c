// CArbiterLinux: Linux interfaces Swift's Glibc module does not export (epoll, eventfd, timerfd,
// signalfd, accept4). Every symbol is prefixed CArbiterLinux_.
//
// Why wrappers instead of the raw declarations: `struct epoll_event` is `__attribute__((packed))` on
// x86_64, so the epoll functions here take and return plain arrays instead of that struct, and the
// `EPOLL*` enum values are re-exported as `uint32_t` constants so Swift sees one type.
#ifndef C_ARBITER_LINUX_H
#define C_ARBITER_LINUX_H
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

// EPOLL_EVENTS is an enum in glibc; constants give Swift a single UInt32 type.
static const uint32_t CArbiterLinux_EPOLLIN = EPOLLIN;
static const uint32_t CArbiterLinux_EPOLLOUT = EPOLLOUT;
static const uint32_t CArbiterLinux_EPOLLERR = EPOLLERR;
static const uint32_t CArbiterLinux_EPOLLHUP = EPOLLHUP;
static const uint32_t CArbiterLinux_EPOLLRDHUP = EPOLLRDHUP;
static const uint32_t CArbiterLinux_EPOLLEXCLUSIVE = EPOLLEXCLUSIVE;
static const int CArbiterLinux_EPOLL_CTL_ADD = EPOLL_CTL_ADD;
static const int CArbiterLinux_EPOLL_CTL_MOD = EPOLL_CTL_MOD;
static const int CArbiterLinux_EPOLL_CTL_DEL = EPOLL_CTL_DEL;
// SOCK_NONBLOCK / SOCK_CLOEXEC are enum values in glibc's socket_type.h.
static const int CArbiterLinux_SOCK_NONBLOCK = SOCK_NONBLOCK;
static const int CArbiterLinux_SOCK_CLOEXEC = SOCK_CLOEXEC;
static const int CArbiterLinux_EFD_NONBLOCK = EFD_NONBLOCK;
static const int CArbiterLinux_EFD_CLOEXEC = EFD_CLOEXEC;

/// epoll_create1(EPOLL_CLOEXEC).
int CArbiterLinux_epoll_create(void);

/// epoll_ctl with the event's data set to a 64-bit token.
int CArbiterLinux_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t token);

/// epoll_wait writing tokens and event masks to two parallel arrays (avoids the packed struct).
int CArbiterLinux_epoll_wait(int epfd, uint64_t *tokens, uint32_t *events, int maxevents, int timeout);

/// eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC).
int CArbiterLinux_eventfd(void);

/// accept4 is declared only under _GNU_SOURCE, which Swift's Glibc module does not define.
int CArbiterLinux_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);

/// malloc_trim(0): returns free heap pages of every arena to the kernel (<malloc.h> is not in
/// Swift's Glibc module). Returns 1 if memory was released.
int CArbiterLinux_malloc_trim(void);

#endif
