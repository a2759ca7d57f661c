import Testing

@Test func placeholderArbiterHTTPTests() {}
