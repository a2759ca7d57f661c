import Testing

@Test func placeholderArbiterWebhookTests() {}
