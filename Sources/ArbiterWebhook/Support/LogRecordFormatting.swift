import Logging

/// Helpers shared by ``LogfmtLogHandler`` and ``JSONLogHandler``.
enum LogRecordFormatting {
    /// The record's metadata: handler metadata, then the provider's, then the call's (later wins),
    /// plus `error` when the event carries one; sorted by key bytes for stable output.
    static func mergedMetadata(
        handler: Logger.Metadata,
        provider: Logger.MetadataProvider?,
        event: LogEvent
    ) -> [(key: String, value: Logger.MetadataValue)] {
        var merged = handler
        if let provided = provider?.get(), !provided.isEmpty {
            merged.merge(provided) { _, new in new }
        }
        if let metadata = event.metadata, !metadata.isEmpty {
            merged.merge(metadata) { _, new in new }
        }
        if let error = event.error {
            merged["error"] = .string(String(describing: error))
        }
        return merged.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    }
}
