// ArbiterPosix
