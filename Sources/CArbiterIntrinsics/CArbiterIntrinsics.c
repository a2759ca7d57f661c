// Everything in CArbiterIntrinsics is static inline in its header; this file gives the target a source.
#include "CArbiterIntrinsics.h"
