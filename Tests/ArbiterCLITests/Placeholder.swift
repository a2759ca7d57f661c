import Testing

@Test func placeholderArbiterCLITests() {}
