import Testing

@Test func placeholderArbiterPolicyTests() {}
