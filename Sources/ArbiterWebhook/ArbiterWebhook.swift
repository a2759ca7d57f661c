// ArbiterWebhook
