// CArbiterLinux: see include/CArbiterLinux.h.
#define _GNU_SOURCE
#include "CArbiterLinux.h"
