// ArbiterTestSupport
