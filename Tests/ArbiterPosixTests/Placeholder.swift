import Testing

@Test func placeholderArbiterPosixTests() {}
