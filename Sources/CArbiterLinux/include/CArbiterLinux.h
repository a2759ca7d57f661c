// CArbiterLinux: Linux interfaces Swift's Glibc module does not export (epoll, eventfd, timerfd,
// signalfd, accept4). Every symbol is prefixed CArbiterLinux_.
#ifndef C_ARBITER_LINUX_H
#define C_ARBITER_LINUX_H
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#endif
