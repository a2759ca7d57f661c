import Testing

@Test func placeholderArbiterReviewTests() {}
