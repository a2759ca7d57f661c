// ArbiterReview
